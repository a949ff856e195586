//! Reads a request's query parameters into a [`ListQuery`] or a bulk operation's [`FilterSet`].

use super::error::QueryError;
use super::eval::Residual;
use super::filter::{parse_filter, Filter};
use super::page::PageRequest;
use super::schema::Schema;
use super::sort::{parse_sort, SortKey};
use super::sql::{plan, Plan};

/// How several filters combine: `type=inter` (all must hold, the default) or `type=union`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Combine {
    #[default]
    Inter,
    Union,
}

impl Combine {
    /// Parses a `type=` value (`inter` or `union`, ASCII case-insensitive).
    pub fn parse(raw: &str) -> Result<Combine, QueryError> {
        if raw.eq_ignore_ascii_case("inter") {
            Ok(Combine::Inter)
        } else if raw.eq_ignore_ascii_case("union") {
            Ok(Combine::Union)
        } else {
            Err(QueryError::Combine(raw.to_string()))
        }
    }
}

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
