//! `sort=field[,-field...]`: parsing and the `ORDER BY` clause.

use super::error::{QueryError, SortError};
use super::params::ListQuery;
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

impl ListQuery {
    /// The `ORDER BY` body, e.g. `status DESC, id ASC`: the sort keys then an `id ASC`
    /// tie-breaker (unless `id` is a key), or `default` when no sort was given.
    pub fn order_by_sql(&self, default: &str) -> String {
        if self.sort.is_empty() {
            return default.to_string();
        }
        let mut parts: Vec<String> = self
            .sort
            .iter()
            .map(|k| {
                let dir = if k.descending { "DESC" } else { "ASC" };
                format!("{} {dir}", k.field.sql)
            })
            .collect();
        if !self.sort.iter().any(|k| k.field.name == "id") {
            parts.push("id ASC".to_string());
        }
        parts.join(", ")
    }
}
