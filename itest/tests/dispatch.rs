//! Dispatch never starves: however many jobs no agent can run wait ahead of a runnable one,
//! the runnable one is claimed (today's queue answered only from the first 500 due jobs).

use labrelay_itest::own::bulk_delete_tagged;
use labrelay_itest::{id, unique, wait_for_job, AgentProc, Api};
use serde_json::{json, Value};
use std::time::Duration;

/// A package whose config puts its jobs on these interfaces.
fn package(api: &Api, lan: &str, wan: &str) -> Value {
    let cfg = api.create(
        "configs",
        json!({"name": unique("cfg"), "contents": format!("testvar lanInterface {lan}\ntestvar wanInterface {wan}\n")}),
    );
    api.create(
        "packages",
        json!({"name": unique("pkg"), "testlist": ["cdrouter_basic_1"], "config_id": cfg["id"]}),
    )
}

#[test]
fn a_runnable_job_behind_600_unrunnable_ones_is_claimed() {
    let api = Api::admin();
    let u = unique("starve");
    let tag = unique("blocked");
    // 600 jobs due now, ahead in the queue, on interfaces no agent has.
    let nowhere = package(&api, &format!("{u}-absent-lan"), &format!("{u}-absent-wan"));
    for _ in 0..2 {
        let jobs: Vec<Value> = (0..300)
            .map(|_| json!({"package_id": nowhere["id"], "options": {"tags": [tag]}}))
            .collect();
        api.post("/api/v1/jobs/?bulk=launch", &json!({ "jobs": jobs }))
            .expect(200);
    }
    // Then one this agent can run.
    let ifaces = vec![format!("{u}-lan"), format!("{u}-wan")];
    let runnable = package(&api, &ifaces[0], &ifaces[1]);
    let job = id(&api.post_data("/api/v1/jobs/", &json!({"package_id": runnable["id"]})));
    let _agent = AgentProc::simulating("agent", &ifaces, "10");
    let done = wait_for_job(&api, &job, Duration::from_secs(90), |j| {
        matches!(
            j["status"].as_str(),
            Some("completed" | "error" | "stopped")
        )
    });
    assert_eq!(done["status"], "completed", "{done}");
    // The blocked ones are all still waiting; clear them.
    assert_eq!(
        api.total(&format!(
            "/api/v1/jobs/?filter=tags@>{{{tag}}}&filter=status=pending&limit=1"
        )),
        600
    );
    bulk_delete_tagged(&api, "jobs", &tag);
}
