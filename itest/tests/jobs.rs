//! Jobs: launch, interfaces, edit, stop, delete, bulk launch (all-or-nothing), bulk delete.

use labrelay_itest::own::{bulk_delete_tagged, config};
use labrelay_itest::{id, strings, unique, Api};
use serde_json::{json, Value};

struct Fixture {
    api: Api,
    package: Value,
    config: Value,
    device: Value,
    tag: String,
}

fn fixture() -> Fixture {
    let api = Api::admin();
    let config = config(
        &api,
        "testvar lanInterface eth1\ntestvar wanInterface wifi0\n",
    );
    let device = api.create("devices", json!({"name": unique("dev")}));
    let package = api.create(
        "packages",
        json!({"name": unique("pkg"), "testlist": ["cdrouter_basic_1", "cdrouter_nat_1"],
               "config_id": config["id"], "device_id": device["id"]}),
    );
    Fixture {
        api,
        package,
        config,
        device,
        tag: unique("tag"),
    }
}

fn count(api: &Api, tag: &str) -> u64 {
    api.get(&format!("/api/v1/jobs/?filter=tags@>{{{tag}}}&limit=1"))
        .expect(200)
        .body["links"]["total"]
        .as_u64()
        .unwrap_or(u64::MAX)
}

#[test]
fn launch_fills_names_interfaces_and_defaults() {
    let f = fixture();
    let job = f.api.post_data(
        "/api/v1/jobs/",
        &json!({"package_id": f.package["id"], "options": {
                "tags": [f.tag], "skip_tests": ["cdrouter_basic_1"],
                "begin_at": "cdrouter_basic_1", "end_at": "cdrouter_nat_1", "extra_cli_args": ""}}),
    );
    assert_eq!(job["status"], "pending");
    assert_eq!(job["active"], false);
    assert_eq!(job["package_name"], f.package["name"]);
    // As in CDRouter: no config or device given keeps "0" (the package's own, used when it
    // runs); the interfaces come from the package's config.
    assert_eq!(
        job["config_id"], "0",
        "the package's own config, resolved when it runs"
    );
    assert_eq!(job["config_name"], "");
    assert_eq!(job["device_id"], "0");
    assert_eq!(job["device_name"], "");
    assert_eq!(job["user_id"], "1");
    assert_eq!(job["result_id"], Value::Null);
    assert_eq!(job["interface_names"], json!(["eth1", "wifi0"]));
    assert_eq!(job["uses_wireless"], true);
    assert_eq!(job["uses_ics"], false);
    assert_eq!(job["ics_interface_name"], "");
    assert_eq!(job["options"]["skip_tests"], json!(["cdrouter_basic_1"]));
    assert_eq!(job["options"]["begin_at"], "cdrouter_basic_1");
    assert!(job["created"]
        .as_str()
        .is_some_and(|t| t.contains('.') && t.ends_with('Z')));

    let got = f
        .api
        .get(&format!("/api/v1/jobs/{}/", id(&job)))
        .expect(200);
    assert_eq!(got.data(), &job);

    // Given explicitly, a device is kept with its name.
    let pinned = f.api.create(
        "jobs",
        json!({"package_id": f.package["id"], "device_id": f.device["id"],
               "options": {"tags": [f.tag]}}),
    );
    assert_eq!(pinned["device_id"], f.device["id"]);
    assert_eq!(pinned["device_name"], f.device["name"]);
}

#[test]
fn launch_checks_references() {
    let f = fixture();
    f.api
        .post("/api/v1/jobs/", &json!({"package_id": "999999"}))
        .expect_error(404, "no such package");
    f.api
        .post("/api/v1/jobs/", &json!({}))
        .expect_error(400, "package_id is required");
    f.api
        .post("/api/v1/jobs/", &json!({"package_id": 0}))
        .expect_error(400, "package_id is required");
    f.api
        .post(
            "/api/v1/jobs/",
            &json!({"package_id": f.package["id"], "config_id": 999999}),
        )
        .expect_error(404, "no such config");
    // Ids as numbers work like strings.
    let pid: u64 = f.package["id"].as_str().unwrap_or("0").parse().unwrap_or(0);
    f.api
        .post(
            "/api/v1/jobs/",
            &json!({"package_id": pid, "device_id": null, "id": "5", "status": "running"}),
        )
        .expect(200);
}

#[test]
fn testvars_and_cli_args_override_the_config_interfaces() {
    let f = fixture();
    let body = json!({
        "package_id": f.package["id"],
        "options": {
            "testvars": [{"group": "main", "name": "icsInterface", "value": "eth7", "action": "set-testvar"}],
            "extra_cli_args": "-testvar lanInterface=eth5"
        }
    });
    let preview = f
        .api
        .post("/api/v1/jobs/?process=interfaces", &body)
        .expect(200);
    let values = strings(preview.data(), "value");
    assert_eq!(values, ["eth5", "wifi0", "eth7"]);
    let job = f.api.post("/api/v1/jobs/", &body).expect(200);
    assert_eq!(job.data()["uses_ics"], true);
    assert_eq!(job.data()["ics_interface_name"], "eth7");
    assert_eq!(job.data()["options"]["testvars"][0]["name"], "icsInterface");
}

#[test]
fn process_interfaces_creates_no_job() {
    let f = fixture();
    let before = f.api.get("/api/v1/jobs/?limit=1").expect(200).body["links"]["total"].clone();
    let body = json!({"package_id": f.package["id"], "options": {"tags": [f.tag]}});
    f.api
        .post("/api/v1/jobs/?process=interfaces", &body)
        .expect(200);
    assert_eq!(count(&f.api, &f.tag), 0);
    let _ = before;
    f.api
        .post("/api/v1/jobs/?process=teleport", &body)
        .expect_error(400, "unsupported process \"teleport\"");
}

#[test]
fn run_at_in_the_future_is_kept_and_the_past_means_now() {
    let f = fixture();
    let launch_at = |run_at: &str| {
        f.api.post(
            "/api/v1/jobs/",
            &json!({"package_id": f.package["id"], "run_at": run_at}),
        )
    };
    let later = launch_at("2199-01-01T00:00:00Z").expect(200);
    assert_eq!(later.data()["run_at"], "2199-01-01T00:00:00.000000000Z");
    // Any valid time, to the end of 9999 (past 2255 kept to the second).
    let far = launch_at("9999-12-31T23:59:59.5Z").expect(200);
    assert_eq!(far.data()["run_at"], "9999-12-31T23:59:59.000000000Z");
    let id = far.data()["id"].as_str().unwrap_or("0").to_string();
    assert_eq!(
        f.api.get(&format!("/api/v1/jobs/{id}/")).expect(200).data()["run_at"],
        "9999-12-31T23:59:59.000000000Z"
    );
    launch_at("10000-01-01T00:00:00Z").expect(400);
    assert_eq!(later.data()["status"], "pending");
    let past = launch_at("2001-01-01T00:00:00-05:00").expect(200);
    let run_at = past.data()["run_at"].as_str().unwrap_or("");
    assert!(run_at > "2020", "a past run_at becomes now: {run_at}");
}

#[test]
fn edit_while_pending_recomputes_and_refuses_afterwards() {
    let f = fixture();
    let other = config(&f.api, "testvar lanInterface eth6\n");
    let job = f.api.create("jobs", json!({"package_id": f.package["id"]}));
    let path = format!("/api/v1/jobs/{}/", id(&job));
    let edited = f
        .api
        .patch(&path, &json!({"config_id": other["id"], "options": {"tags": ["edited"]}, "status": "completed"}))
        .expect(200);
    assert_eq!(edited.data()["config_name"], other["name"]);
    assert_eq!(edited.data()["interface_names"], json!(["eth6", "eth2"]));
    assert_eq!(edited.data()["options"]["tags"], json!(["edited"]));
    assert_eq!(edited.data()["status"], "pending");

    f.api.post(&format!("{path}stop"), &json!({})).expect(200);
    let stopped = f.api.get(&path).expect(200);
    assert_eq!(stopped.data()["status"], "stopped");
    f.api
        .patch(&path, &json!({"options": {"tags": ["late"]}}))
        .expect_error(409, "job is stopped: only a pending job can be edited");
    f.api
        .post(&format!("{path}stop"), &json!({}))
        .expect_error(409, "job has already finished: stopped");
    f.api.delete(&path).expect(204);
    f.api.get_refused(&path, 404, "no such job");
}

#[test]
fn a_pending_job_on_its_packages_own_config_follows_a_new_package() {
    let f = fixture();
    let cfg = config(
        &f.api,
        "testvar lanInterface eth7\ntestvar wanInterface eth8\n",
    );
    let pkg = f.api.create(
        "packages",
        json!({"name": unique("pkg"), "testlist": ["cdrouter_basic_1"], "config_id": cfg["id"]}),
    );
    let job = f.api.create(
        "jobs",
        json!({"package_id": f.package["id"], "run_at": "2099-01-01T00:00:00Z"}),
    );
    assert_eq!(job["config_id"], "0");
    let path = format!("/api/v1/jobs/{}/", id(&job));
    // Another package: its own config now, so its interfaces.
    let moved = f
        .api
        .patch(&path, &json!({"package_id": pkg["id"]}))
        .expect(200);
    assert_eq!(moved.data()["config_id"], "0");
    assert_eq!(moved.data()["interface_names"], json!(["eth7", "eth8"]));
    // An explicit config stays explicit.
    let pinned = f
        .api
        .patch(&path, &json!({"config_id": f.config["id"]}))
        .expect(200);
    assert_eq!(pinned.data()["config_name"], f.config["name"]);
    let back = f.api.patch(&path, &json!({"config_id": "0"})).expect(200);
    assert_eq!(
        (
            back.data()["config_id"].as_str(),
            back.data()["config_name"].as_str()
        ),
        (Some("0"), Some(""))
    );
    f.api.delete(&path).expect(204);
}

#[test]
fn bulk_launch_is_all_or_nothing() {
    let f = fixture();
    let ok = json!({"package_id": f.package["id"], "options": {"tags": [f.tag]}});
    let bad = json!({"package_id": "999999", "options": {"tags": [f.tag]}});
    let a = f
        .api
        .post("/api/v1/jobs/?bulk=launch", &json!({"jobs": [ok, ok, bad]}))
        .expect(400);
    assert_eq!(a.error(), "jobs[2]: no such package");
    assert_eq!(count(&f.api, &f.tag), 0, "nothing launched");

    let b = f
        .api
        .post("/api/v1/jobs/?bulk=launch", &json!({"jobs": [ok, ok]}))
        .expect(200);
    assert_eq!(b.data().as_array().map(Vec::len), Some(2));
    assert_eq!(count(&f.api, &f.tag), 2);
    f.api
        .post("/api/v1/jobs/?bulk=launch", &json!({}))
        .expect(400);
}

#[test]
fn bulk_launch_by_package_filter_sets_shared_fields() {
    let api = Api::admin();
    let marker = unique("mark");
    let tag = unique("tag");
    for _ in 0..3 {
        api.create(
            "packages",
            json!({"name": unique("pkg"), "tags": [marker], "testlist": ["cdrouter_nat_1"]}),
        );
    }
    api.create(
        "packages",
        json!({"name": unique("pkg"), "tags": [marker], "testlist": ["cdrouter_basic_1"]}),
    );
    let launched = api
        .post(
            &format!("/api/v1/jobs/?bulk=launch&filter=tags@>{{{marker}}}&filter=testlist@>{{cdrouter_nat_1}}"),
            &json!({"fields": {"options": {"tags": [tag]}}}),
        )
        .expect(200);
    let jobs = launched.data().as_array().expect("a list");
    assert_eq!(jobs.len(), 3);
    assert!(jobs.iter().all(|j| j["options"]["tags"] == json!([tag])));
    assert_eq!(count(&api, &tag), 3);
    api.post("/api/v1/jobs/?bulk=launch&filter=bogus=1", &json!({}))
        .expect_error(400, "invalid filter \"bogus=1\": unknown field \"bogus\"");
}

#[test]
fn bulk_delete_by_ids_and_filter() {
    let f = fixture();
    let make = || {
        f.api.create(
            "jobs",
            json!({"package_id": f.package["id"], "options": {"tags": [f.tag]}}),
        )
    };
    let (a, b, _c, _d) = (make(), make(), make(), make());
    f.api
        .post(
            "/api/v1/jobs/?bulk=delete",
            &json!({"jobs": [{"id": a["id"]}, {"id": b["id"]}]}),
        )
        .expect(204);
    assert_eq!(count(&f.api, &f.tag), 2);
    f.api
        .post(
            &format!("/api/v1/jobs/?bulk=delete&filter=tags@>{{{}}}", f.tag),
            &json!(null),
        )
        .expect(204);
    assert_eq!(count(&f.api, &f.tag), 0);
}

#[test]
fn changes_long_poll_wakes_on_a_change() {
    let f = fixture();
    let now = f.api.get("/api/v1/changes?wait=0").expect(200);
    let v = now.data()["version"].as_u64().expect("a version");
    let pkg = f.package["id"].clone();
    let launcher = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        Api::admin()
            .post("/api/v1/jobs/", &json!({"package_id": pkg}))
            .expect(200);
    });
    let moved = f
        .api
        .get(&format!("/api/v1/changes?after={v}&wait=20"))
        .expect(200);
    assert!(moved.data()["version"].as_u64().expect("a version") > v);
    let _ = launcher.join();
    f.api.get_refused(
        "/api/v1/changes?after=soon",
        400,
        "invalid after \"soon\": must be a number",
    );
    Api::anonymous()
        .get("/api/v1/changes")
        .expect_error(401, "invalid token");
}

/// A list's total counts the job launched just before it, one launch after another (the
/// object remembers counts between writes and must forget them on every write).
#[test]
fn a_list_total_counts_each_job_just_launched() {
    let f = fixture();
    for n in 1..=3 {
        f.api
            .post(
                "/api/v1/jobs/",
                &json!({"package_id": f.package["id"], "run_at": "2199-01-01T00:00:00Z",
                        "options": {"tags": [f.tag]}}),
            )
            .expect(200);
        assert_eq!(count(&f.api, &f.tag), n);
    }
    bulk_delete_tagged(&f.api, "jobs", &f.tag);
    assert_eq!(count(&f.api, &f.tag), 0);
}
