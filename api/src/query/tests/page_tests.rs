//! Paging: links for every position, offsets and SQL limits, and the JSON shape of links.

use super::*;

fn req(page: u64, limit: Option<u64>) -> PageRequest {
    PageRequest { page, limit }
}

fn links(
    first: u64,
    last: u64,
    current: u64,
    limit: u64,
    total: u64,
    next: Option<u64>,
    prev: Option<u64>,
) -> Links {
    Links {
        first,
        last,
        current,
        limit,
        total,
        next,
        prev,
    }
}

#[test]
fn links_for_every_position() {
    let cases = [
        // Empty: all zeros except limit, whatever page was asked for.
        (req(1, Some(25)), 0, links(0, 0, 0, 25, 0, None, None)),
        (req(3, Some(25)), 0, links(0, 0, 0, 25, 0, None, None)),
        // One page.
        (req(1, Some(25)), 10, links(1, 1, 1, 25, 10, None, None)),
        (req(1, Some(25)), 25, links(1, 1, 1, 25, 25, None, None)),
        // First, middle and last of several.
        (
            req(1, Some(25)),
            100,
            links(1, 4, 1, 25, 100, Some(2), None),
        ),
        (
            req(2, Some(25)),
            100,
            links(1, 4, 2, 25, 100, Some(3), Some(1)),
        ),
        (
            req(4, Some(25)),
            100,
            links(1, 4, 4, 25, 100, None, Some(3)),
        ),
        (
            req(5, Some(25)),
            101,
            links(1, 5, 5, 25, 101, None, Some(4)),
        ),
        (req(1, Some(25)), 26, links(1, 2, 1, 25, 26, Some(2), None)),
        // Past the end: same totals, current as asked; prev only if it exists.
        (
            req(5, Some(25)),
            100,
            links(1, 4, 5, 25, 100, None, Some(4)),
        ),
        (req(9, Some(25)), 100, links(1, 4, 9, 25, 100, None, None)),
        // limit=none: one page of everything.
        (req(1, None), 42, links(1, 1, 1, 42, 42, None, None)),
        (req(2, None), 42, links(1, 1, 2, 42, 42, None, Some(1))),
        (req(1, None), 0, links(0, 0, 0, 0, 0, None, None)),
        // The largest limit.
        (
            req(2, Some(1000)),
            2500,
            links(1, 3, 2, 1000, 2500, Some(3), Some(1)),
        ),
        (req(1, Some(1)), 3, links(1, 3, 1, 1, 3, Some(2), None)),
        // No overflow at the extremes.
        (
            req(u64::MAX, Some(1)),
            u64::MAX,
            links(1, u64::MAX, u64::MAX, 1, u64::MAX, None, Some(u64::MAX - 1)),
        ),
    ];
    for (r, total, want) in cases {
        assert_eq!(r.links(total), want, "{r:?} total {total}");
    }
}

#[test]
fn offsets_and_sql_limits() {
    let cases = [
        (req(1, Some(25)), 0, 25),
        (req(3, Some(25)), 50, 25),
        (req(2, Some(1000)), 1000, 1000),
        (req(1, None), 0, -1),
        (req(2, None), 0, 0),
        (req(u64::MAX, Some(1000)), i64::MAX, 1000),
    ];
    for (r, offset, limit) in cases {
        assert_eq!((r.offset(), r.sql_limit()), (offset, limit), "{r:?}");
    }
    assert_eq!(PageRequest::default(), req(1, Some(DEFAULT_LIMIT)));
    assert_eq!(MAX_LIMIT, 1000);
}

#[test]
fn parse_page_and_limit() {
    assert_eq!(PageRequest::parse_page("7"), Ok(7));
    assert_eq!(PageRequest::parse_limit("1"), Ok(Some(1)));
    assert_eq!(PageRequest::parse_limit("1000"), Ok(Some(1000)));
    assert_eq!(PageRequest::parse_limit("none"), Ok(None));
    assert_eq!(
        PageRequest::parse_limit("1001").map_err(|e| e.to_string()),
        Err(r#"invalid limit "1001": must be a positive integer up to 1000 or none"#.to_string())
    );
    assert_eq!(
        PageRequest::parse_page("0").map_err(|e| e.to_string()),
        Err(r#"invalid page "0": must be a positive integer"#.to_string())
    );
}

#[test]
fn links_json_omits_missing_next_and_prev() {
    let only_next = req(1, Some(25)).links(30);
    assert_eq!(
        serde_json::to_value(only_next).expect("json"),
        serde_json::json!({"first": 1, "last": 2, "current": 1, "limit": 25, "total": 30, "next": 2})
    );
    let empty = req(1, Some(25)).links(0);
    assert_eq!(
        serde_json::to_value(empty).expect("json"),
        serde_json::json!({"first": 0, "last": 0, "current": 0, "limit": 25, "total": 0})
    );
    let back: Links =
        serde_json::from_str(r#"{"first":1,"last":2,"current":2,"limit":25,"total":30,"prev":1}"#)
            .expect("parse");
    assert_eq!(back, req(2, Some(25)).links(30));
}
