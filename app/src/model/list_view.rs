//! What a packages, configs or devices list shows, kept in the URL: page, sort and a name
//! search.

use super::filters;
use super::query::Query;
use super::sort::Sort;

pub const LIMIT: u64 = 25;
pub const DEFAULT_SORT: &str = "name";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListView {
    pub page: u64,
    pub sort: Sort,
    /// Matched case-insensitively against the name.
    pub search: String,
}

impl Default for ListView {
    fn default() -> Self {
        ListView {
            page: 1,
            sort: Sort::parse(DEFAULT_SORT),
            search: String::new(),
        }
    }
}

impl ListView {
    pub fn from_pairs(pairs: &[(String, String)]) -> ListView {
        let mut v = ListView::default();
        for (k, val) in pairs {
            match k.as_str() {
                "page" => v.page = val.parse().ok().filter(|p| *p > 0).unwrap_or(1),
                "sort" if !val.is_empty() => v.sort = Sort::parse(val),
                "q" => v.search = val.clone(),
                _ => {}
            }
        }
        v
    }

    pub fn to_query(&self) -> Query {
        let mut q = Query::new();
        if self.page != 1 {
            q = q.push("page", self.page);
        }
        let sort = self.sort.to_param();
        if sort != DEFAULT_SORT {
            q = q.push("sort", sort);
        }
        q.push_nonempty("q", self.search.trim())
    }

    /// The list request's query (`detailed` adds testlists and config contents).
    pub fn api_query(&self, detailed: bool) -> Query {
        let mut q = Query::new()
            .push("page", self.page)
            .push("limit", LIMIT)
            .push("sort", self.sort.to_param());
        if !self.search.trim().is_empty() {
            q = q.push("filter", filters::contains_ci("name", &self.search));
        }
        if detailed {
            q = q.push("detailed", "true");
        }
        q
    }

    pub fn sorted_by(&self, field: &str) -> ListView {
        ListView {
            sort: self.sort.toggle(field),
            page: 1,
            ..self.clone()
        }
    }

    pub fn at_page(&self, page: u64) -> ListView {
        ListView {
            page: page.max(1),
            ..self.clone()
        }
    }

    pub fn searching(&self, text: &str) -> ListView {
        ListView {
            search: text.to_string(),
            page: 1,
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::query::parse;

    #[test]
    fn round_trips_and_builds_the_api_query() {
        let v = ListView::from_pairs(&parse("page=2&sort=-created&q=nat"));
        assert_eq!(ListView::from_pairs(&parse(&v.to_query().build())), v);
        assert_eq!(
            v.api_query(true).build(),
            "page=2&limit=25&sort=-created&filter=name~%2Anat&detailed=true"
        );
        assert_eq!(ListView::default().to_query().build(), "");
        assert_eq!(
            ListView::default().api_query(false).build(),
            "page=1&limit=25&sort=name"
        );
    }

    #[test]
    fn moves_reset_the_page() {
        let v = ListView::from_pairs(&parse("page=3"));
        assert_eq!(v.searching("x").page, 1);
        assert_eq!(v.sorted_by("name").sort.to_param(), "-name");
        assert_eq!(v.at_page(5).page, 5);
    }
}
