//! Bad input gets a clear JSON 4xx and stores nothing.

use labrelay_itest::{unique, Api};
use serde_json::json;

fn job_count(api: &Api, tag: &str) -> u64 {
    api.get(&format!("/api/v1/jobs/?filter=tags@>{{{tag}}}&limit=1"))
        .expect(200)
        .body["links"]["total"]
        .as_u64()
        .expect("a total")
}

#[test]
fn malformed_json_and_wrong_types_are_400() {
    let api = Api::admin();
    let a = api
        .post_raw("/api/v1/jobs/", "application/json", b"{\"package_id\": ")
        .expect(400);
    assert!(a.error().starts_with("invalid JSON body: "), "{}", a.raw);
    let b = api
        .post("/api/v1/jobs/", &json!({"package_id": [1, 2]}))
        .expect(400);
    assert!(b.error().starts_with("invalid JSON body: "), "{}", b.raw);
    let c = api
        .post("/api/v1/packages/", &json!({"name": 12}))
        .expect(400);
    assert!(c.error().starts_with("invalid JSON body: "), "{}", c.raw);
    let d = api
        .post(
            "/api/v1/configs/",
            &json!({"name": unique("c"), "tags": "not-a-list"}),
        )
        .expect(400);
    assert!(d.error().starts_with("invalid JSON body: "), "{}", d.raw);
    api.post("/api/v1/jobs/", &json!({"package_id": "12x"}))
        .expect(400);
    api.post(
        "/api/v1/jobs/",
        &json!({"package_id": "1", "run_at": "tomorrow"}),
    )
    .expect(400);
    api.post_raw("/api/v1/jobs/", "application/json", b"[1,2,3]")
        .expect(400);
}

#[test]
fn nothing_is_stored_after_a_failed_launch() {
    let api = Api::admin();
    let tag = unique("t");
    let pkg = api.create("packages", json!({"name": unique("p")}));
    let body = json!({"package_id": pkg["id"], "device_id": "999999", "options": {"tags": [tag]}});
    api.post("/api/v1/jobs/", &body)
        .expect_error(404, "no such device");
    let bad_args = json!({"package_id": pkg["id"], "options": {"tags": [tag], "extra_cli_args": "-testvar 'open"}});
    api.post("/api/v1/jobs/", &bad_args).expect(400);
    assert_eq!(job_count(&api, &tag), 0);
}

#[test]
fn bodies_over_one_mebibyte_are_413() {
    let api = Api::admin();
    let name = unique("big");
    let huge = format!(
        "{{\"name\": \"{name}\", \"description\": \"{}\"}}",
        "x".repeat((1 << 20) + 10)
    );
    let a = api
        .post_raw("/api/v1/packages/", "application/json", huge.as_bytes())
        .expect(413);
    assert!(a.error().contains("too large"), "{}", a.raw);
    api.get(&format!("/api/v1/packages/?filter=name={name}"))
        .expect(200);
    assert_eq!(
        api.total(&format!("/api/v1/packages/?filter=name={name}")),
        0
    );
    // Just under the limit is a body the store reads (an unknown key is ignored)...
    let ok = format!(
        "{{\"name\": \"{name}\", \"padding\": \"{}\"}}",
        "x".repeat((1 << 20) - 100)
    );
    api.post_raw("/api/v1/packages/", "application/json", ok.as_bytes())
        .expect(200);
    // ... but no field may be that long.
    let long = format!(
        "{{\"name\": \"{name}-2\", \"description\": \"{}\"}}",
        "x".repeat(2001)
    );
    api.post_raw("/api/v1/packages/", "application/json", long.as_bytes())
        .expect_error(400, "description is at most 2000 bytes");
}

#[test]
fn unknown_routes_methods_and_ids() {
    let api = Api::admin();
    api.get_refused("/api/v1/nothing-here/", 404, "no such route");
    api.get_refused("/api/v1/jobs/1/extra/more", 404, "no such route");
    api.method("PUT", "/api/v1/jobs/")
        .expect_error(405, "method not allowed");
    api.method("DELETE", "/api/v1/packages/")
        .expect_error(405, "method not allowed");
    api.method("POST", "/api/v1/system/hostname/")
        .expect_error(405, "method not allowed");
    api.get_refused("/api/v1/jobs/999999/", 404, "no such job");
    api.get_refused("/api/v1/jobs/abc/", 404, "no such job");
    api.get_refused("/api/v1/packages/0/", 404, "no such package");
    api.get_refused("/api/v1/configs/999999", 404, "no such config");
    api.delete("/api/v1/devices/999999/")
        .expect_error(404, "no such device");
    api.patch("/api/v1/packages/999999/", &json!({"note": "x"}))
        .expect_error(404, "no such package");
    api.post("/api/v1/jobs/999999/stop", &json!({}))
        .expect_error(404, "no such job");
    api.post("/api/v1/jobs/?bulk=explode", &json!({}))
        .expect_error(400, "unsupported bulk operation \"explode\"");
}

#[test]
fn a_get_with_a_body_is_answered_not_a_500() {
    // Fuzzers (and some proxies) send GET with a body; the entry rebuilds the request for
    // its object, and a rebuilt GET may not carry one.
    let api = Api::admin();
    let body = json!({"interfaces": ["eth1"], "wait_secs": 0});
    for path in [
        "/api/v1/agent/claim",
        "/api/v1/jobs/1/",
        "/authenticate",
        "/labs/no-such-lab/api/v1/jobs/",
    ] {
        let answer = api.send("GET", path, &body);
        assert!(
            (400..500).contains(&answer.status) || answer.status == 200,
            "GET {path} with a body: {} {}",
            answer.status,
            answer.body
        );
    }
    api.send("GET", "/api/v1/jobs/?limit=1", &body).expect(200);
    // A user token on the agents' route is refused as it is without a body.
    api.send("GET", "/api/v1/agent/claim", &body)
        .expect_error(403, "insufficient privileges");
}

#[test]
fn trailing_slash_is_optional() {
    let api = Api::admin();
    api.get("/api/v1/jobs").expect(200);
    api.get("/api/v1/jobs/").expect(200);
    let pkg = api.create("packages", json!({"name": unique("p")}));
    let pid = pkg["id"].as_str().unwrap_or_default().to_string();
    api.get(&format!("/api/v1/packages/{pid}")).expect(200);
    api.get(&format!("/api/v1/packages/{pid}/")).expect(200);
}
