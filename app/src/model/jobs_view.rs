//! What the jobs list shows, kept in the URL so a view can be shared and the back button
//! works: paging, sorting, the filter bar and the raw filters of the advanced box.

use super::filters;
use super::query::Query;
use super::sort::Sort;

/// Page sizes offered; the API allows up to 1000.
pub const PAGE_SIZES: [u64; 4] = [25, 50, 100, 1000];
pub const DEFAULT_LIMIT: u64 = 25;
/// Newest first: what people look for after launching.
pub const DEFAULT_SORT: &str = "-id";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobsView {
    pub page: u64,
    pub limit: u64,
    pub sort: Sort,
    /// One of the job statuses, or "" for any.
    pub status: String,
    /// Matched case-insensitively against the package name.
    pub package: String,
    /// Tags the job must all have, as typed (`a, b`).
    pub tags: String,
    /// The search box (see `filters::job_search`).
    pub search: String,
    /// Raw `field<op>value` filters from the advanced box.
    pub advanced: Vec<String>,
    /// Any filter may hold (`type=union`) instead of all.
    pub any: bool,
}

impl Default for JobsView {
    fn default() -> Self {
        JobsView {
            page: 1,
            limit: DEFAULT_LIMIT,
            sort: Sort::parse(DEFAULT_SORT),
            status: String::new(),
            package: String::new(),
            tags: String::new(),
            search: String::new(),
            advanced: Vec::new(),
            any: false,
        }
    }
}

impl JobsView {
    /// From the app's URL query (bad numbers fall back to defaults: a hand-edited URL
    /// still shows something).
    pub fn from_pairs(pairs: &[(String, String)]) -> JobsView {
        let mut v = JobsView::default();
        for (k, val) in pairs {
            match k.as_str() {
                "page" => v.page = val.parse().ok().filter(|p| *p > 0).unwrap_or(1),
                "limit" => {
                    v.limit = val
                        .parse()
                        .ok()
                        .filter(|l| (1..=1000).contains(l))
                        .unwrap_or(DEFAULT_LIMIT)
                }
                "sort" if !val.is_empty() => v.sort = Sort::parse(val),
                "status" => v.status = val.clone(),
                "package" => v.package = val.clone(),
                "tags" => v.tags = val.clone(),
                "q" => v.search = val.clone(),
                "filter" if !val.trim().is_empty() => v.advanced.push(val.trim().to_string()),
                "type" => v.any = val == "union",
                _ => {}
            }
        }
        v
    }

    /// The app's URL query for this view; defaults are left out.
    pub fn to_query(&self) -> Query {
        let mut q = Query::new();
        if self.page != 1 {
            q = q.push("page", self.page);
        }
        if self.limit != DEFAULT_LIMIT {
            q = q.push("limit", self.limit);
        }
        let sort = self.sort.to_param();
        if sort != DEFAULT_SORT {
            q = q.push("sort", sort);
        }
        q = q
            .push_nonempty("status", &self.status)
            .push_nonempty("package", self.package.trim())
            .push_nonempty("tags", self.tags.trim())
            .push_nonempty("q", self.search.trim())
            .push_all("filter", &self.advanced);
        if self.any {
            q = q.push("type", "union");
        }
        q
    }

    /// The `filter=` values this view sends: the filter bar's, then the advanced ones.
    pub fn filters(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.status.is_empty() {
            out.push(filters::eq("status", &self.status));
        }
        if !self.package.trim().is_empty() {
            out.push(filters::contains_ci("package_name", &self.package));
        }
        let tags = filters::split_list(&self.tags);
        if !tags.is_empty() {
            out.push(filters::contains_all("tags", &tags));
        }
        out.extend(filters::job_search(&self.search));
        out.extend(self.advanced.iter().cloned());
        out
    }

    /// The query of `GET /api/v1/jobs/` for this view.
    pub fn api_query(&self) -> Query {
        let mut q = Query::new()
            .push("page", self.page)
            .push("limit", self.limit)
            .push("sort", self.sort.to_param())
            .push_all("filter", &self.filters());
        if self.any {
            q = q.push("type", "union");
        }
        q
    }

    /// Sorted by `field` (see `Sort::toggle`), back on page 1.
    pub fn sorted_by(&self, field: &str) -> JobsView {
        JobsView {
            sort: self.sort.toggle(field),
            page: 1,
            ..self.clone()
        }
    }

    pub fn at_page(&self, page: u64) -> JobsView {
        JobsView {
            page: page.max(1),
            ..self.clone()
        }
    }

    /// The same filters and sort with a new page size, back on page 1.
    pub fn with_limit(&self, limit: u64) -> JobsView {
        JobsView {
            limit,
            page: 1,
            ..self.clone()
        }
    }

    /// True when some filter narrows the list (for the empty state's wording).
    pub fn is_filtered(&self) -> bool {
        !self.filters().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::query::parse;

    fn view(qs: &str) -> JobsView {
        JobsView::from_pairs(&parse(qs))
    }

    #[test]
    fn defaults_make_an_empty_url_and_a_plain_api_query() {
        let v = view("");
        assert_eq!(v, JobsView::default());
        assert_eq!(v.to_query().build(), "");
        assert_eq!(v.api_query().build(), "page=1&limit=25&sort=-id");
        assert!(!v.is_filtered());
    }

    #[test]
    fn url_round_trip_keeps_every_part() {
        let qs = "page=3&limit=50&sort=package_name%2C-id&status=running&package=nat&tags=a%2C%20b&q=12&filter=options.begin_at%3Dx&filter=id%3E%3D2&type=union";
        let v = view(qs);
        assert_eq!(v.page, 3);
        assert_eq!(v.limit, 50);
        assert_eq!(v.sort.to_param(), "package_name,-id");
        assert_eq!(v.advanced, ["options.begin_at=x", "id>=2"]);
        assert!(v.any);
        assert_eq!(view(&v.to_query().build()), v);
    }

    #[test]
    fn filter_bar_becomes_api_filters() {
        let v =
            view("status=running&package=c%2B%2B&tags=nightly%20lab&q=router&filter=user_id%3D1");
        assert_eq!(
            v.filters(),
            [
                "status=running",
                "package_name~*c\\+\\+",
                "tags@>{nightly,lab}",
                "device_name~*router",
                "user_id=1"
            ]
        );
        let api = v.api_query().build();
        assert!(api.starts_with("page=1&limit=25&sort=-id&filter=status%3Drunning"));
        assert!(!api.contains("type="));
        assert!(v.is_filtered());
    }

    #[test]
    fn bad_numbers_fall_back_and_blank_filters_drop() {
        let v = view("page=0&limit=5000&filter=%20&sort=");
        assert_eq!(v.page, 1);
        assert_eq!(v.limit, DEFAULT_LIMIT);
        assert!(v.advanced.is_empty());
        assert_eq!(v.sort.to_param(), DEFAULT_SORT);
        assert_eq!(view("page=x&limit=-1"), JobsView::default());
    }

    #[test]
    fn sorting_and_paging_moves() {
        let v = view("page=4");
        let by_pkg = v.sorted_by("package_name");
        assert_eq!(by_pkg.page, 1);
        assert_eq!(by_pkg.to_query().build(), "sort=package_name");
        assert_eq!(
            by_pkg.sorted_by("package_name").sort.to_param(),
            "-package_name"
        );
        // The default is -id; clicking id flips it to ascending.
        assert_eq!(v.sorted_by("id").sort.to_param(), "id");
        assert_eq!(v.at_page(0).page, 1);
        assert_eq!(v.at_page(2).to_query().build(), "page=2");
        let big = v.with_limit(100);
        assert_eq!((big.page, big.limit), (1, 100));
    }
}
