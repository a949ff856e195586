//! `sort=field[,-field...]`: parsing and the `ORDER BY` clause.

use super::error::{QueryError, SortError};
use super::schema::{Field, FieldType, Schema};

/// One sort key; `-field` sorts descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    pub field: &'static Field,
    pub descending: bool,
}

/// Parses a `sort=` value; an empty value means no sort.
pub(crate) fn parse_sort(raw: &str, schema: &Schema) -> Result<Vec<SortKey>, QueryError> {
    let err = |reason| QueryError::Sort {
        raw: raw.to_string(),
        reason,
    };
    let mut keys: Vec<SortKey> = Vec::new();
    if raw.is_empty() {
        return Ok(keys);
    }
    for part in raw.split(',') {
        let (name, descending) = match part.strip_prefix('-') {
            Some(name) => (name, true),
            None => (part, false),
        };
        if name.is_empty() {
            return Err(err(SortError::Empty));
        }
        let field = schema
            .field(name)
            .ok_or_else(|| err(SortError::UnknownField(name.to_string())))?;
        if field.ty == FieldType::StrArray {
            return Err(err(SortError::ArrayField(name.to_string())));
        }
        if keys.iter().any(|k| k.field.name == name) {
            return Err(err(SortError::Repeated(name.to_string())));
        }
        keys.push(SortKey { field, descending });
    }
    Ok(keys)
}

/// The most rows one request may sort in an order no index serves: SQLite then reads every
/// matching row to sort them (at 100,000 jobs, beyond the per-request budget).
pub const MAX_SORT_ROWS: u64 = 20_000;

/// Before listing `rows` rows in `order` (an `ORDER BY` body as [`ListQuery::order_by_sql`]
/// writes it): refused when no index serves the order and there are too many rows to sort.
/// `indexed` names the column lists the table's indexes lead with (each also ends in `id`).
pub fn check_sort_cost(order: &str, indexed: &[&str], rows: u64) -> Result<(), QueryError> {
    if rows <= MAX_SORT_ROWS || served(order, indexed) {
        return Ok(());
    }
    let fields: Vec<&str> = std::iter::once("id")
        .chain(indexed.iter().copied())
        .collect();
    Err(QueryError::SortTooCostly(format!(
        "sorting {rows} rows by a field without an index reads them all; at most {MAX_SORT_ROWS}: narrow the list with a filter, or sort by {}",
        fields.join(", ")
    )))
}

/// Whether an index reads rows in `order`: every key in one direction, the columns one of
/// `indexed` (or none), then maybe `id`.
fn served(order: &str, indexed: &[&str]) -> bool {
    let keys: Vec<(&str, &str)> = order
        .split(", ")
        .map(|k| k.rsplit_once(' ').unwrap_or((k, "ASC")))
        .collect();
    let Some(&(_, dir)) = keys.first() else {
        return true;
    };
    if keys.iter().any(|&(_, d)| d != dir) {
        return false;
    }
    let mut columns: Vec<&str> = keys.iter().map(|&(c, _)| c).collect();
    if columns.last() == Some(&"id") {
        columns.pop();
    }
    columns.is_empty() || indexed.contains(&columns.join(", ").as_str())
}
