//! Query errors; each `Display` is the exact, stable, lower-case 400 message for clients.

use super::op::Op;
use super::schema::FieldType;
use thiserror::Error;

/// A client error in a list or bulk request's query parameters (HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum QueryError {
    #[error("invalid filter \"{raw}\": {reason}")]
    Filter { raw: String, reason: FilterError },
    #[error("invalid sort \"{raw}\": {reason}")]
    Sort { raw: String, reason: SortError },
    #[error("invalid page \"{0}\": must be a positive integer")]
    Page(String),
    #[error("invalid page \"{0}\": at most {max}", max = super::links::MAX_PAGE)]
    PageTooLarge(String),
    #[error("too many {what}: at most {max} in one request")]
    TooMany { what: &'static str, max: usize },
    #[error("invalid limit \"{0}\": must be a positive integer up to 1000 or none")]
    Limit(String),
    #[error("invalid type \"{0}\": must be inter or union")]
    Combine(String),
    #[error("invalid {name} \"{raw}\": must be true or false")]
    Bool { name: String, raw: String },
    /// A filter whose matching would cost more than one request may (see `pattern`).
    #[error("filter too costly: {0}")]
    TooCostly(String),
    /// A sort no index serves, over more rows than one request may sort (see `sort`).
    #[error("sort too costly: {0}")]
    SortTooCostly(String),
}

/// Why one `filter=` value is invalid.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FilterError {
    #[error("missing field")]
    MissingField,
    #[error("missing operator")]
    MissingOperator,
    #[error("unknown field \"{0}\"")]
    UnknownField(String),
    #[error("operator \"{op}\" does not apply to {ty} field \"{field}\"")]
    BadOperator {
        op: Op,
        ty: FieldType,
        field: String,
    },
    #[error("\"{0}\" is not a number")]
    NotANumber(String),
    #[error("\"{0}\" is not a valid id")]
    NotAnId(String),
    #[error("\"{0}\" is out of range")]
    OutOfRange(String),
    #[error("\"{0}\" is not a boolean")]
    NotABoolean(String),
    #[error("\"{0}\" is not an rfc 3339 time")]
    NotATime(String),
    #[error("\"{value}\" is not an array: {reason}")]
    NotAnArray { value: String, reason: &'static str },
    #[error("bad regex: {0}")]
    BadRegex(String),
    #[error("too long: at most {0} bytes")]
    TooLong(usize),
}

/// Why a `sort=` value is invalid.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SortError {
    #[error("empty sort field")]
    Empty,
    #[error("unknown field \"{0}\"")]
    UnknownField(String),
    #[error("cannot sort by array field \"{0}\"")]
    ArrayField(String),
    #[error("field \"{0}\" repeated")]
    Repeated(String),
}
