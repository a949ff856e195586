//! The lab machine is protected from what runs on it, end to end: the real worker, the real
//! `labrelay-agent` and the cdrouter-cli simulator. Nothing cdrouter-cli starts outlives an
//! agent killed with -9; a stop reaches the agent through the stop long-poll, not at its
//! next heartbeat; cdrouter-cli's environment holds none of the agent's settings. Each test
//! uses interfaces of its own, so only its own agent claims its jobs.

use labrelay_itest::own::{launch, package_on};
use labrelay_itest::{
    finished, is_gone, read_log, unique, wait_for_job, AgentProc, AgentSpec, Api,
};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(90);

/// Interfaces nobody else uses, and a package of `tests` tests whose config puts its jobs
/// on them.
fn lab(api: &Api, tests: usize) -> (Vec<String>, Value) {
    let testlist: Vec<String> = (1..=tests).map(|i| format!("cdrouter_prot_{i}")).collect();
    package_on(api, "prot", &testlist)
}

/// Polls `f` until it gives a value (or panics after `limit`): a wait, not a timing claim.
#[track_caller]
fn eventually<T>(what: &str, limit: Duration, f: impl Fn() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < limit, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The pid after `marker` on a line of `log` (`...: pid 123, ...`, `helper pid 124`).
fn pid_after(log: &str, marker: &str) -> Option<i32> {
    log.lines()
        .find_map(|l| l.split(marker).nth(1))
        .and_then(|p| p.split(',').next())
        .and_then(|p| p.trim().parse().ok())
}

#[test]
fn a_killed_agent_takes_everything_cdrouter_cli_started_along() {
    let api = Api::admin();
    let (ifaces, pkg) = lab(&api, 100);
    let mut agent = AgentProc::simulating_with(
        "agent",
        &ifaces,
        &[
            ("CDROUTER_SIM_TEST_MS", "1000"),
            // The simulator starts a helper process of its own, as cdrouter-cli does.
            ("CDROUTER_SIM_SPAWN_CHILD", "1"),
        ],
    );
    let job_id = launch(&api, &pkg, json!({}));
    wait_for_job(&api, &job_id, LONG, |j| j["status"] == "running");
    let (sim, helper) = eventually("the simulator and its helper running", LONG, || {
        let log = agent.job_log(&job_id);
        Some((pid_after(&log, ": pid ")?, pid_after(&log, "helper pid ")?))
    });
    assert!(
        !is_gone(sim) && !is_gone(helper),
        "both run while the agent does:\n{}",
        agent.job_log(&job_id)
    );

    agent.kill_hard();
    for (what, pid) in [("cdrouter-cli-sim", sim), ("its helper", helper)] {
        eventually(
            &format!("{what} (pid {pid}) ends with the agent killed by -9"),
            Duration::from_secs(30),
            || is_gone(pid).then_some(()),
        );
    }
    // The server learns of it at the lease's end, as of any lost agent (`agents.rs` checks
    // that): not waited for here.
}

/// Heartbeats 50 s apart (the lease is 60 s): within the 30 s this test allows, only the stop
/// long-poll can bring the stop to the agent. The agent's log says which did.
#[test]
fn a_stop_reaches_the_agent_at_once_not_at_its_next_heartbeat() {
    let api = Api::admin();
    let (ifaces, pkg) = lab(&api, 60);
    let agent = AgentProc::start_with(
        AgentSpec {
            name: &unique("agent"),
            interfaces: &ifaces,
            concurrency: 1,
            sim_env: &[("CDROUTER_SIM_TEST_MS", "1000")],
        },
        &["--heartbeat-secs", "50"],
    );
    let job_id = launch(&api, &pkg, json!({}));
    wait_for_job(&api, &job_id, LONG, |j| j["status"] == "running");
    api.post(&format!("/api/v1/jobs/{job_id}/stop"), &json!({}))
        .expect(200);
    let job = wait_for_job(&api, &job_id, Duration::from_secs(30), finished);
    assert_eq!(job["status"], "stopped", "agent log:\n{}", agent.log());
    assert_eq!(job["reason"], "stopped by a user");
    let log = agent.log();
    assert!(
        log.contains("the server asks to stop the job (stop long-poll)"),
        "{log}"
    );
    assert!(!log.contains("(heartbeat)"), "{log}");
    assert!(
        read_log(&api, &job_id).contains("stopping cdrouter-cli (stopped by a user)"),
        "the job log says so too"
    );
}

#[test]
fn cdrouter_cli_gets_none_of_the_agents_settings() {
    let api = Api::admin();
    let (ifaces, pkg) = lab(&api, 1);
    let agent = AgentProc::simulating_with(
        "agent",
        &ifaces,
        &[
            ("CDROUTER_SIM_TEST_MS", "10"),
            ("CDROUTER_SIM_PRINT_ENV", "1"),
            ("LABRELAY_PROBE", "kept-from-cdrouter-cli"),
        ],
    );
    let job_id = launch(&api, &pkg, json!({}));
    let job = wait_for_job(&api, &job_id, LONG, finished);
    assert_eq!(job["status"], "completed", "agent log:\n{}", agent.log());
    let log = read_log(&api, &job_id);
    assert!(log.contains("env CDROUTER_SIM_PRINT_ENV=1"), "{log}");
    assert!(
        !log.contains("LABRELAY_"),
        "an agent setting reached cdrouter-cli:\n{log}"
    );
    assert!(!log.contains("kept-from-cdrouter-cli"), "{log}");
    assert!(
        !log.contains(&agent.token),
        "the token reached cdrouter-cli"
    );
}
