//! Stopping a run reaches its whole process group: SIGTERM, grace, SIGKILL.

use labrelay_agent::process::ProcessGroup;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

const SIM: &str = env!("CARGO_BIN_EXE_cdrouter-cli-sim");

/// Starts the simulator through `env` (which execs it in place) so it gets its variables.
fn spawn_sim(dir: &Path, vars: &[&str]) -> (ProcessGroup, labrelay_agent::process::Output) {
    let list = dir.join("testlist.log");
    std::fs::write(&list, "one\ntwo\n").expect("testlist");
    let mut args: Vec<String> = vec!["CDROUTER_SIM_TEST_MS=10".into()];
    args.extend(vars.iter().map(|v| v.to_string()));
    args.extend([
        SIM.into(),
        "-execute".into(),
        format!("@{}", list.display()),
        "-logdir".into(),
        dir.join("logs").display().to_string(),
    ]);
    ProcessGroup::spawn(Path::new("/usr/bin/env"), &args, dir).expect("spawn")
}

/// Reads stderr until the simulator hangs (stdout, its log, is drained meanwhile); returns
/// the pids it printed (its own, the helper's).
async fn pids_once_hanging(output: labrelay_agent::process::Output) -> (i32, i32) {
    let mut stdout = output.stdout;
    tokio::spawn(async move {
        let _ = tokio::io::copy(&mut stdout, &mut tokio::io::sink()).await;
    });
    let mut lines = BufReader::new(output.stderr).lines();
    let (mut pid, mut helper) = (0, 0);
    let read = async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(p) = line.split("helper pid ").nth(1) {
                helper = p.trim().parse().expect("helper pid");
            } else if let Some(p) = line.split(": pid ").nth(1) {
                pid = p
                    .split(',')
                    .next()
                    .and_then(|p| p.trim().parse().ok())
                    .expect("pid");
            }
            if line.contains("simulated hang") {
                return;
            }
        }
        panic!("the simulator ended before hanging");
    };
    tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .expect("the simulator hangs");
    assert!(pid > 0 && helper > 0);
    (pid, helper)
}

fn is_gone(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

async fn until_gone(pid: i32) {
    let wait = async {
        while !is_gone(pid) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), wait)
        .await
        .unwrap_or_else(|_| panic!("process {pid} is still alive"));
}

#[tokio::test]
async fn a_group_that_ignores_sigterm_is_killed_after_the_grace_period() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut group, output) = spawn_sim(
        dir.path(),
        &[
            "CDROUTER_SIM_IGNORE_TERM=1",
            "CDROUTER_SIM_HANG=1",
            "CDROUTER_SIM_SPAWN_CHILD=1",
        ],
    );
    let (pid, helper) = pids_once_hanging(output).await;
    assert_eq!(pid, group.pgid(), "env exec'd the simulator in place");
    let ended = group.stop(Duration::from_millis(300)).await.expect("stop");
    assert!(ended.killed);
    assert_eq!(
        ended.status.signal(),
        Some(9),
        "SIGTERM was ignored, SIGKILL ended it"
    );
    until_gone(pid).await;
    until_gone(helper).await;
}

#[tokio::test]
async fn a_group_that_honours_sigterm_ends_with_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut group, output) = spawn_sim(
        dir.path(),
        &["CDROUTER_SIM_HANG=1", "CDROUTER_SIM_SPAWN_CHILD=1"],
    );
    let (pid, helper) = pids_once_hanging(output).await;
    let ended = group.stop(Duration::from_secs(30)).await.expect("stop");
    assert!(!ended.killed);
    assert_eq!(
        ended.status.code(),
        Some(143),
        "it stopped on SIGTERM: {ended:?}"
    );
    until_gone(pid).await;
    until_gone(helper).await;
}

#[tokio::test]
async fn a_stop_that_comes_later_runs_the_same_sequence() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut group, output) = spawn_sim(
        dir.path(),
        &["CDROUTER_SIM_HANG=1", "CDROUTER_SIM_SPAWN_CHILD=1"],
    );
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let stop = async move {
        let _ = rx.await;
    };
    let run = group.wait_or_stop(stop, Duration::from_secs(30));
    let ((pid, helper), ()) = tokio::join!(
        async {
            let pids = pids_once_hanging(output).await;
            let _ = tx.send(());
            pids
        },
        async {
            let ended = run.await.expect("ended");
            assert_eq!(ended.status.code(), Some(143), "{ended:?}");
        }
    );
    until_gone(pid).await;
    until_gone(helper).await;
}

#[tokio::test]
async fn dropping_the_group_kills_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (group, output) = spawn_sim(
        dir.path(),
        &[
            "CDROUTER_SIM_IGNORE_TERM=1",
            "CDROUTER_SIM_HANG=1",
            "CDROUTER_SIM_SPAWN_CHILD=1",
        ],
    );
    let (pid, helper) = pids_once_hanging(output).await;
    drop(group);
    until_gone(pid).await;
    until_gone(helper).await;
}

#[tokio::test]
async fn leftovers_are_killed_when_the_leader_exits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut group, output) = spawn_sim(dir.path(), &["CDROUTER_SIM_SPAWN_CHILD=1"]);
    let mut stdout = output.stdout;
    tokio::spawn(async move {
        let _ = tokio::io::copy(&mut stdout, &mut tokio::io::sink()).await;
    });
    let mut lines = BufReader::new(output.stderr).lines();
    let mut helper = 0;
    while let Ok(Some(line)) = lines.next_line().await {
        if let Some(p) = line.split("helper pid ").nth(1) {
            helper = p.trim().parse().expect("helper pid");
            break;
        }
    }
    assert!(helper > 0);
    let status = group.wait().await.expect("wait");
    assert_eq!(status.code(), Some(0));
    until_gone(helper).await;
}
