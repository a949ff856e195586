//! Rust-side evaluation of filters, with the same semantics as the compiled SQL (SQLite's
//! cross-type ordering, NULL arrays as `[]`, NULL scalars failing all but `!=` / `!~`).

use super::combine::Combine;
use super::error::QueryError;
use super::filter::Filter;
use super::op::Op;
use super::pattern::ScanBudget;
use super::schema::Field;
use super::value::{Scalar, Value};
use std::cmp::Ordering;

/// Filters left for Rust to evaluate on rows that the SQL selected.
#[derive(Debug, Clone, PartialEq)]
pub struct Residual {
    filters: Vec<Filter>,
    /// For each filter, the index of its field in `fields`.
    columns: Vec<usize>,
    fields: Vec<&'static Field>,
    combine: Combine,
}

impl Residual {
    /// A residual evaluating all of `filters`, combined by `combine`.
    pub fn new(filters: Vec<Filter>, combine: Combine) -> Residual {
        let mut fields: Vec<&'static Field> = Vec::new();
        let columns = filters
            .iter()
            .map(
                |f| match fields.iter().position(|x| x.name == f.field.name) {
                    Some(i) => i,
                    None => {
                        fields.push(f.field);
                        fields.len() - 1
                    }
                },
            )
            .collect();
        Residual {
            filters,
            columns,
            fields,
            combine,
        }
    }

    /// The distinct fields whose values [`Residual::matches`] needs, in row order.
    pub fn fields(&self) -> Vec<&'static Field> {
        self.fields.clone()
    }

    /// The filters this residual evaluates.
    pub fn filters(&self) -> &[Filter] {
        &self.filters
    }

    /// Whether a row passes. `row` holds the values of [`Residual::fields`], in that order
    /// (missing values count as NULL). No filters: every row passes. Regular expressions
    /// spend `budget`; an error when it runs out or a pattern is too costly.
    pub fn matches(&self, row: &[Scalar], budget: &mut ScanBudget) -> Result<bool, QueryError> {
        for (f, &i) in self.filters.iter().zip(&self.columns) {
            let hit = f.matches(row.get(i).unwrap_or(&Scalar::Null), budget)?;
            match (self.combine, hit) {
                (Combine::Inter, false) => return Ok(false),
                (Combine::Union, true) => return Ok(true),
                _ => {}
            }
        }
        Ok(self.filters.is_empty() || self.combine == Combine::Inter)
    }
}

impl Filter {
    /// Whether the field's value `v` passes this filter.
    pub fn matches(&self, v: &Scalar, budget: &mut ScanBudget) -> Result<bool, QueryError> {
        Ok(match &self.value {
            Value::Int(n) | Value::Time(n) => compare_op(self.op, v, Key::Int(*n)),
            Value::Bool(b) => compare_op(self.op, v, Key::Int(i64::from(*b))),
            Value::Text(s) => compare_op(self.op, v, Key::Text(s)),
            Value::Regex(re) => {
                let hit = match v {
                    Scalar::Null => false,
                    Scalar::Int(n) => re.is_match(&n.to_string(), budget)?,
                    Scalar::Real(r) => re.is_match(&r.to_string(), budget)?,
                    Scalar::Text(s) => re.is_match(s, budget)?,
                };
                match self.op {
                    Op::Match | Op::IMatch => hit,
                    _ => !hit,
                }
            }
            Value::Array(want) => array_op(self.op, &array_of(v), want),
        })
    }
}

/// The bound side of a scalar comparison.
#[derive(Clone, Copy)]
enum Key<'a> {
    Int(i64),
    Text(&'a str),
}

fn compare_op(op: Op, v: &Scalar, key: Key) -> bool {
    if *v == Scalar::Null {
        return op == Op::Ne;
    }
    let ord = sqlite_cmp(v, key);
    match op {
        Op::Eq => ord == Ordering::Equal,
        Op::Ne => ord != Ordering::Equal,
        Op::Lt => ord == Ordering::Less,
        Op::Le => ord != Ordering::Greater,
        Op::Gt => ord == Ordering::Greater,
        Op::Ge => ord != Ordering::Less,
        _ => false,
    }
}

/// SQLite's ordering of a non-NULL value against a bind: numbers by value, numbers before
/// text, text by bytes (BINARY collation).
fn sqlite_cmp(v: &Scalar, key: Key) -> Ordering {
    match (v, key) {
        (Scalar::Int(a), Key::Int(b)) => a.cmp(&b),
        (Scalar::Real(a), Key::Int(b)) => cmp_real_int(*a, b),
        (Scalar::Int(_) | Scalar::Real(_), Key::Text(_)) => Ordering::Less,
        (Scalar::Text(_), Key::Int(_)) => Ordering::Greater,
        (Scalar::Text(a), Key::Text(b)) => a.as_str().cmp(b),
        (Scalar::Null, _) => Ordering::Less,
    }
}

fn cmp_real_int(r: f64, i: i64) -> Ordering {
    // 2^63 as f64: every i64 lies in [-2^63, 2^63).
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if r.is_nan() || r < -TWO_63 {
        return Ordering::Less;
    }
    if r >= TWO_63 {
        return Ordering::Greater;
    }
    let whole = r.trunc();
    // In range: the cast is exact for the integral part.
    match (whole as i64).cmp(&i) {
        Ordering::Equal => (r - whole).partial_cmp(&0.0).unwrap_or(Ordering::Equal),
        other => other,
    }
}

/// A stored array's string elements (`None` for non-string elements, which equal nothing).
/// NULL, non-text, invalid JSON and non-array JSON all read as the empty array.
fn array_of(v: &Scalar) -> Vec<Option<String>> {
    let Scalar::Text(s) = v else {
        return Vec::new();
    };
    match serde_json::from_str::<serde_json::Value>(s) {
        Ok(serde_json::Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                serde_json::Value::String(s) => Some(s),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn array_op(op: Op, have: &[Option<String>], want: &[String]) -> bool {
    let contains = || {
        want.iter()
            .all(|w| have.iter().any(|h| h.as_ref() == Some(w)))
    };
    let contained = || {
        have.iter()
            .all(|h| h.as_ref().is_some_and(|h| want.contains(h)))
    };
    match op {
        Op::Contains => contains(),
        Op::ContainedBy => contained(),
        Op::Overlaps => have
            .iter()
            .any(|h| h.as_ref().is_some_and(|h| want.contains(h))),
        Op::Eq => contains() && contained(),
        Op::Ne => !(contains() && contained()),
        _ => false,
    }
}
