//! The list query language: filters, SQL compilation, Rust-side evaluation, sorting and paging.
//!
//! A list request's parameters (`filter`, `type`, `sort`, `page`, `limit`, `detailed`) are
//! parsed against a resource's static [`Schema`] into a [`ListQuery`]. Filters compile to an
//! SQLite `WHERE` clause with `?` binds ([`Plan`]); regex operators, which SQLite cannot run,
//! are left to a [`Residual`] that the caller evaluates in Rust on the selected rows.
//! Every error's `Display` is the exact client-facing 400 message.

mod error;
mod eval;
mod filter;
mod page;
mod params;
mod pattern;
mod schema;
mod sort;
mod sql;
mod value;

#[cfg(test)]
mod tests;

pub use error::{FilterError, QueryError, SortError};
pub use eval::Residual;
pub use filter::{parse_filter, Filter, Op};
pub use page::{Links, PageRequest, DEFAULT_LIMIT, MAX_LIMIT};
pub use params::{parse_bool, Combine, FilterSet, ListQuery, MAX_FILTERS};
pub use pattern::{Pattern, ScanBudget, MAX_REGEX_BYTES, MAX_REGEX_ROWS};
pub use schema::{Field, FieldType, Schema};
pub use sort::SortKey;
pub use sql::{plan, Bind, Plan};
pub use value::{Scalar, Value};
