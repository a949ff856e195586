//! Typed filter values (parsed from text per field type) and the row values they meet.

use super::error::FilterError;
use super::op::Op;
use super::pattern::Pattern;
use super::schema::FieldType;
use std::num::IntErrorKind;

/// A filter's typed value.
#[derive(Debug, Clone)]
pub enum Value {
    /// An id or integer.
    Int(i64),
    Bool(bool),
    Text(String),
    /// Nanoseconds since the Unix epoch (UTC).
    /// Microseconds since the epoch.
    Time(i64),
    /// A compiled regex (case-insensitive for `~*` / `!~*`).
    Regex(Box<Pattern>),
    Array(Vec<String>),
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Int(a), Value::Int(b)) | (Value::Time(a), Value::Time(b)) => a == b,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Text(a), Value::Text(b)) => a == b,
            (Value::Regex(a), Value::Regex(b)) => a == b,
            (Value::Array(a), Value::Array(b)) => a == b,
            _ => false,
        }
    }
}

/// One SQLite value of a row, as read back for Rust-side evaluation.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

impl From<i64> for Scalar {
    fn from(v: i64) -> Self {
        Scalar::Int(v)
    }
}

impl From<&str> for Scalar {
    fn from(v: &str) -> Self {
        Scalar::Text(v.to_string())
    }
}

impl From<String> for Scalar {
    fn from(v: String) -> Self {
        Scalar::Text(v)
    }
}

impl<T: Into<Scalar>> From<Option<T>> for Scalar {
    fn from(v: Option<T>) -> Self {
        v.map_or(Scalar::Null, Into::into)
    }
}

/// Parses the text after the operator as a value for a field of type `ty`.
pub(crate) fn parse_value(ty: FieldType, op: Op, text: &str) -> Result<Value, FilterError> {
    match ty {
        FieldType::Id => parse_id(text).map(Value::Int),
        FieldType::Int => parse_int(text).map(Value::Int),
        FieldType::Bool => parse_bool_text(text)
            .map(Value::Bool)
            .ok_or_else(|| FilterError::NotABoolean(text.to_string())),
        FieldType::Time => parse_time(text).map(Value::Time),
        FieldType::Str if op.is_regex() => parse_regex(text, op).map(|p| Value::Regex(Box::new(p))),
        FieldType::Str => Ok(Value::Text(text.to_string())),
        FieldType::StrArray => {
            parse_array(text)
                .map(Value::Array)
                .map_err(|reason| FilterError::NotAnArray {
                    value: text.to_string(),
                    reason,
                })
        }
    }
}

fn parse_int(text: &str) -> Result<i64, FilterError> {
    text.parse::<i64>().map_err(|e| match e.kind() {
        IntErrorKind::PosOverflow | IntErrorKind::NegOverflow => {
            FilterError::OutOfRange(text.to_string())
        }
        _ => FilterError::NotANumber(text.to_string()),
    })
}

fn parse_id(text: &str) -> Result<i64, FilterError> {
    let n = parse_int(text)?;
    if text.bytes().all(|b| b.is_ascii_digit()) {
        Ok(n)
    } else {
        Err(FilterError::NotAnId(text.to_string()))
    }
}

/// `true`/`false`, ASCII case-insensitive.
pub(crate) fn parse_bool_text(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Any RFC 3339 time, as microseconds since the epoch (how the store keeps times: JavaScript
/// numbers carry 53 bits, too few for nanoseconds). A space where the offset's `+` belongs
/// (an unencoded `+` decoded as a space) is read as `+`.
pub(crate) fn parse_time(text: &str) -> Result<i64, FilterError> {
    crate::Timestamp::parse(text)
        .or_else(|e| match text.rfind(' ') {
            Some(i) if i > 10 => {
                crate::Timestamp::parse(&format!("{}+{}", &text[..i], &text[i + 1..]))
            }
            _ => Err(e),
        })
        .map(|t| t.micros())
        .map_err(|_| FilterError::NotATime(text.to_string()))
}

/// Longest filter value (a regex or an array) accepted.
pub const MAX_VALUE_BYTES: usize = 1024;
/// Most elements in an array filter value.
pub const MAX_ARRAY_ITEMS: usize = 64;

fn parse_regex(text: &str, op: Op) -> Result<Pattern, FilterError> {
    if text.len() > MAX_VALUE_BYTES {
        return Err(FilterError::TooLong(MAX_VALUE_BYTES));
    }
    Pattern::new(text, matches!(op, Op::IMatch | Op::NotIMatch))
}

/// Parses `{a,b,c}`. `{}` is empty; unquoted elements are trimmed and must be non-empty and
/// free of `"{}`; `"..."` quotes an element verbatim (commas, braces, spaces), with `\"` and
/// `\\` escapes.
pub(crate) fn parse_array(text: &str) -> Result<Vec<String>, &'static str> {
    if text.len() > MAX_VALUE_BYTES {
        return Err("too long: at most 1024 bytes");
    }
    let inner = text
        .trim()
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .ok_or("must be written {a,b,...}")?;
    let mut out = Vec::new();
    if inner.trim().is_empty() {
        return Ok(out);
    }
    let mut chars = inner.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut elem = String::new();
        if chars.next_if_eq(&'"').is_some() {
            loop {
                match chars.next() {
                    None => return Err("unterminated quote"),
                    Some('\\') => elem.push(chars.next().ok_or("unterminated quote")?),
                    Some('"') => break,
                    Some(c) => elem.push(c),
                }
            }
            while chars.next_if(|c| c.is_whitespace()).is_some() {}
            out.push(elem);
        } else {
            while let Some(c) = chars.next_if(|c| *c != ',') {
                if matches!(c, '"' | '{' | '}') {
                    return Err("quote an element that holds a quote or brace");
                }
                elem.push(c);
            }
            let trimmed = elem.trim_end();
            if trimmed.is_empty() {
                return Err("empty element");
            }
            out.push(trimmed.to_string());
        }
        if out.len() > MAX_ARRAY_ITEMS {
            return Err("too many elements: at most 64");
        }
        match chars.next() {
            None => return Ok(out),
            Some(',') => {}
            Some(_) => return Err("expected a comma after a quoted element"),
        }
    }
}
