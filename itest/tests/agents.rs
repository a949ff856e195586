//! The lab agent end to end: the real worker, the real `labrelay-agent` binary, and the
//! cdrouter-cli simulator. Each test uses interface names of its own, so its jobs can only
//! be claimed by its own agents even though all tests share one server.

use labrelay_itest::own::{launch, package_on};
use labrelay_itest::{finished, id, read_log, unique, wait_for_job, AgentProc, AgentSpec, Api};
use serde_json::{json, Value};
use std::time::Duration;

const LONG: Duration = Duration::from_secs(90);
const THREE: [&str; 3] = ["cdrouter_basic_1", "cdrouter_nat_1", "cdrouter_dhcp_1"];

#[test]
fn a_job_runs_to_completed_with_result_and_counts_and_log() {
    let api = Api::admin();
    let (ifaces, pkg) = package_on(&api, "if", &THREE);
    let name = unique("agent");
    let agent = AgentProc::start(AgentSpec {
        name: &name,
        interfaces: &ifaces,
        concurrency: 1,
        sim_env: &[
            ("CDROUTER_SIM_TEST_MS", "50"),
            ("CDROUTER_SIM_FAIL", "cdrouter_nat_1"),
        ],
    });
    let job_id = launch(&api, &pkg, json!({}));
    let job = wait_for_job(&api, &job_id, LONG, finished);
    assert_eq!(job["status"], "completed", "agent log:\n{}", agent.log());
    assert_eq!(job["active"], false);
    assert!(
        job["result_id"].as_str().is_some_and(|r| r.len() == 14),
        "{job}"
    );
    assert_eq!(job["agent_id"], agent.id.as_str());
    assert_eq!(job["agent_name"], name.as_str());
    assert_eq!(job["progress"]["passed"], 2);
    assert_eq!(job["progress"]["failed"], 1);
    assert_eq!(job["progress"]["done"], 3);
    assert_eq!(
        job["exit_code"], 1,
        "cdrouter-cli exits 1 when a test failed"
    );
    let log = read_log(&api, &job_id);
    for line in [
        "PASS: Test cdrouter_basic_1 (",
        "FAIL: Test cdrouter_nat_1 (",
        "PASS: Test cdrouter_dhcp_1 (",
    ] {
        assert_eq!(
            log.matches(line).count(),
            1,
            "{line} exactly once in:\n{log}"
        );
    }
    let agents = api
        .get(&format!("/api/v1/agents/{}/", agent.id))
        .expect(200);
    assert_eq!(agents.data()["online"], true);
    assert_eq!(agents.data()["interfaces"], json!(ifaces));
}

#[test]
fn a_run_with_skipped_tests_counts_against_the_tests_it_runs() {
    let api = Api::admin();
    let (ifaces, pkg) = package_on(&api, "if", &THREE);
    // Launched before its agent starts: the claim alone must set the total, since a run
    // this short ends before its first heartbeat.
    let job_id = launch(
        &api,
        &pkg,
        json!({"options": {"skip_tests": ["cdrouter_nat_1"]}}),
    );
    let pending = api.get(&format!("/api/v1/jobs/{job_id}/")).expect(200);
    assert_eq!(pending.data()["agent_name"], "", "no agent yet");
    let agent = AgentProc::simulating("agent", &ifaces, "10");
    let job = wait_for_job(&api, &job_id, LONG, finished);
    assert_eq!(job["status"], "completed", "agent log:\n{}", agent.log());
    assert_eq!(
        (&job["progress"]["done"], &job["progress"]["total"]),
        (&json!(2), &json!(2)),
        "{job}"
    );
    let result = job["result_id"].as_str().unwrap_or_default();
    let run = api.get(&format!("/api/v1/results/{result}/")).expect(200);
    assert_eq!(run.data()["progress"]["total"], 2, "{}", run.data());
    assert_eq!(run.data()["progress"]["progress"], 100, "{}", run.data());
}

#[test]
fn a_running_job_can_be_stopped() {
    let api = Api::admin();
    let tests: Vec<String> = (1..=40).map(|i| format!("cdrouter_slow_{i}")).collect();
    let (ifaces, pkg) = package_on(&api, "if", &tests);
    let _agent = AgentProc::simulating("agent", &ifaces, "1000");
    let job_id = launch(&api, &pkg, json!({}));
    wait_for_job(&api, &job_id, LONG, |j| j["status"] == "running");
    api.delete(&format!("/api/v1/jobs/{job_id}/"))
        .expect_error(409, "job is running");
    api.post(&format!("/api/v1/jobs/{job_id}/stop"), &json!({}))
        .expect(200);
    let job = wait_for_job(&api, &job_id, LONG, finished);
    assert_eq!(job["status"], "stopped");
    assert!(job["progress"]["done"].as_u64().unwrap_or(99) < 40);
    api.delete(&format!("/api/v1/jobs/{job_id}/")).expect(204);
}

#[test]
fn a_future_run_at_is_dispatched_when_due_not_before() {
    let api = Api::admin();
    let (ifaces, pkg) = package_on(&api, "if", &["cdrouter_basic_1"]);
    let _agent = AgentProc::simulating("agent", &ifaces, "10");
    let hostname = api.get("/api/v1/system/hostname/").expect(200);
    let server_now = hostname.body["timestamp"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let run_at = shift(&server_now, 4);
    let job_id = launch(&api, &pkg, json!({"run_at": run_at}));
    let job = wait_for_job(&api, &job_id, LONG, finished);
    assert_eq!(job["status"], "completed");
    let started = job["started"].as_str().unwrap_or_default();
    assert!(
        started >= run_at.as_str(),
        "started {started} before run_at {run_at}"
    );
}

/// An RFC 3339 UTC time plus some seconds (the strings sort as times: fixed width, `Z`).
fn shift(t: &str, secs: u64) -> String {
    let (date, rest) = t.split_once('T').unwrap_or(("1970-01-01", "00:00:00Z"));
    let hms: Vec<u64> = rest[..8]
        .split(':')
        .filter_map(|p| p.parse().ok())
        .collect();
    let total = hms[0] * 3600 + hms[1] * 60 + hms[2] + secs;
    assert!(total < 86_400, "test too close to midnight UTC");
    format!(
        "{date}T{:02}:{:02}:{:02}.000000000Z",
        total / 3600,
        total / 60 % 60,
        total % 60
    )
}

#[test]
fn same_interfaces_run_one_after_the_other_disjoint_ones_at_once() {
    let api = Api::admin();
    let tests: Vec<String> = (1..=6).map(|i| format!("cdrouter_t_{i}")).collect();
    let (a, pkg_a) = package_on(&api, "if", &tests);
    let (b, pkg_b) = package_on(&api, "if", &tests);
    let all: Vec<String> = a.iter().chain(b.iter()).cloned().collect();
    let _agent = AgentProc::start(AgentSpec {
        name: &unique("agent"),
        interfaces: &all,
        concurrency: 2,
        sim_env: &[("CDROUTER_SIM_TEST_MS", "300")],
    });
    // Two on the same interfaces: never at once.
    let j1 = launch(&api, &pkg_a, json!({}));
    let j2 = launch(&api, &pkg_a, json!({}));
    let (r1, r2) = (
        wait_for_job(&api, &j1, LONG, finished),
        wait_for_job(&api, &j2, LONG, finished),
    );
    let (first, second) = if r1["started"].as_str() < r2["started"].as_str() {
        (&r1, &r2)
    } else {
        (&r2, &r1)
    };
    assert!(
        second["started"].as_str() >= first["finished"].as_str(),
        "overlapped on shared interfaces: {first} / {second}"
    );
    // Two on disjoint interfaces with concurrency 2: at once.
    let j3 = launch(&api, &pkg_a, json!({}));
    let j4 = launch(&api, &pkg_b, json!({}));
    let (r3, r4) = (
        wait_for_job(&api, &j3, LONG, finished),
        wait_for_job(&api, &j4, LONG, finished),
    );
    assert_eq!(
        (r3["status"].as_str(), r4["status"].as_str()),
        (Some("completed"), Some("completed"))
    );
    assert!(
        r3["started"].as_str() < r4["finished"].as_str()
            && r4["started"].as_str() < r3["finished"].as_str(),
        "disjoint jobs did not overlap: {r3} / {r4}"
    );
}

#[test]
fn a_package_pinned_to_agent_b_never_runs_on_agent_a() {
    let api = Api::admin();
    let (ifaces, pkg) = package_on(&api, "if", &["cdrouter_basic_1"]);
    let a = AgentProc::simulating("agent-a", &ifaces, "10");
    let b = AgentProc::simulating("agent-b", &ifaces, "10");
    api.patch(
        &format!("/api/v1/packages/{}/", id(&pkg)),
        &json!({"agent_id": b.id}),
    )
    .expect(200);
    let jobs: Vec<String> = (0..4).map(|_| launch(&api, &pkg, json!({}))).collect();
    for j in &jobs {
        let job = wait_for_job(&api, j, LONG, finished);
        assert_eq!(job["status"], "completed");
        assert_eq!(
            job["agent_id"],
            b.id.as_str(),
            "ran on the wrong agent (a is {})",
            a.id
        );
    }
}

#[test]
fn a_killed_agent_ends_its_job_as_error_after_the_lease() {
    let api = Api::admin();
    let tests: Vec<String> = (1..=100).map(|i| format!("cdrouter_long_{i}")).collect();
    let (ifaces, pkg) = package_on(&api, "if", &tests);
    let mut agent = AgentProc::simulating("agent", &ifaces, "1000");
    let job_id = launch(&api, &pkg, json!({}));
    wait_for_job(&api, &job_id, LONG, |j| j["status"] == "running");
    agent.kill_hard();
    let job = wait_for_job(&api, &job_id, LONG, finished);
    assert_eq!(job["status"], "error");
    assert_eq!(job["reason"], "agent lost");
}

#[test]
fn many_agents_run_every_job_exactly_once() {
    let api = Api::admin();
    let (ifaces, pkg) = package_on(&api, "if", &["cdrouter_quick_1"]);
    let agents: Vec<AgentProc> = (0..20)
        .map(|i| {
            AgentProc::start(AgentSpec {
                name: &unique(&format!("swarm-{i}")),
                interfaces: &ifaces,
                concurrency: 1,
                // Dispatch is under test here, not result uploads: keep the files home.
                sim_env: &[
                    ("CDROUTER_SIM_TEST_MS", "0"),
                    ("LABRELAY_RESULTS_MAX_BYTES", "0"),
                ],
            })
        })
        .collect();
    let tag = unique("swarm");
    let batch: Vec<Value> = (0..500)
        .map(|_| json!({"package_id": pkg["id"], "options": {"tags": [tag]}}))
        .collect();
    let launched = api
        .post("/api/v1/jobs/?bulk=launch", &json!({"jobs": batch}))
        .expect(200);
    assert_eq!(launched.data().as_array().map(Vec::len), Some(500));
    let start = std::time::Instant::now();
    loop {
        let done = api
            .get(&format!(
                "/api/v1/jobs/?filter=tags@>{{{tag}}}&filter=status=completed&limit=1"
            ))
            .expect(200)
            .body["links"]["total"]
            .as_u64()
            .unwrap_or(0);
        if done == 500 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "only {done} of 500 completed"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let all = api
        .get(&format!("/api/v1/jobs/?filter=tags@>{{{tag}}}&limit=none"))
        .expect(200);
    let mut per_agent = std::collections::HashMap::new();
    for j in all.data().as_array().expect("jobs") {
        // Each ran once: one start line and one PASS in its log.
        let log = read_log(&api, j["id"].as_str().unwrap_or("0"));
        assert_eq!(
            log.matches("PASS: Test cdrouter_quick_1 (").count(),
            1,
            "job {}: {log}",
            j["id"]
        );
        *per_agent
            .entry(j["agent_id"].as_str().unwrap_or("").to_string())
            .or_insert(0) += 1;
    }
    assert!(per_agent.len() > 1, "the work was spread: {per_agent:?}");
    drop(agents);
}

#[test]
fn token_scopes_are_enforced_both_ways() {
    let api = Api::admin();
    let registered = api.create("agents", json!({"name": unique("scoped")}));
    let agent_token = registered["token"].as_str().expect("token").to_string();
    let as_agent = Api::with_token(Some(agent_token));
    as_agent.get_refused("/api/v1/jobs/", 403, "insufficient privileges");
    as_agent.get_refused("/api/v1/agents/", 403, "insufficient privileges");
    api.post(
        "/api/v1/agent/claim",
        &json!({"interfaces": ["eth1"], "wait_secs": 0}),
    )
    .expect_error(403, "insufficient privileges");
    Api::anonymous()
        .post("/api/v1/agent/claim", &json!({"interfaces": []}))
        .expect_error(401, "invalid token");
    as_agent
        .post(
            "/api/v1/agent/claim",
            &json!({"interfaces": ["nothing-here-0"], "wait_secs": 0}),
        )
        .expect(204);
    as_agent
        .post("/api/v1/agent/jobs/999999/start", &json!({}))
        .expect_error(404, "no such job");
    // Registering is for admins; listing for any user.
    let user = api.create(
        "users",
        json!({"name": unique("u"), "password": "password-1"}),
    );
    let as_user = Api::with_token(user["token"].as_str().map(str::to_string));
    as_user
        .post("/api/v1/agents/", &json!({"name": unique("x")}))
        .expect_error(403, "insufficient privileges");
    let list = as_user.get("/api/v1/agents/").expect(200);
    assert!(list
        .data()
        .as_array()
        .is_some_and(|a| a.iter().all(|g| g.get("token").is_none())));
    api.delete(&format!("/api/v1/agents/{}/", id(&registered)))
        .expect(204);
    as_agent
        .post(
            "/api/v1/agent/claim",
            &json!({"interfaces": [], "wait_secs": 0}),
        )
        .expect_error(401, "invalid token");
}

#[test]
fn log_appends_are_offset_based_and_idempotent() {
    let api = Api::admin();
    let (ifaces, pkg) = package_on(&api, "if", &["cdrouter_basic_1"]);
    let registered = api.create("agents", json!({"name": unique("manual")}));
    let agent = Api::with_token(registered["token"].as_str().map(str::to_string));
    let job_id = launch(&api, &pkg, json!({}));
    let claim = agent
        .post(
            "/api/v1/agent/claim",
            &json!({"interfaces": ifaces, "wait_secs": 5}),
        )
        .expect(200);
    assert_eq!(claim.data()["job"]["id"], job_id.as_str());
    assert_eq!(claim.data()["testlist"], json!(["cdrouter_basic_1"]));
    assert!(claim.data()["config"]
        .as_str()
        .is_some_and(|c| c.contains(&ifaces[0])));
    let base = format!("/api/v1/agent/jobs/{job_id}");
    agent.post(&format!("{base}/start"), &json!({})).expect(200);
    agent.post(&format!("{base}/start"), &json!({})).expect(200);
    let log = |offset: u64, text: &str| {
        agent.post(
            &format!("{base}/log"),
            &json!({"offset": offset, "text": text}),
        )
    };
    assert_eq!(log(0, "one\n").expect(200).data()["next_offset"], 4);
    assert_eq!(
        log(0, "one\n").expect(200).data()["next_offset"],
        4,
        "a retry is harmless"
    );
    assert_eq!(
        log(0, "one\ntwo\n").expect(200).data()["next_offset"],
        8,
        "overlap keeps the new tail"
    );
    let gap = log(20, "lost?\n").expect(409);
    assert_eq!(gap.data()["next_offset"], 8);
    let hb = agent
        .post(
            &format!("{base}/heartbeat"),
            &json!({"progress": {"done": 1, "total": 1, "passed": 1, "failed": 0}}),
        )
        .expect(200);
    assert_eq!(hb.data()["stop"], false);
    let fin = json!({"status": "completed", "exit_code": 0, "summary": {"tests": 1, "passed": 1, "failed": 0}});
    agent.post(&format!("{base}/finish"), &fin).expect(200);
    let again = agent.post(&format!("{base}/finish"), &fin).expect(200);
    assert_eq!(again.data()["status"], "completed");
    assert_eq!(read_log(&api, &job_id), "one\ntwo\n");
    agent
        .post(&format!("{base}/heartbeat"), &json!({}))
        .expect_error(409, "lease lost: job is completed");
}
