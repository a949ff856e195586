//! The contract: the OpenAPI document is served as it is in the repo, to anyone; and what
//! schemathesis found while checking the worker against it.

use labrelay_itest::Api;
use serde_json::json;

#[test]
fn the_openapi_document_is_served_without_a_token() {
    let served = Api::anonymous().get("/api/v1/openapi.json").expect(200);
    let file =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json"))
            .expect("docs/openapi.json");
    assert_eq!(served.raw, file, "the served document is docs/openapi.json");
    assert_eq!(served.body["openapi"], "3.1.0");
    Api::anonymous().get("/api/v1/openapi.json/").expect(200);
    Api::admin()
        .send("POST", "/api/v1/openapi.json", &json!({}))
        .expect_error(405, "method not allowed");
}

/// The worker crate reads a method it does not know as GET: `QUERY /api/v1/jobs/1/log` read
/// the log (schemathesis' coverage phase sent it). Such methods are refused (workerd itself
/// answers most unknown ones, PROPFIND for one, with 501 before the worker sees them).
#[test]
fn unknown_methods_are_not_read_as_get() {
    let api = Api::admin();
    for method in ["QUERY"] {
        for path in [
            "/api/v1/jobs/",
            "/api/v1/system/hostname/",
            "/api/v1/openapi.json",
        ] {
            api.send(method, path, &json!({}))
                .expect_error(405, "method not allowed");
        }
    }
    api.get("/api/v1/system/hostname/").expect(200);
}
