//! Paging: `page`/`limit` parameters, SQL `LIMIT`/`OFFSET` and the response's `links`.

use super::error::QueryError;
use super::links::{Links, DEFAULT_LIMIT, MAX_LIMIT, MAX_PAGE};

/// Which page a list request wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// 1-based.
    pub page: u64,
    /// `None` = all (`limit=none`).
    pub limit: Option<u64>,
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest {
            page: 1,
            limit: Some(DEFAULT_LIMIT),
        }
    }
}

fn positive(raw: &str) -> Option<u64> {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse::<u64>().ok().filter(|n| *n > 0)
}

impl PageRequest {
    /// Parses `page=`: a positive integer.
    pub fn parse_page(raw: &str) -> Result<u64, QueryError> {
        if !raw.is_empty()
            && raw.bytes().all(|b| b.is_ascii_digit())
            && raw.trim_start_matches('0').len() > 7
        {
            return Err(QueryError::PageTooLarge(raw.to_string()));
        }
        match positive(raw) {
            Some(n) if n > MAX_PAGE => Err(QueryError::PageTooLarge(raw.to_string())),
            Some(n) => Ok(n),
            None => Err(QueryError::Page(raw.to_string())),
        }
    }

    /// Parses `limit=`: a positive integer up to [`MAX_LIMIT`], or `none` (= `None`).
    pub fn parse_limit(raw: &str) -> Result<Option<u64>, QueryError> {
        if raw.eq_ignore_ascii_case("none") {
            return Ok(None);
        }
        match positive(raw) {
            Some(n) if n <= MAX_LIMIT => Ok(Some(n)),
            _ => Err(QueryError::Limit(raw.to_string())),
        }
    }

    fn limit_or_one(&self) -> u64 {
        self.limit.unwrap_or(0).max(1)
    }

    /// Rows to skip, for SQL `OFFSET` (saturating).
    pub fn offset(&self) -> i64 {
        if self.limit.is_none() {
            return 0;
        }
        let rows = self
            .page
            .saturating_sub(1)
            .saturating_mul(self.limit_or_one());
        i64::try_from(rows).unwrap_or(i64::MAX)
    }

    /// SQL `LIMIT`: the page size, `-1` for all (`limit=none`), or `0` for a page past the
    /// single page of `limit=none`.
    pub fn sql_limit(&self) -> i64 {
        match self.limit {
            None if self.page > 1 => 0,
            None => -1,
            Some(_) => i64::try_from(self.limit_or_one()).unwrap_or(i64::MAX),
        }
    }

    /// `limit=none` reads every row: allowed up to [`MAX_LIMIT`] rows, as any page is.
    pub fn check_total(&self, total: u64) -> Result<(), QueryError> {
        if self.limit.is_none() && total > MAX_LIMIT {
            return Err(QueryError::TooCostly(format!(
                "limit=none would return {total} rows; at most {MAX_LIMIT} in one request: page through them (limit=1000&page=2...) or narrow the list with a filter"
            )));
        }
        Ok(())
    }

    /// The `links` for a list of `total` items.
    pub fn links(&self, total: u64) -> Links {
        let limit = self.limit.unwrap_or(total);
        if total == 0 {
            return Links {
                limit,
                ..Links::default()
            };
        }
        let last = total.div_ceil(limit.max(1));
        let within = |p: u64| (1..=last).contains(&p).then_some(p);
        Links {
            first: 1,
            last,
            current: self.page,
            limit,
            total,
            next: self.page.checked_add(1).and_then(within),
            prev: self.page.checked_sub(1).and_then(within),
        }
    }
}
