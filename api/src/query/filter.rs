//! One `filter=<field><op><value>`: operators, syntax and validation against a schema.

use super::error::{FilterError, QueryError};
use super::op::Op;
use super::schema::{Field, Schema};
use super::value::{parse_value, Value};

/// A validated filter: a known field, an operator that applies to it and a typed value.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// The filter as the client wrote it.
    pub raw: String,
    pub field: &'static Field,
    pub op: Op,
    pub value: Value,
}

fn is_field_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.'
}

/// Parses and validates one `filter=` value against `schema`.
pub fn parse_filter(raw: &str, schema: &Schema) -> Result<Filter, QueryError> {
    let err = |reason| QueryError::Filter {
        raw: raw.to_string(),
        reason,
    };
    let name_len = raw.bytes().take_while(|b| is_field_byte(*b)).count();
    let (name, rest) = raw.split_at(name_len);
    if name.is_empty() {
        return Err(err(FilterError::MissingField));
    }
    let op = Op::prefix_of(rest).ok_or_else(|| err(FilterError::MissingOperator))?;
    let field = schema
        .field(name)
        .ok_or_else(|| err(FilterError::UnknownField(name.to_string())))?;
    if !op.applies_to(field.ty) {
        return Err(err(FilterError::BadOperator {
            op,
            ty: field.ty,
            field: field.name.to_string(),
        }));
    }
    let text = &rest[op.as_str().len()..];
    let value = parse_value(field.ty, op, text).map_err(err)?;
    Ok(Filter {
        raw: raw.to_string(),
        field,
        op,
        value,
    })
}
