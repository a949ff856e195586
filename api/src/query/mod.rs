//! The list query language: filters, SQL compilation, Rust-side evaluation, sorting and paging.
//!
//! A list request's parameters (`filter`, `type`, `sort`, `page`, `limit`, `detailed`) are
//! parsed against a resource's static [`Schema`] into a [`ListQuery`]. Filters compile to an
//! SQLite `WHERE` clause with `?` binds ([`Plan`]); regex operators, which SQLite cannot run,
//! are left to a [`Residual`] that the caller evaluates in Rust on the selected rows.
//! Every error's `Display` is the exact client-facing 400 message.
//!
//! The engine (everything but the schemas and the response's [`Links`]) is the `engine`
//! feature: the browser app builds without it, and without the regex crates it needs.

mod links;
mod schema;

#[cfg(feature = "engine")]
mod combine;
#[cfg(feature = "engine")]
mod error;
#[cfg(feature = "engine")]
mod eval;
#[cfg(feature = "engine")]
mod filter;
#[cfg(feature = "engine")]
mod op;
#[cfg(feature = "engine")]
mod page;
#[cfg(feature = "engine")]
mod params;
#[cfg(feature = "engine")]
mod pattern;
#[cfg(feature = "engine")]
mod sort;
#[cfg(feature = "engine")]
mod sql;
#[cfg(feature = "engine")]
mod value;

#[cfg(all(test, feature = "engine"))]
mod tests;

pub use links::{Links, DEFAULT_LIMIT, MAX_LIMIT};
pub use schema::{Field, FieldType, Schema};

#[cfg(feature = "engine")]
pub use combine::Combine;
#[cfg(feature = "engine")]
pub use error::{FilterError, QueryError, SortError};
#[cfg(feature = "engine")]
pub use eval::Residual;
#[cfg(feature = "engine")]
pub use filter::{parse_filter, Filter};
#[cfg(feature = "engine")]
pub use op::Op;
#[cfg(feature = "engine")]
pub use page::PageRequest;
#[cfg(feature = "engine")]
pub use params::{parse_bool, FilterSet, ListQuery, MAX_FILTERS};
#[cfg(feature = "engine")]
pub use pattern::{Pattern, ScanBudget, MAX_REGEX_BYTES, MAX_REGEX_ROWS};
#[cfg(feature = "engine")]
pub use sort::{check_sort_cost, SortKey, MAX_SORT_ROWS};
#[cfg(feature = "engine")]
pub use sql::{plan, Bind, Plan};
#[cfg(feature = "engine")]
pub use value::{Scalar, Value};
