//! Bounded work per request: every input that would make the store do unbounded work gets a
//! clear 400/413 instead (and never a 5xx with SQL in it). The budget and its caps are in the
//! README's "Security" section; `cargo xtask bench hostile` measures what is left.

use labrelay_itest::own::basic_package;
use labrelay_itest::{unique, Answer, Api};
use serde_json::{json, Value};

#[track_caller]
fn refused(a: Answer, status: u16, starts: &str) {
    assert_eq!(a.status, status, "{}", a.raw);
    assert!(
        a.error().starts_with(starts),
        "{:?} does not start with {starts:?}",
        a.error()
    );
    assert!(!a.raw.to_ascii_lowercase().contains("sqlite"), "{}", a.raw);
}

#[test]
fn filters_pages_and_lists_are_capped() {
    let api = Api::admin();
    let many: String = (0..33)
        .map(|i| format!("filter=package_name={i}"))
        .collect::<Vec<_>>()
        .join("&");
    let array = (0..65)
        .map(|i| format!("t{i}"))
        .collect::<Vec<_>>()
        .join(",");
    for (path, message) in [
        (
            format!("/api/v1/jobs/?{many}"),
            "too many filters: at most 32 in one request",
        ),
        (
            "/api/v1/jobs/?page=18446744073709551615".into(),
            "invalid page \"18446744073709551615\": at most 1000000",
        ),
        ("/api/v1/jobs/?limit=1001".into(), "invalid limit \"1001\""),
        (
            format!("/api/v1/jobs/?filter=tags@>{{{array}}}"),
            "invalid filter",
        ),
    ] {
        refused(api.get(&path), 400, message);
    }
    // A compiled pattern past its size budget.
    refused(
        api.get("/api/v1/jobs/?filter=package_name~(%5Cw%7B100%7D)%7B100%7D"),
        400,
        "invalid filter",
    );
}

#[test]
fn limit_none_returns_at_most_a_page_of_1000() {
    let api = Api::admin();
    let tag = unique("many");
    let pkg = basic_package(&api);
    for n in [1000, 1] {
        let jobs: Vec<Value> = (0..n)
            .map(|_| json!({"package_id": pkg["id"], "run_at": "2199-01-01T00:00:00Z", "options": {"tags": [tag]}}))
            .collect();
        api.post("/api/v1/jobs/?bulk=launch", &json!({ "jobs": jobs }))
            .expect(200);
    }
    let f = format!("filter=tags@>{{{tag}}}");
    refused(
        api.get(&format!("/api/v1/jobs/?{f}&limit=none")),
        400,
        "filter too costly: limit=none would return 1001 rows; at most 1000",
    );
    let last = api
        .get(&format!("/api/v1/jobs/?{f}&limit=1000&page=2"))
        .expect(200);
    assert_eq!(last.data().as_array().map(Vec::len), Some(1));
    // A bulk selection is capped too: 1001 is one too many, by filter or `all`.
    refused(
        api.post(&format!("/api/v1/jobs/?bulk=delete&{f}"), &json!({})),
        400,
        "the selection holds 1001 jobs: at most 1000 in one bulk request",
    );
    let first_page: Vec<Value> = last.data().as_array().cloned().unwrap_or_default();
    let ids: Vec<Value> = first_page.iter().map(|j| json!({"id": j["id"]})).collect();
    api.post("/api/v1/jobs/?bulk=delete", &json!({ "jobs": ids }))
        .expect(204);
    api.post(&format!("/api/v1/jobs/?bulk=delete&{f}"), &json!({}))
        .expect(204);
}

#[test]
fn bulk_launch_and_configs_are_capped() {
    let api = Api::admin();
    let pkg = basic_package(&api);
    let jobs: Vec<Value> = (0..1001)
        .map(|_| json!({"package_id": pkg["id"], "run_at": "2199-01-01T00:00:00Z"}))
        .collect();
    refused(
        api.post("/api/v1/jobs/?bulk=launch", &json!({ "jobs": jobs })),
        400,
        "1001 jobs: at most 1000 in one bulk launch",
    );
    let testvars: Vec<Value> = (0..201)
        .map(|i| json!({"name": format!("v{i}"), "value": "1"}))
        .collect();
    refused(
        api.post(
            "/api/v1/jobs/",
            &json!({"package_id": pkg["id"], "options": {"testvars": testvars}}),
        ),
        400,
        "at most 200 testvars",
    );
    let huge = "# x\n".repeat(600 << 10 >> 2);
    let a = api.post(
        "/api/v1/configs/",
        &json!({"name": unique("cfg"), "contents": huge}),
    );
    assert!(matches!(a.status, 400 | 413), "{}", a.raw);
}

#[test]
fn costly_regular_expressions_are_refused_not_run() {
    let api = Api::admin();
    // A config of random bits (never repeating): the text on which `1[01]{20}x` needs a new
    // automaton state for nearly every byte.
    let mut x: u32 = 99;
    let contents: String = (0..(480 << 10))
        .map(|i| {
            if i % 66 == 65 {
                return '\n';
            }
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            if (x >> 16).is_multiple_of(2) {
                '0'
            } else {
                '1'
            }
        })
        .collect();
    let name = unique("bits");
    api.create("configs", json!({"name": name, "contents": contents}));
    refused(
        api.get(&format!(
            "/api/v1/configs/?filter=name={name}&filter=contents~1%5B01%5D%7B20%7Dx"
        )),
        400,
        "filter too costly: the regular expression \"1[01]{20}x\" is too costly to match here",
    );
    // An ordinary one on the same text answers.
    assert_eq!(
        api.total(&format!(
            "/api/v1/configs/?filter=name={name}&filter=contents~0101"
        )),
        1
    );
    // `^a|b` is `(^a)|b`: the prefix shortcut must not drop the `b` rows.
    let b = api
        .get(&format!("/api/v1/configs/?filter=name~^zzz-no-such|{name}"))
        .expect(200);
    assert_eq!(b.body["links"]["total"], 1, "{}", b.raw);
}

/// Sorting more than 20,000 rows in an order no index serves is refused; an indexed order
/// answers. Jobs far in the future (never dispatched), deleted at the end.
#[test]
fn long_lists_sort_only_in_indexed_orders() {
    let api = Api::admin();
    let tag = unique("sorted");
    let pkg = basic_package(&api);
    // The documented cap (docs/api.md, "Sorting").
    let max = 20_000;
    let mut left = max + 1;
    while left > 0 {
        let n = left.min(1000);
        let jobs: Vec<Value> = (0..n)
            .map(|_| json!({"package_id": pkg["id"], "run_at": "2199-01-01T00:00:00Z", "options": {"tags": [tag]}}))
            .collect();
        api.post("/api/v1/jobs/?bulk=launch", &json!({ "jobs": jobs }))
            .expect(200);
        left -= n;
    }
    let f = format!("filter=tags@>{{{tag}}}");
    refused(
        api.get(&format!("/api/v1/jobs/?{f}&sort=updated&limit=5")),
        400,
        &format!(
            "sort too costly: sorting {} rows by a field without an index",
            max + 1
        ),
    );
    // Each column the app's jobs table sorts by has an index.
    for sort in [
        "-id",
        "-package_name",
        "status",
        "device_name",
        "-config_name",
        "-created",
        "run_at",
        "-result_id",
    ] {
        assert_eq!(
            api.total(&format!("/api/v1/jobs/?{f}&sort={sort}&limit=5")),
            max + 1,
            "{sort}"
        );
    }
    // Narrowed by a filter, any order answers.
    let first = api
        .get(&format!("/api/v1/jobs/?{f}&sort=id&limit=1"))
        .expect(200);
    let first_id = first.data()[0]["id"].as_str().unwrap_or("0").to_string();
    assert_eq!(
        api.total(&format!(
            "/api/v1/jobs/?{f}&filter=id<={first_id}&sort=-updated"
        )),
        1
    );
    loop {
        let page = api
            .get(&format!("/api/v1/jobs/?{f}&limit=1000"))
            .expect(200);
        let ids: Vec<Value> = page
            .data()
            .as_array()
            .map(|a| a.iter().map(|j| json!({"id": j["id"]})).collect())
            .unwrap_or_default();
        if ids.is_empty() {
            break;
        }
        api.post("/api/v1/jobs/?bulk=delete", &json!({ "jobs": ids }))
            .expect(204);
    }
}
