//! Paging, filtering and sorting over HTTP, on jobs carrying a tag only this test uses.

use labrelay_itest::{unique, Api};
use serde_json::{json, Value};

/// 30 jobs tagged `tag`, alternating between two packages.
fn thirty_jobs(api: &Api) -> (String, Vec<u64>, String) {
    let tag = unique("page");
    let prefix = unique("nat");
    let p1 = api.create("packages", json!({"name": format!("{prefix}-a")}));
    let p2 = api.create("packages", json!({"name": unique("dhcp")}));
    let jobs: Vec<Value> = (0..30)
        .map(|i| json!({"package_id": if i % 2 == 0 { &p1["id"] } else { &p2["id"] }, "options": {"tags": [tag]}}))
        .collect();
    let made = api
        .post("/api/v1/jobs/?bulk=launch", &json!({"jobs": jobs}))
        .expect(200);
    let ids = made
        .data()
        .as_array()
        .expect("jobs")
        .iter()
        .map(|j| j["id"].as_str().and_then(|s| s.parse().ok()).expect("id"))
        .collect();
    (tag, ids, prefix)
}

fn ids_of(v: &Value) -> Vec<u64> {
    v["data"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|j| j["id"].as_str().and_then(|s| s.parse().ok()).expect("id"))
        .collect()
}

#[test]
fn paging_links_follow_the_contract() {
    let api = Api::admin();
    let (tag, ids, _) = thirty_jobs(&api);
    let f = format!("filter=tags@>{{{tag}}}");
    let p1 = api.get(&format!("/api/v1/jobs/?{f}&limit=10")).expect(200);
    assert_eq!(
        p1.body["links"],
        json!({"first": 1, "last": 3, "current": 1, "limit": 10, "total": 30, "next": 2})
    );
    assert_eq!(ids_of(&p1.body), ids[..10]);
    let p2 = api
        .get(&format!("/api/v1/jobs/?{f}&limit=10&page=2"))
        .expect(200);
    assert_eq!(p2.body["links"]["prev"], 1);
    assert_eq!(p2.body["links"]["next"], 3);
    assert_eq!(ids_of(&p2.body), ids[10..20]);
    let p3 = api
        .get(&format!("/api/v1/jobs/?{f}&limit=10&page=3"))
        .expect(200);
    assert!(
        p3.body["links"].get("next").is_none(),
        "no next on the last page"
    );
    let past = api
        .get(&format!("/api/v1/jobs/?{f}&limit=10&page=9"))
        .expect(200);
    assert_eq!(past.data(), &json!([]));
    assert_eq!(past.body["links"]["total"], 30);
    let all = api
        .get(&format!("/api/v1/jobs/?{f}&limit=none"))
        .expect(200);
    assert_eq!(ids_of(&all.body).len(), 30);
    let default = api.get(&format!("/api/v1/jobs/?{f}")).expect(200);
    assert_eq!(default.body["links"]["limit"], 25);
    assert_eq!(ids_of(&default.body).len(), 25);
}

#[test]
fn an_empty_list_has_zero_links() {
    let api = Api::admin();
    let tag = unique("none");
    let a = api
        .get(&format!("/api/v1/jobs/?filter=tags@>{{{tag}}}"))
        .expect(200);
    assert_eq!(a.data(), &json!([]));
    let links = &a.body["links"];
    for k in ["total", "current", "first", "last"] {
        assert_eq!(links[k], 0, "{k}: {links}");
    }
    assert!(links.get("next").is_none() && links.get("prev").is_none());
}

#[test]
fn sort_and_numeric_regex_and_union_filters() {
    let api = Api::admin();
    let (tag, ids, prefix) = thirty_jobs(&api);
    let f = format!("filter=tags@>{{{tag}}}");
    let desc = api
        .get(&format!("/api/v1/jobs/?{f}&sort=-id&limit=5"))
        .expect(200);
    let mut want: Vec<u64> = ids.iter().rev().take(5).copied().collect();
    assert_eq!(ids_of(&desc.body), want);

    // Ids compare as numbers.
    let cut = ids[20];
    let ge = api
        .get(&format!("/api/v1/jobs/?{f}&filter=id>={cut}&limit=none"))
        .expect(200);
    assert_eq!(ids_of(&ge.body), ids[20..]);

    // Regex on the package name (evaluated outside SQL), combined with a SQL filter.
    let re = api
        .get(&format!(
            "/api/v1/jobs/?{f}&filter=package_name~^{prefix}&limit=none"
        ))
        .expect(200);
    want = ids.iter().step_by(2).copied().collect();
    assert_eq!(ids_of(&re.body), want);
    assert_eq!(re.body["links"]["total"], 15);
    let upper = prefix.to_uppercase();
    assert_eq!(
        api.total(&format!(
            "/api/v1/jobs/?{f}&filter=package_name~*^{upper}&limit=none"
        )),
        15
    );
    let not = api
        .get(&format!(
            "/api/v1/jobs/?{f}&filter=package_name!~^{prefix}&limit=3&page=2"
        ))
        .expect(200);
    assert_eq!(not.body["links"]["total"], 15);
    assert_eq!(
        ids_of(&not.body),
        ids.iter()
            .skip(1)
            .step_by(2)
            .skip(3)
            .take(3)
            .copied()
            .collect::<Vec<_>>()
    );

    // Union: either of two ids.
    let u = api
        .get(&format!(
            "/api/v1/jobs/?filter=id={}&filter=id={}&type=union",
            ids[0], ids[29]
        ))
        .expect(200);
    assert_eq!(ids_of(&u.body), [ids[0], ids[29]]);

    // Sort by a string, then id.
    let s = api
        .get(&format!(
            "/api/v1/jobs/?{f}&sort=package_name,-id&limit=none"
        ))
        .expect(200);
    let got = ids_of(&s.body);
    assert_eq!(got.len(), 30);
    assert_eq!(
        got[0], ids[29],
        "{prefix}-a sorts after dhcp-..., so dhcp jobs come first, newest first"
    );
}

#[test]
fn bad_queries_are_400_naming_the_problem() {
    let api = Api::admin();
    for (query, message) in [
        (
            "filter=foo~~",
            "invalid filter \"foo~~\": unknown field \"foo\"",
        ),
        ("page=0", "invalid page \"0\": must be a positive integer"),
        (
            "limit=abc",
            "invalid limit \"abc\": must be a positive integer up to 1000 or none",
        ),
        (
            "limit=1001",
            "invalid limit \"1001\": must be a positive integer up to 1000 or none",
        ),
        (
            "sort=bogus",
            "invalid sort \"bogus\": unknown field \"bogus\"",
        ),
        (
            "type=maybe",
            "invalid type \"maybe\": must be inter or union",
        ),
    ] {
        api.get(&format!("/api/v1/jobs/?{query}"))
            .expect_error(400, message);
    }
    for query in [
        "filter=id>abc",
        "filter=package_name~(",
        "filter=status@>{a}",
        "filter=created>yesterday",
        "filter=nooperator",
        "detailed=perhaps",
    ] {
        let a = api.get(&format!("/api/v1/jobs/?{query}")).expect(400);
        assert!(!a.error().is_empty(), "{query}: {}", a.raw);
    }
}

#[test]
fn booleans_times_and_nested_fields_filter() {
    let api = Api::admin();
    let (tag, ids, _) = thirty_jobs(&api);
    let f = format!("filter=tags@>{{{tag}}}");
    assert_eq!(
        api.total(&format!(
            "/api/v1/jobs/?{f}&filter=active=false&filter=automatic=FALSE"
        )),
        30
    );
    assert_eq!(
        api.total(&format!("/api/v1/jobs/?{f}&filter=active=true")),
        0
    );
    assert_eq!(
        api.total(&format!(
            "/api/v1/jobs/?{f}&filter=created<2000-01-01T00:00:00Z"
        )),
        0
    );
    assert_eq!(
        api.total(&format!(
            "/api/v1/jobs/?{f}&filter=created>2000-01-01T00:00:00%2B02:00"
        )),
        30
    );
    assert_eq!(
        api.total(&format!(
            "/api/v1/jobs/?filter=options.tags@>{{{tag}}}&filter=options.begin_at="
        )),
        30
    );
    assert_eq!(ids.len(), 30);
}
