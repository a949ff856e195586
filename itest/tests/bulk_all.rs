//! `all=true` bulk deletes touch every job, so they run in a binary of their own (cargo runs
//! test binaries one after another; the tests inside one binary run in parallel).

use labrelay_itest::{unique, Api};
use serde_json::json;

#[test]
fn bulk_delete_all_removes_every_job_that_is_not_running() {
    let api = Api::admin();
    let pkg = api.create("packages", json!({"name": unique("pkg")}));
    for _ in 0..3 {
        api.create("jobs", json!({"package_id": pkg["id"]}));
    }
    api.post("/api/v1/jobs/?bulk=delete&all=true", &json!({}))
        .expect(204);
    assert_eq!(api.total("/api/v1/jobs/?filter=status!=running"), 0);
    api.post("/api/v1/jobs/?bulk=delete&all=maybe", &json!({}))
        .expect(400);
}
