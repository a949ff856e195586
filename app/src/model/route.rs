//! The app's pages by URL path: the route table, as a pure function of the path (the query
//! string is each page's own state and never changes the page).

use super::resource::Resource;
use labrelay_api::Id;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Jobs,
    Job(Id),
    Result(Id),
    TestLog(Id, Id),
    /// Results side by side (`?ids=1,2,3`: the page's own state).
    Compare,
    Launch,
    List(Resource),
    Reservations,
    /// Every lab at a glance.
    Overview,
    /// Panics on purpose: the browser tests check that a panic never leaves a dead page.
    Panic,
    NotFound,
}

/// A positive id (`YYYYMMDDHHMMSS` result ids included).
fn id(s: &str) -> Option<Id> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<u64>().ok().filter(|n| *n > 0).map(Id)
}

impl Route {
    pub fn parse(path: &str) -> Route {
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        let found = match parts.as_slice() {
            [] | ["jobs"] => Some(Route::Jobs),
            ["jobs", j] => id(j).map(Route::Job),
            ["results", r] => id(r).map(Route::Result),
            ["results", r, "tests", s] => id(r).zip(id(s)).map(|(r, s)| Route::TestLog(r, s)),
            ["compare"] => Some(Route::Compare),
            ["launch"] => Some(Route::Launch),
            ["reservations"] => Some(Route::Reservations),
            ["overview"] => Some(Route::Overview),
            ["debug", "panic"] => Some(Route::Panic),
            [one] => Resource::from_segment(one).map(Route::List),
            _ => None,
        };
        found.unwrap_or(Route::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_route_table() {
        assert_eq!(Route::parse("/"), Route::Jobs);
        assert_eq!(Route::parse("/jobs"), Route::Jobs);
        assert_eq!(Route::parse("/reservations"), Route::Reservations);
        assert_eq!(Route::parse("/jobs/12"), Route::Job(Id(12)));
        assert_eq!(Route::parse("/jobs/12/"), Route::Job(Id(12)));
        assert_eq!(
            Route::parse("/results/20220821222306"),
            Route::Result(Id(20220821222306))
        );
        assert_eq!(
            Route::parse("/results/7/tests/2"),
            Route::TestLog(Id(7), Id(2))
        );
        assert_eq!(Route::parse("/compare"), Route::Compare);
        assert_eq!(Route::parse("/launch"), Route::Launch);
        assert_eq!(Route::parse("/agents"), Route::List(Resource::Agents));
        assert_eq!(Route::parse("/debug/panic"), Route::Panic);
    }

    #[test]
    fn anything_else_is_not_found() {
        for p in [
            "/jobs/abc",
            "/jobs/0",
            "/jobs/-1",
            "/results/7/tests",
            "/nope",
            "/jobs/1/x",
        ] {
            assert_eq!(Route::parse(p), Route::NotFound, "{p}");
        }
    }
}
