//! Bulk launch stores each job as a launch of the same input would, in the order given,
//! however many statements the store splits it into.

use labrelay_itest::own::basic_package;
use labrelay_itest::{unique, Api};
use serde_json::{json, Value};

/// The fields a job's own launch decides (not its id, times of creation, or place in the
/// queue, which a single job's answer adds).
fn launched_fields(job: &Value) -> Value {
    let mut j = job.clone();
    if let Some(o) = j.as_object_mut() {
        for volatile in ["id", "created", "updated", "waiting"] {
            o.remove(volatile);
        }
    }
    j
}

#[test]
fn a_bulk_launch_stores_each_job_as_a_single_launch_would() {
    let api = Api::admin();
    let tag = unique("bulk");
    let config = api.create(
        "configs",
        json!({"name": unique("cfg"), "contents":
            "testvar lanInterface eth1\ntestvar wanInterface eth2\ntestvar wirelessInterface wlan0\n"}),
    );
    let device = api.create("devices", json!({"name": unique("dév \"quoted\"")}));
    let plain = api.create(
        "packages",
        json!({"name": unique("pkg"), "testlist": ["cdrouter_basic_1", "cdrouter_nat_1"]}),
    );
    let wired = api.create(
        "packages",
        json!({"name": unique("pkg ünïcode"), "testlist": ["cdrouter_nat_1"],
               "config_id": config["id"], "device_id": device["id"]}),
    );
    let inputs = [
        json!({"package_id": wired["id"], "run_at": "2030-01-02T03:04:05Z", "priority": 90,
               "options": {"tags": [tag, "b"], "skip_tests": ["cdrouter_nat_1"],
                           "extra_cli_args": "-testvar 'x=a \"b\" ☃'",
                           "testvars": [{"name": "wanMode", "value": "DHCP \"x\" ☃"}]}}),
        json!({"package_id": plain["id"], "run_at": "2030-01-02T03:04:05Z",
               "options": {"tags": [tag]}}),
        json!({"package_id": wired["id"], "run_at": "2030-01-02T03:04:05Z",
               "config_id": "0", "device_id": "0", "options": {"tags": [tag]}}),
    ];
    let bulk = bulk_launch(&api, &inputs);
    assert_eq!(bulk.len(), 3);
    for (input, got) in inputs.iter().zip(&bulk) {
        let single = api.post_data("/api/v1/jobs/", input);
        assert_eq!(launched_fields(got), launched_fields(&single), "{input}");
        // What the list answers later is what the bulk launch answered.
        let stored = api.get_data(&format!(
            "/api/v1/jobs/{}/",
            got["id"].as_str().unwrap_or("?")
        ));
        assert_eq!(launched_fields(&stored), launched_fields(got));
    }
    assert_eq!(bulk[0]["interface_names"], json!(["eth1", "eth2", "wlan0"]));
    assert_eq!(bulk[0]["uses_wireless"], true);
    assert_eq!(bulk[0]["priority"], 90);
    let ids: Vec<u64> = bulk
        .iter()
        .filter_map(|j| j["id"].as_str()?.parse().ok())
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "in launch order: {ids:?}"
    );
}

/// The jobs a bulk launch of `jobs` made.
fn bulk_launch(api: &Api, jobs: &[Value]) -> Vec<Value> {
    api.post("/api/v1/jobs/?bulk=launch", &json!({ "jobs": jobs }))
        .expect(200)
        .data()
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The admin, a tag no other test uses, and a package of one test.
fn tagged_package(prefix: &str) -> (Api, String, Value) {
    let api = Api::admin();
    let package = basic_package(&api);
    (api, unique(prefix), package)
}

#[test]
fn a_bulk_launch_too_big_for_one_statement_keeps_every_job_in_order() {
    let (api, tag, package) = tagged_package("big");
    // ~1 KB of options a job, 700 jobs: a request under the 1 MiB body cap, but rows for
    // more than one statement (the store's batches are 512 KB).
    let jobs: Vec<Value> = (0..700)
        .map(|i| {
            json!({"package_id": package["id"], "run_at": "2030-01-02T03:04:05Z",
                   "options": {"tags": [tag, format!("n{i}")],
                               "extra_cli_args": format!("-testvar n={i} {}", "x".repeat(1000))}})
        })
        .collect();
    let bulk = bulk_launch(&api, &jobs);
    assert_eq!(bulk.len(), 700);
    for (i, job) in bulk.iter().enumerate() {
        assert_eq!(
            job["options"]["tags"][1],
            format!("n{i}"),
            "job {i} out of order"
        );
    }
    assert_eq!(
        api.total(&format!("/api/v1/jobs/?filter=tags@>{{{tag}}}&limit=1")),
        700
    );
}

#[test]
fn a_job_too_big_for_a_batch_is_stored_whole_between_the_others() {
    let (api, tag, package) = tagged_package("huge");
    // 200 testvars of 2,000 quotes: its row is over the 512 KB batch once written as JSON.
    let testvars: Vec<Value> = (0..200)
        .map(|i| json!({"name": format!("v{i}"), "value": "\"".repeat(2000)}))
        .collect();
    let job = |n: &str, testvars: &[Value]| json!({"package_id": package["id"], "options": {"tags": [tag, n], "testvars": testvars}});
    let bulk = api
        .post(
            "/api/v1/jobs/?bulk=launch",
            &json!({"jobs": [job("a", &[]), job("b", &testvars), job("c", &[])]}),
        )
        .expect(200)
        .data()
        .as_array()
        .cloned()
        .unwrap_or_default();
    let order: Vec<&str> = bulk
        .iter()
        .filter_map(|j| j["options"]["tags"][1].as_str())
        .collect();
    assert_eq!(order, ["a", "b", "c"]);
    let stored = api.get_data(&format!(
        "/api/v1/jobs/{}/",
        bulk[1]["id"].as_str().unwrap_or("?")
    ));
    let values = stored["options"]["testvars"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(values.len(), 200);
    assert!(values.iter().all(|v| v["value"] == "\"".repeat(2000)));
}
