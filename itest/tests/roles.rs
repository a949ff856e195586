//! Who may do what: an admin anything; a user reads everything and changes what it owns
//! (jobs, results, packages, configs, devices); a read-only user only reads. Refusals are 403
//! with the reason.

use labrelay_itest::own::{bulk_delete_tagged, config};
use labrelay_itest::{id, unique, Api};
use serde_json::json;

fn user(readonly: bool) -> Api {
    let u = Api::admin().create(
        "users",
        json!({"name": unique("role"), "password": "role-password", "readonly": readonly}),
    );
    assert_eq!(u["readonly"], readonly);
    Api::with_token(Some(u["token"].as_str().expect("token").to_string()))
}

/// A config, a package and a pending job (held for the year 2199, so no agent takes it).
fn records(api: &Api, tag: &str) -> (String, String, String) {
    let cfg = config(api, "testvar lanInterface eth1\n");
    let pkg = api.create(
        "packages",
        json!({"name": unique("pkg"), "testlist": ["cdrouter_basic_1"], "config_id": cfg["id"]}),
    );
    let job = api.create(
        "jobs",
        json!({"package_id": pkg["id"], "run_at": "2199-01-01T00:00:00Z", "options": {"tags": [tag]}}),
    );
    (id(&cfg), id(&pkg), id(&job))
}

fn jobs_tagged(api: &Api, tag: &str) -> u64 {
    api.get(&format!("/api/v1/jobs/?filter=tags@>{{{tag}}}&limit=none"))
        .expect(200)
        .body["links"]["total"]
        .as_u64()
        .unwrap_or(0)
}

#[test]
fn only_owners_and_admins_change_records() {
    let (alice, bob) = (user(false), user(false));
    let tag = unique("owned");
    let (cfg, pkg, job) = records(&alice, &tag);
    let not_owner = "insufficient privileges: only its owner or an admin may change this";

    // Bob reads everything of Alice's, and changes nothing of it.
    bob.get(&format!("/api/v1/jobs/{job}/")).expect(200);
    bob.get(&format!("/api/v1/configs/{cfg}/")).expect(200);
    bob.patch(&format!("/api/v1/configs/{cfg}/"), &json!({"note": "bob"}))
        .expect_error(403, &format!("{not_owner} config"));
    bob.delete(&format!("/api/v1/packages/{pkg}/"))
        .expect_error(403, &format!("{not_owner} package"));
    bob.patch(
        &format!("/api/v1/jobs/{job}/"),
        &json!({"options": {"tags": ["bob"]}}),
    )
    .expect_error(403, &format!("{not_owner} job"));
    bob.post(&format!("/api/v1/jobs/{job}/stop"), &json!({}))
        .expect_error(403, &format!("{not_owner} job"));
    bob.delete(&format!("/api/v1/jobs/{job}/"))
        .expect_error(403, &format!("{not_owner} job"));
    // A bulk delete of everything touches only Bob's own.
    let (_, _, bobs_job) = records(&bob, &tag);
    assert_eq!(jobs_tagged(&bob, &tag), 2);
    bulk_delete_tagged(&bob, "jobs", &tag);
    assert_eq!(
        jobs_tagged(&bob, &tag),
        1,
        "Alice's job survives Bob's bulk delete"
    );
    bob.get_refused(&format!("/api/v1/jobs/{bobs_job}/"), 404, "no such job");
    bob.get(&format!("/api/v1/configs/{cfg}/")).expect(200);

    // Unknown ids stay 404 (not 403): nothing is learnt about them.
    bob.delete("/api/v1/jobs/999999999/")
        .expect_error(404, "no such job");

    // Alice, and an admin, may.
    alice
        .patch(&format!("/api/v1/configs/{cfg}/"), &json!({"note": "mine"}))
        .expect(200);
    alice
        .post(&format!("/api/v1/jobs/{job}/stop"), &json!({}))
        .expect(200);
    Api::admin()
        .delete(&format!("/api/v1/jobs/{job}/"))
        .expect(204);
    Api::admin()
        .delete(&format!("/api/v1/packages/{pkg}/"))
        .expect(204);
}

#[test]
fn a_read_only_user_reads_and_changes_nothing() {
    let (owner, reader) = (user(false), user(true));
    let tag = unique("ro");
    let (cfg, pkg, job) = records(&owner, &tag);
    reader.get(&format!("/api/v1/jobs/{job}/")).expect(200);
    reader.get("/api/v1/packages/").expect(200);
    let ro = "insufficient privileges: a read-only user may not change anything";
    reader
        .post(
            "/api/v1/jobs/",
            &json!({"package_id": pkg, "run_at": "2199-01-01T00:00:00Z"}),
        )
        .expect_error(403, ro);
    reader
        .post("/api/v1/configs/", &json!({"name": unique("cfg")}))
        .expect_error(403, ro);
    reader
        .post(
            &format!("/api/v1/configs/?bulk=delete&filter=id={cfg}"),
            &json!({}),
        )
        .expect_error(403, ro);
    reader
        .post("/api/v1/jobs/?bulk=delete&all=true", &json!({}))
        .expect_error(403, ro);
    // Previewing a launch's interfaces changes nothing: allowed.
    reader
        .post(
            "/api/v1/jobs/?process=interfaces",
            &json!({"package_id": pkg}),
        )
        .expect(200);
    assert_eq!(jobs_tagged(&owner, &tag), 1);
}
