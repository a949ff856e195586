//! The systemd unit's stop sequence, replayed against the real agent: its `ExecStop` lines
//! (SIGTERM, then wait for the agent to end by itself) and then its `KillSignal` (SIGTERM
//! again). An idle agent is gone after the first step; a running job survives the first
//! step and is stopped and reported `stopped` by the second. The unit's 60 s wait is
//! shortened to 2 s here; everything else is the unit's own text.

mod fake_server;

use fake_server::{claim, FakeServer, TOKEN};
use labrelay_api::agents::FinishStatus;
use serde_json::json;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

const AGENT: &str = env!("CARGO_BIN_EXE_labrelay-agent");
const SIM: &str = env!("CARGO_BIN_EXE_cdrouter-cli-sim");
/// The test's stand-in for the unit's 60 s.
const WINDOW: u64 = 2;

fn start_agent(server: &FakeServer, work: &Path) -> Child {
    Command::new(AGENT)
        .args(["--server", &server.url, "--interfaces", "eth1"])
        .arg("--work-dir")
        .arg(work)
        .arg("--cdrouter-cli")
        .arg(SIM)
        .args(["--stop-grace", "1"])
        .env("LABRELAY_TOKEN", TOKEN)
        .env("CDROUTER_SIM_TEST_MS", "1000")
        .env_remove("LABRELAY_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("agent starts")
}

/// The unit's `ExecStop=` command lines, `$MAINPID` filled in, the wait shortened.
fn exec_stops(pid: u32) -> Vec<Vec<String>> {
    let unit = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("dist/labrelay-agent.service"),
    )
    .expect("unit");
    unit.lines()
        .filter_map(|l| l.strip_prefix("ExecStop="))
        .map(|cmd| {
            cmd.trim_start_matches('-')
                .replace("$MAINPID", &pid.to_string())
                .replace("timeout 60 ", &format!("timeout {WINDOW} "))
                .split_whitespace()
                .map(str::to_string)
                .collect()
        })
        .collect()
}

/// Runs the `ExecStop` lines in order against `agent`, as systemd does, waiting for it in the
/// background: its pid, its reaper and how long the lines took.
async fn first_step(agent: Child) -> (u32, tokio::task::JoinHandle<bool>, Duration) {
    let pid = agent.id().expect("pid");
    let agent = reap(agent);
    let started = Instant::now();
    let stops = exec_stops(pid);
    assert_eq!(stops.len(), 2, "{stops:?}");
    for argv in stops {
        // `-` in the unit: a failing line does not stop the sequence.
        let _ = Command::new(&argv[0]).args(&argv[1..]).status().await;
    }
    (pid, agent, started.elapsed())
}

fn sigterm(pid: u32) {
    let pid = nix::unistd::Pid::from_raw(i32::try_from(pid).expect("pid"));
    nix::sys::signal::kill(pid, nix::sys::signal::SIGTERM).expect("signal the agent");
}

/// Waits for the agent in the background, as systemd does: `tail --pid` takes an unreaped
/// (zombie) process for a live one.
fn reap(mut child: Child) -> tokio::task::JoinHandle<bool> {
    tokio::spawn(async move { child.wait().await.is_ok_and(|s| s.success()) })
}

async fn exited(reaper: tokio::task::JoinHandle<bool>, within: Duration) -> bool {
    tokio::time::timeout(within, reaper)
        .await
        .is_ok_and(|ok| ok.unwrap_or(false))
}

#[tokio::test]
async fn an_idle_agent_is_gone_after_the_first_step() {
    let server = FakeServer::start().await;
    let work = tempfile::tempdir().expect("tempdir");
    let agent = start_agent(&server, work.path());
    server
        .wait_for("a claim", |s| !s.claim_requests.is_empty())
        .await;
    let (_, agent, took) = first_step(agent).await;
    assert!(exited(agent, Duration::from_secs(5)).await);
    assert!(
        took < Duration::from_secs(WINDOW),
        "the wait ends when the agent does: {took:?}"
    );
}

#[tokio::test]
async fn a_running_job_survives_the_first_step_and_is_stopped_by_the_second() {
    let server = FakeServer::start().await;
    let work = tempfile::tempdir().expect("tempdir");
    let tests: Vec<String> = (1..=30).map(|i| format!("cdrouter_basic_{i}")).collect();
    let tests: Vec<&str> = tests.iter().map(String::as_str).collect();
    server.add_claim(claim(21, &tests, json!({}), 1));
    let agent = start_agent(&server, work.path());
    server
        .wait_for("the run to start", |s| !s.starts.is_empty())
        .await;
    let (pid, agent, took) = first_step(agent).await;
    assert!(took >= Duration::from_secs(WINDOW), "{took:?}");
    assert!(
        server.state().finishes.is_empty(),
        "the first step lets the job run"
    );
    assert!(!agent.is_finished(), "the agent is still running");
    // KillSignal: stop_grace (1 s here) and the flush are well within TimeoutStopSec.
    sigterm(pid);
    assert!(exited(agent, Duration::from_secs(30)).await);
    let s = server.state();
    assert_eq!(s.finishes.len(), 1);
    assert_eq!(s.finishes[0].1.status, FinishStatus::Stopped);
}
