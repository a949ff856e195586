//! Reads a request's query parameters into a [`ListQuery`] or a bulk operation's [`FilterSet`].

use super::combine::Combine;
use super::error::QueryError;
use super::eval::Residual;
use super::filter::{parse_filter, Filter};
use super::page::PageRequest;
use super::schema::Schema;
use super::sort::{parse_sort, SortKey};
use super::sql::{plan, Plan};

/// Most filters in one request.
pub const MAX_FILTERS: usize = 32;

/// The filters of a bulk operation (`filter` and `type` parameters).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FilterSet {
    pub filters: Vec<Filter>,
    pub combine: Combine,
}

impl FilterSet {
    /// Reads every `filter` (empty ones ignored) and `type`; other keys are ignored. At most
    /// [`MAX_FILTERS`]: each filter is work for the store on every row it looks at.
    pub fn parse(params: &[(String, String)], schema: &Schema) -> Result<FilterSet, QueryError> {
        let mut set = FilterSet::default();
        for (key, value) in params {
            match key.as_str() {
                "filter" if value.is_empty() => {}
                "filter" if set.filters.len() >= MAX_FILTERS => {
                    return Err(QueryError::TooMany {
                        what: "filters",
                        max: MAX_FILTERS,
                    })
                }
                "filter" => set.filters.push(parse_filter(value, schema)?),
                "type" => set.combine = Combine::parse(value)?,
                _ => {}
            }
        }
        Ok(set)
    }

    /// The SQL condition and Rust residual for these filters.
    pub fn plan(&self) -> Plan {
        plan(&self.filters, self.combine)
    }

    /// A residual evaluating every filter in Rust (no SQL at all).
    pub fn residual(&self) -> Residual {
        Residual::new(self.filters.clone(), self.combine)
    }
}

/// A list request: filters, sort, page and the `detailed` flag.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ListQuery {
    pub filters: Vec<Filter>,
    pub combine: Combine,
    pub sort: Vec<SortKey>,
    pub page: PageRequest,
    pub detailed: bool,
}

impl ListQuery {
    /// Reads `filter` (repeatable; empty ignored), `type`, `sort`, `page`, `limit` and
    /// `detailed`, ignoring other keys. A repeated single-valued key: the last one wins.
    pub fn parse(params: &[(String, String)], schema: &Schema) -> Result<ListQuery, QueryError> {
        let set = FilterSet::parse(params, schema)?;
        let mut q = ListQuery {
            filters: set.filters,
            combine: set.combine,
            ..ListQuery::default()
        };
        for (key, value) in params {
            match key.as_str() {
                "sort" => q.sort = parse_sort(value, schema)?,
                "page" => q.page.page = PageRequest::parse_page(value)?,
                "limit" => q.page.limit = PageRequest::parse_limit(value)?,
                "detailed" => q.detailed = parse_bool("detailed", value)?,
                _ => {}
            }
        }
        Ok(q)
    }

    /// This query's filters as a [`FilterSet`].
    pub fn filter_set(&self) -> FilterSet {
        FilterSet {
            filters: self.filters.clone(),
            combine: self.combine,
        }
    }

    /// The SQL condition and Rust residual for this query's filters.
    pub fn plan(&self) -> Plan {
        plan(&self.filters, self.combine)
    }
}

/// A boolean parameter: `true`/`false`/`1`/`0`, ASCII case-insensitive; else
/// `invalid <name> "<raw>": must be true or false`.
pub fn parse_bool(name: &str, raw: &str) -> Result<bool, QueryError> {
    match raw {
        "1" => Ok(true),
        "0" => Ok(false),
        _ => super::value::parse_bool_text(raw).ok_or_else(|| QueryError::Bool {
            name: name.to_string(),
            raw: raw.to_string(),
        }),
    }
}

impl ListQuery {
    /// The `ORDER BY` body, e.g. `status DESC, id DESC`: the sort keys then an `id`
    /// tie-breaker in the last key's direction (unless `id` is a key), so that an index on
    /// `(field, id)` serves `-field` too; or `default` when no sort was given.
    pub fn order_by_sql(&self, default: &str) -> String {
        let Some(last) = self.sort.last() else {
            return default.to_string();
        };
        let dir = |descending: bool| if descending { "DESC" } else { "ASC" };
        let mut parts: Vec<String> = self
            .sort
            .iter()
            .map(|k| format!("{} {}", k.field.sql, dir(k.descending)))
            .collect();
        if !self.sort.iter().any(|k| k.field.name == "id") {
            parts.push(format!("id {}", dir(last.descending)));
        }
        parts.join(", ")
    }
}
