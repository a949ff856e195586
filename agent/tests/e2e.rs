//! The agent binary against the in-process fake server, with the cdrouter-cli simulator.

mod agent_run;
mod fake_server;
mod pids;

use agent_run::{
    agent, assert_results_uploaded, assert_stopped_by_user, count, helper_pid, local_log, sim_pid,
    spawn, start, until_hanging, AGENT, HANGS, SIM,
};
use fake_server::{claim, TOKEN};
use labrelay_api::agents::FinishStatus;
use labrelay_itest::is_gone;
use pids::until_gone;
use serde_json::json;
use std::path::PathBuf;
use tokio::process::Command;

/// Job 11's directory: its test list and config as written for cdrouter-cli, the run's
/// result directory, the outbox closed.
fn assert_job_11_files(dir: &std::path::Path) {
    let testlist = std::fs::read_to_string(dir.join("testlist.log")).expect("testlist");
    assert_eq!(testlist, "t1\nt2\nt3\nt4\n");
    let config = std::fs::read_to_string(dir.join("lab_config.conf")).expect("config");
    assert!(config.contains("testvar wanMode DHCP"));
    assert!(
        dir.join("result/final.txt").is_file(),
        "the simulator wrote into -logdir"
    );
    assert!(dir.join("outbox/closed").is_file());
}

/// Job 11's test records on the server: the tests as CDRouter numbers them, start and final
/// included, with their logs, each with a start time.
fn assert_job_11_records(s: &fake_server::State) {
    let tests: Vec<(u64, String, String, String)> = s.tests[&11]
        .values()
        .map(|t| (t.seq, t.name.clone(), t.result.clone(), t.log.clone()))
        .collect();
    let want: Vec<(u64, String, String, String)> = [
        (1, "start", "pass", "start.txt"),
        (2, "t1", "pass", "t1.txt"),
        (3, "t2", "fail", "t2.txt"),
        (4, "t3", "pass", "t3.txt"),
        (5, "final", "pass", "final.txt"),
    ]
    .iter()
    .map(|(a, b, c, d)| (*a, b.to_string(), c.to_string(), d.to_string()))
    .collect();
    assert_eq!(tests, want);
    assert!(s.tests[&11].values().all(|t| t.started.is_some()));
}

#[tokio::test]
async fn a_job_runs_and_its_log_and_finish_arrive_exactly_once() {
    let (server, work) = start().await;
    let options = json!({
        "skip_tests": ["t4"],
        "extra_cli_args": "-testvar 'wanMode=DHCP client'",
        "testvars": [{"group": "", "name": "lanIp", "value": "10.0.0.1", "action": "set-testvar"}]
    });
    server.add_claim(claim(11, &["t1", "t2", "t3", "t4"], options, 1));
    let mut agent = agent(
        &server,
        work.path(),
        &[("CDROUTER_SIM_TEST_MS", "50"), ("CDROUTER_SIM_FAIL", "t2")],
        &[],
    );
    server
        .wait_for("the finish", |s| !s.finishes.is_empty())
        .await;
    agent.sigterm();
    assert!(agent.exit().await.success(), "exit 0 after one SIGTERM");

    let s = server.state();
    let req = &s.claim_requests[0];
    assert_eq!(req["interfaces"], json!(["eth1", "eth2"]));
    assert_eq!(req["capacity"], json!(1));
    assert_eq!(s.starts.len(), 1);
    let result_id = s.starts[0].1.result_id.clone().expect("a result id");
    assert!(result_id.len() == 14 && result_id.chars().all(|c| c.is_ascii_digit()));

    let local = local_log(work.path(), 11);
    let remote = &s.logs[&11];
    assert_eq!(remote, &local, "the server has the log, once, in order");
    for (line, n) in [
        ("PASS: Test t1 (", 1),
        ("FAIL: Test t2 (", 1),
        ("PASS: Test t3 (", 1),
        ("Test t4", 0),
    ] {
        assert_eq!(count(remote, line), n, "{line} in\n{remote}");
    }
    assert!(remote.contains("3 test(s) run\n1 failure(s)"), "{remote}");
    assert!(remote.contains("testvar lanIp=10.0.0.1"), "{remote}");
    assert!(remote.contains("testvar wanMode=DHCP client"), "{remote}");

    assert_eq!(s.finishes.len(), 1);
    let (id, finish) = &s.finishes[0];
    assert_eq!(*id, 11);
    assert_eq!(finish.status, FinishStatus::Completed);
    assert_eq!(finish.exit_code, Some(1));
    let sum = &finish.summary;
    assert_eq!((sum.tests, sum.passed, sum.failed), (3, 2, 1));

    assert_job_11_files(&work.path().join("job-11"));
    assert_job_11_records(&s);
    drop(s);
    assert!(assert_results_uploaded(&server, work.path(), 11) > 10);
}

#[tokio::test]
async fn an_outage_during_the_run_loses_and_doubles_nothing() {
    let (server, work) = start().await;
    let tests: Vec<String> = (1..=30).map(|i| format!("test_{i}")).collect();
    let tests: Vec<&str> = tests.iter().map(String::as_str).collect();
    server.add_claim(claim(12, &tests, json!({}), 1));
    server.state().down_after_start = true;
    let mut agent = agent(&server, work.path(), &[("CDROUTER_SIM_TEST_MS", "40")], &[]);

    // The run ends while the server is down: the finish waits on disk.
    let finish_file = work.path().join("job-12/outbox/finish.json");
    server
        .wait_for("the run to end during the outage", |s| {
            s.refused > 0 && finish_file.is_file()
        })
        .await;
    assert!(server.state().finishes.is_empty());
    {
        let mut s = server.state();
        s.down = false;
        s.lose_acks = 2; // and the first answers after it are lost
    }
    agent.stop_once_finished(&server).await;

    let s = server.state();
    let local = local_log(work.path(), 12);
    assert_eq!(s.logs[&12], local, "byte for byte");
    for t in &tests {
        assert_eq!(count(&s.logs[&12], &format!("PASS: Test {t} (")), 1, "{t}");
    }
    assert_eq!(s.finishes.len(), 1);
    assert_eq!(s.finishes[0].1.status, FinishStatus::Completed);
    assert_eq!(s.finishes[0].1.summary.passed, 30);
    assert_eq!(s.tests[&12].len(), 32, "start, 30 tests, final");
    drop(s);
    assert!(assert_results_uploaded(&server, work.path(), 12) > 30);
}

#[tokio::test]
async fn a_stop_from_the_server_ends_the_run_as_stopped() {
    let (server, work) = start().await;
    server.add_claim(claim(13, &["a", "b", "c"], json!({}), 1));
    {
        // A server without the stop long-poll: stops come with the heartbeats.
        let mut s = server.state();
        s.stop_jobs = true;
        s.no_stop_poll = true;
    }
    let mut agent = agent(&server, work.path(), &HANGS, &[]);
    agent.stop_once_finished(&server).await;

    let s = server.state();
    assert!(
        !s.heartbeats.is_empty(),
        "the stop came with a heartbeat reply"
    );
    let log = assert_stopped_by_user(&s, 13);
    assert!(is_gone(sim_pid(log)));
}

/// With heartbeats 50 s apart, only the long-poll can bring the stop before one: the run is
/// stopped and reported, and no heartbeat was sent in between.
#[tokio::test]
async fn a_stop_reaches_the_run_through_the_long_poll_before_any_heartbeat() {
    let (server, work) = start().await;
    server.state().heartbeat_secs = 50;
    server.add_claim(claim(22, &["a", "b", "c"], json!({}), 50));
    let mut agent = agent(&server, work.path(), &HANGS, &["--heartbeat-secs", "50"]);
    server
        .wait_for("the run to hang", |s| {
            s.logs
                .get(&22)
                .is_some_and(|l| l.contains("simulated hang"))
                && s.stop_polls.contains(&22)
        })
        .await;
    server.state().stop_jobs = true;
    server
        .wait_for("the finish", |s| !s.finishes.is_empty())
        .await;
    {
        let s = server.state();
        assert!(s.heartbeats.is_empty(), "no heartbeat before the stop");
        assert_eq!(s.stops_polled, 1);
        assert_stopped_by_user(&s, 22);
    }
    agent
        .stderr_contains("the server asks to stop the job (stop long-poll)")
        .await;
    agent.sigterm();
    assert!(agent.exit().await.success());
}

/// What the server's checks refuse at launch, refused again by the agent: such a job ends as
/// `error`, saying why, and cdrouter-cli never starts (no file of the run is written).
#[tokio::test]
async fn a_claim_the_servers_own_checks_refuse_is_refused_and_never_run() {
    let (server, work) = start().await;
    let evil_group = json!({"testvars": [{"group": "lan2}\ntestvar_group evil {", "name": "x",
                                          "value": "1", "action": "set-testvar"}]});
    server.add_claim(claim(23, &["a"], evil_group, 1));
    server.add_claim(claim(
        24,
        &["a"],
        json!({"extra_cli_args": "-trace -logdir /tmp"}),
        1,
    ));
    let mut owned_by_package = claim(25, &["a"], json!({}), 1);
    owned_by_package["package_extra_cli_args"] = json!("--config=/etc/other.conf");
    server.add_claim(owned_by_package);
    let mut two_tests_in_one = claim(26, &["a\nb"], json!({}), 1);
    two_tests_in_one["config"] = json!("testvar lanInterface eth1\n");
    server.add_claim(two_tests_in_one);
    let mut agent = agent(&server, work.path(), &[("CDROUTER_SIM_TEST_MS", "1")], &[]);
    server
        .wait_for("four finishes", |s| s.finishes.len() == 4)
        .await;
    agent.sigterm();
    assert!(agent.exit().await.success());
    let s = server.state();
    for (job, says) in [
        (23, "testvar group"),
        (24, "the job's extra_cli_args cannot set -logdir"),
        (
            25,
            "the package's extra_cli_args cannot set --config=/etc/other.conf",
        ),
        (26, "is not a test name"),
    ] {
        let (_, finish) = s
            .finishes
            .iter()
            .find(|(id, _)| *id == job)
            .expect("finished");
        assert_eq!(finish.status, FinishStatus::Error, "{job}");
        assert!(
            finish.reason.starts_with("the agent refused the job: ")
                && finish.reason.contains(says),
            "{job}: {}",
            finish.reason
        );
        let log = &s.logs[&job];
        assert!(
            log.contains(says),
            "{job}: the reason is in the job log: {log}"
        );
        assert!(!log.contains("SIMULATOR"), "{job}: cdrouter-cli ran: {log}");
        let dir = work.path().join(format!("job-{job}"));
        assert!(!dir.join("testlist.log").exists(), "{job}");
        assert!(!dir.join("result").exists(), "{job}");
    }
}

/// cdrouter-cli's environment holds none of the agent's settings: not the token, no
/// `LABRELAY_*` variable (the simulator prints what it got).
#[tokio::test]
async fn cdrouter_cli_gets_neither_the_token_nor_any_labrelay_variable() {
    let (server, work) = start().await;
    server.add_claim(claim(27, &["a"], json!({}), 1));
    let mut agent = agent(
        &server,
        work.path(),
        &[
            ("CDROUTER_SIM_TEST_MS", "1"),
            ("CDROUTER_SIM_PRINT_ENV", "1"),
            ("LABRELAY_HOST", "lab-9"),
        ],
        &[],
    );
    agent.stop_once_finished(&server).await;
    let s = server.state();
    assert_eq!(
        s.claim_requests[0]["host"],
        json!("lab-9"),
        "the agent had them"
    );
    let log = &s.logs[&27];
    assert!(log.contains("env CDROUTER_SIM_PRINT_ENV=1"), "{log}");
    assert!(log.contains("env PATH="), "the rest is passed on: {log}");
    assert!(
        !log.contains(TOKEN),
        "the token reached cdrouter-cli: {log}"
    );
    assert!(!log.contains("LABRELAY_"), "{log}");
}

/// A run that prints far more than the outbox may hold: the outbox stays within its cap, the
/// log keeps its head, says once that output was dropped, and still ends with how the run
/// ended; the server gets exactly what the outbox kept.
#[tokio::test]
async fn a_full_outbox_keeps_the_head_of_the_log_and_says_so() {
    let (server, work) = start().await;
    server.add_claim(claim(28, &["a"], json!({}), 1));
    let script = work.path().join("chatty-cli");
    std::fs::write(
        &script,
        "#!/bin/sh\necho first line\nyes 'a line of output, again and again and again' | head -n 100000\n",
    )
    .expect("script");
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let cap: u64 = 1 << 20;
    let mut agent = agent(
        &server,
        work.path(),
        &[],
        &[
            "--cdrouter-cli",
            script.to_str().expect("path"),
            "--outbox-max-bytes",
            &cap.to_string(),
        ],
    );
    agent.stop_once_finished(&server).await;
    let s = server.state();
    assert_eq!(s.finishes[0].1.status, FinishStatus::Completed);
    let local = local_log(work.path(), 28);
    let outbox = work.path().join("job-28/outbox");
    let held: u64 = ["log", "tests.jsonl", "files.jsonl"]
        .iter()
        .filter_map(|f| std::fs::metadata(outbox.join(f)).ok())
        .map(|m| m.len())
        .sum();
    assert!(held <= cap, "{held} > {cap}");
    assert!(local.len() as u64 > cap / 2, "the head is kept");
    assert!(local.contains("\nfirst line\n"), "the head is kept");
    assert_eq!(
        count(&local, "the job's outbox is full (1 MiB"),
        1,
        "{}",
        &local[local.len() - 2000..]
    );
    assert!(
        local.trim_end().ends_with("finished: \"completed\""),
        "{}",
        &local[local.len() - 500..]
    );
    assert_eq!(s.logs[&28], local, "the server has what the outbox kept");
}

#[tokio::test]
async fn a_second_signal_stops_the_running_job_even_if_it_ignores_sigterm() {
    let (server, work) = start().await;
    server.add_claim(claim(14, &["a", "b"], json!({}), 1));
    let mut agent = agent(
        &server,
        work.path(),
        &[
            ("CDROUTER_SIM_TEST_MS", "20"),
            ("CDROUTER_SIM_HANG", "1"),
            ("CDROUTER_SIM_IGNORE_TERM", "1"),
        ],
        &[],
    );
    until_hanging(&server, 14).await;
    agent.sigterm();
    agent.stderr_contains("shutting down").await;
    // The first signal lets the job go on.
    assert!(server.state().finishes.is_empty());
    agent.sigterm();
    let status = agent.exit().await;
    assert!(status.success(), "{status:?}");

    let s = server.state();
    let finish = &s.finishes[0].1;
    assert_eq!(finish.status, FinishStatus::Stopped);
    assert_eq!(finish.reason, "the agent was shut down");
    assert_eq!(finish.exit_code, None, "killed by a signal");
    let log = &s.logs[&14];
    assert!(log.contains("SIGKILL"), "{log}");
    assert!(is_gone(sim_pid(log)));
}

#[tokio::test]
async fn a_refused_token_ends_the_agent_with_a_clear_message() {
    let (server, work) = start().await;
    let mut agent = agent(&server, work.path(), &[], &["--token", "wrong"]);
    let status = agent.exit().await;
    assert!(!status.success());
    agent.stderr_contains("refused the agent's token").await;
}

#[tokio::test]
async fn reports_left_by_an_earlier_agent_are_replayed_at_start() {
    let (server, work) = start().await;
    // An agent died mid-run: half its log was acknowledged, no finish was written.
    let outbox: PathBuf = work.path().join("job-15/outbox");
    std::fs::create_dir_all(&outbox).expect("mkdir");
    let log = "header\n2026-01-02 12:00:00.000 PASS: Test a (1) passed\n\
               2026-01-02 12:00:01.000 FAIL: Test b (2) failed\n";
    std::fs::write(outbox.join("log"), log).expect("log");
    std::fs::write(outbox.join("acked"), "7").expect("acked");
    server.state().logs.insert(15, "header\n".into());
    // A finished job whose report was fully delivered is left alone.
    std::fs::create_dir_all(work.path().join("job-16/outbox")).expect("mkdir");
    std::fs::write(work.path().join("job-16/outbox/log"), "x\n").expect("log");
    std::fs::write(work.path().join("job-16/outbox/closed"), "delivered\n").expect("closed");

    let mut agent = agent(&server, work.path(), &[], &[]);
    server
        .wait_for("the replayed finish", |s| !s.finishes.is_empty())
        .await;
    agent.sigterm();
    assert!(agent.exit().await.success());

    let s = server.state();
    assert_eq!(s.logs[&15], log);
    assert!(!s.logs.contains_key(&16));
    assert_eq!(s.finishes.len(), 1);
    let (id, finish) = &s.finishes[0];
    assert_eq!(*id, 15);
    assert_eq!(finish.status, FinishStatus::Error);
    assert_eq!((finish.summary.passed, finish.summary.failed), (1, 1));
}

#[tokio::test]
async fn a_crash_or_a_missing_cdrouter_cli_finishes_as_error() {
    let (server, work) = start().await;
    server.add_claim(claim(17, &["a", "b"], json!({}), 1));
    let mut crashing = agent(&server, work.path(), &[("CDROUTER_SIM_CRASH", "1")], &[]);
    crashing.stop_once_finished(&server).await;
    {
        let s = server.state();
        let finish = &s.finishes[0].1;
        assert_eq!(finish.status, FinishStatus::Error);
        assert_eq!(finish.exit_code, Some(139));
        assert_eq!(finish.reason, "cdrouter-cli exited with status 139");
        assert_eq!(finish.summary.tests, 1);
    }

    let work = tempfile::tempdir().expect("tempdir");
    server.state().finishes.clear();
    server.add_claim(claim(18, &["a"], json!({}), 1));
    let missing = "/nonexistent/cdrouter-cli";
    let mut unstartable = agent(&server, work.path(), &[], &["--cdrouter-cli", missing]);
    unstartable.stop_once_finished(&server).await;
    let s = server.state();
    let finish = &s.finishes[0].1;
    assert_eq!(finish.status, FinishStatus::Error);
    assert_eq!(finish.exit_code, None);
    assert!(
        finish
            .reason
            .starts_with("cannot start /nonexistent/cdrouter-cli"),
        "{}",
        finish.reason
    );
    assert!(
        s.logs[&18].contains("cannot start"),
        "the reason is in the job log too"
    );
}

#[tokio::test]
async fn a_lost_lease_kills_the_run_and_reports_nothing_more() {
    let (server, work) = start().await;
    server.add_claim(claim(19, &["a", "b"], json!({}), 1));
    let mut agent = agent(&server, work.path(), &HANGS, &[]);
    until_hanging(&server, 19).await;
    server.state().lease_lost = true;
    let closed = work.path().join("job-19/outbox/closed");
    server
        .wait_for("the outbox to close", |_| closed.is_file())
        .await;
    let note = std::fs::read_to_string(&closed).expect("closed");
    assert!(note.starts_with("lease lost"), "{note}");
    let log = local_log(work.path(), 19);
    until_gone(&[sim_pid(&log)]).await;
    agent.sigterm();
    assert!(agent.exit().await.success());
    assert!(server.state().finishes.is_empty());
}

#[tokio::test]
async fn a_killed_agent_takes_its_run_along_and_the_next_one_reports_it() {
    let (server, work) = start().await;
    server.add_claim(claim(20, &["a", "b"], json!({}), 1));
    let sim_env = [
        ("CDROUTER_SIM_TEST_MS", "20"),
        ("CDROUTER_SIM_HANG", "1"),
        ("CDROUTER_SIM_SPAWN_CHILD", "1"),
    ];
    let mut first = agent(&server, work.path(), &sim_env, &[]);
    until_hanging(&server, 20).await;
    first.child.start_kill().expect("SIGKILL the agent");
    first.exit().await;
    // cdrouter-cli and what it started: gone with the agent.
    let log = local_log(work.path(), 20);
    until_gone(&[sim_pid(&log), helper_pid(&log)]).await;

    let mut second = agent(&server, work.path(), &sim_env, &[]);
    second.stop_once_finished(&server).await;
    let s = server.state();
    let finish = &s.finishes[0].1;
    assert_eq!(finish.status, FinishStatus::Error);
    assert_eq!(finish.reason, "the agent stopped while the job was running");
    assert_eq!(finish.summary.passed, 1);
    assert_eq!(s.logs[&20], local_log(work.path(), 20));
}

#[tokio::test]
async fn the_config_file_supplies_the_settings() {
    let (server, work) = start().await;
    server.add_claim(claim(21, &["a"], json!({"begin_at": "a"}), 1));
    let config = work.path().join("agent.toml");
    std::fs::write(
        &config,
        format!(
            "server = \"{}\"\ntoken = \"{TOKEN}\"\ninterfaces = \"eth7\"\nconcurrency = 2\n\
             work_dir = \"{}\"\ncdrouter_cli = \"{SIM}\"\nbegin_flag = \"-begin\"\n",
            server.url,
            work.path().join("w").display()
        ),
    )
    .expect("config");
    let mut cmd = Command::new(AGENT);
    cmd.arg("--config")
        .arg(&config)
        .env_remove("LABRELAY_TOKEN")
        .env_remove("LABRELAY_SERVER")
        .env("CDROUTER_SIM_TEST_MS", "1");
    spawn(cmd).stop_once_finished(&server).await;
    let s = server.state();
    assert_eq!(s.claim_requests[0]["interfaces"], json!(["eth7"]));
    assert_eq!(s.claim_requests[0]["capacity"], json!(2));
    assert!(s.logs[&21].contains(" -begin a "), "{}", s.logs[&21]);
    assert_eq!(s.finishes[0].1.status, FinishStatus::Completed);
}
