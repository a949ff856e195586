//! Stopping a run reaches its whole process group: SIGTERM, grace, SIGKILL; started directly
//! or through the supervisor (`labrelay-agent supervise`), which also takes the group along
//! when the agent's end of its lifeline closes (the agent died, however).

mod pids;

use labrelay_agent::process::{Output, ProcessGroup};
use pids::until_gone;
use std::os::fd::OwnedFd;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

const SIM: &str = env!("CARGO_BIN_EXE_cdrouter-cli-sim");
const AGENT: &str = env!("CARGO_BIN_EXE_labrelay-agent");

/// How a test starts its run.
#[derive(Clone, Copy, Debug)]
enum Start {
    Direct,
    Supervised,
}

const BOTH: [Start; 2] = [Start::Direct, Start::Supervised];

/// The simulator hangs after its first test and starts a helper in its group.
const HANGS: [&str; 2] = ["CDROUTER_SIM_HANG=1", "CDROUTER_SIM_SPAWN_CHILD=1"];
/// As [`HANGS`], and SIGTERM is ignored: only SIGKILL ends it.
const STUBBORN: [&str; 3] = [
    "CDROUTER_SIM_IGNORE_TERM=1",
    "CDROUTER_SIM_HANG=1",
    "CDROUTER_SIM_SPAWN_CHILD=1",
];

/// `env VARS... cdrouter-cli-sim -execute ... -logdir ...`: `env` execs the simulator in
/// place, with its variables.
fn sim_args(dir: &Path, vars: &[&str]) -> Vec<String> {
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
    args
}

async fn spawn_sim(start: Start, dir: &Path, vars: &[&str]) -> (ProcessGroup, Output) {
    let args = sim_args(dir, vars);
    let env = Path::new("/usr/bin/env");
    match start {
        Start::Direct => ProcessGroup::spawn(env, &args, dir).expect("spawn"),
        Start::Supervised => ProcessGroup::spawn_supervised(
            Path::new(AGENT),
            Duration::from_secs(30),
            env,
            &args,
            dir,
        )
        .await
        .expect("spawn"),
    }
}

/// Starts the simulator and waits until it hangs: its group, its pid and its helper's.
async fn hanging(start: Start, dir: &Path, vars: &[&str]) -> (ProcessGroup, i32, i32) {
    let (group, output) = spawn_sim(start, dir, vars).await;
    let (pid, helper) = pids_once_hanging(output.stdout, output.stderr).await;
    (group, pid, helper)
}

/// Reads a stream to its end in the background (a full pipe would block the writer).
fn drain(mut stream: impl AsyncRead + Unpin + Send + 'static) {
    tokio::spawn(async move {
        let _ = tokio::io::copy(&mut stream, &mut tokio::io::sink()).await;
    });
}

/// Reads `stderr` until the simulator hangs (`stdout`, its log, is drained meanwhile);
/// returns the pids it printed (its own, the helper's).
async fn pids_once_hanging(
    stdout: impl AsyncRead + Unpin + Send + 'static,
    stderr: impl AsyncRead + Unpin,
) -> (i32, i32) {
    drain(stdout);
    let mut lines = BufReader::new(stderr).lines();
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

#[tokio::test]
async fn a_group_that_ignores_sigterm_is_killed_after_the_grace_period() {
    for start in BOTH {
        let dir = tempfile::tempdir().expect("tempdir");
        let (mut group, pid, helper) = hanging(start, dir.path(), &STUBBORN).await;
        if let Start::Direct = start {
            assert_eq!(pid, group.pgid(), "env exec'd the simulator in place");
        }
        let ended = group.stop(Duration::from_millis(300)).await.expect("stop");
        assert!(ended.killed, "{start:?}");
        assert_eq!(
            ended.status.signal(),
            Some(9),
            "{start:?}: SIGTERM was ignored, SIGKILL ended it"
        );
        until_gone(&[pid, helper]).await;
    }
}

#[tokio::test]
async fn a_group_that_honours_sigterm_ends_with_it() {
    for start in BOTH {
        let dir = tempfile::tempdir().expect("tempdir");
        let (mut group, pid, helper) = hanging(start, dir.path(), &HANGS).await;
        let ended = group.stop(Duration::from_secs(30)).await.expect("stop");
        assert!(!ended.killed, "{start:?}");
        assert_eq!(
            ended.status.code(),
            Some(143),
            "{start:?}: it stopped on SIGTERM: {ended:?}"
        );
        until_gone(&[pid, helper]).await;
    }
}

#[tokio::test]
async fn a_stop_that_comes_later_runs_the_same_sequence() {
    for start in BOTH {
        let dir = tempfile::tempdir().expect("tempdir");
        let (mut group, output) = spawn_sim(start, dir.path(), &HANGS).await;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let stop = async move {
            let _ = rx.await;
        };
        let run = group.wait_or_stop(stop, Duration::from_secs(30));
        let (pid, helper) = tokio::join!(
            async {
                let pids = pids_once_hanging(output.stdout, output.stderr).await;
                let _ = tx.send(());
                pids
            },
            async {
                let ended = run.await.expect("ended");
                assert_eq!(ended.status.code(), Some(143), "{start:?}: {ended:?}");
            }
        )
        .0;
        until_gone(&[pid, helper]).await;
    }
}

#[tokio::test]
async fn dropping_the_group_kills_it() {
    for start in BOTH {
        let dir = tempfile::tempdir().expect("tempdir");
        let (group, pid, helper) = hanging(start, dir.path(), &STUBBORN).await;
        drop(group);
        until_gone(&[pid, helper]).await;
    }
}

#[tokio::test]
async fn leftovers_are_killed_when_the_leader_exits() {
    for start in BOTH {
        let dir = tempfile::tempdir().expect("tempdir");
        let (mut group, output) =
            spawn_sim(start, dir.path(), &["CDROUTER_SIM_SPAWN_CHILD=1"]).await;
        drain(output.stdout);
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
        assert_eq!(status.code(), Some(0), "{start:?}");
        until_gone(&[helper]).await;
    }
}

#[tokio::test]
async fn the_supervisor_exits_as_the_program_did() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sh = Path::new("/bin/sh");
    for (script, code, signal) in [
        ("exit 3", Some(3), None),
        ("kill -USR1 $$", None, Some(nix::libc::SIGUSR1)),
    ] {
        let args = ["-c".to_string(), script.to_string()];
        let (mut group, _output) = ProcessGroup::spawn_supervised(
            Path::new(AGENT),
            Duration::from_secs(5),
            sh,
            &args,
            dir.path(),
        )
        .await
        .expect("spawn");
        let status = group.wait().await.expect("wait");
        assert_eq!((status.code(), status.signal()), (code, signal), "{script}");
    }
    let missing = Path::new("/nonexistent/cdrouter-cli");
    let err = ProcessGroup::spawn_supervised(
        Path::new(AGENT),
        Duration::from_secs(5),
        missing,
        &[],
        dir.path(),
    )
    .await
    .err()
    .expect("cannot start");
    assert!(
        err.to_string().contains("No such file or directory"),
        "{err}"
    );
}

/// The supervisor on its own, its lifeline in the test's hands: closing the test's end is
/// what the kernel does when the agent dies, SIGKILL or not.
#[tokio::test]
async fn when_the_lifeline_closes_the_supervisor_takes_the_run_along() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ours, theirs) = std::os::unix::net::UnixStream::pair().expect("socket pair");
    let mut child = tokio::process::Command::new(AGENT)
        .args(["supervise", "--grace-ms=300", "--", "/usr/bin/env"])
        .args(sim_args(dir.path(), &STUBBORN))
        .current_dir(dir.path())
        .stdin(std::process::Stdio::from(OwnedFd::from(theirs)))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .expect("the supervisor starts");
    let supervisor = child.id().and_then(|p| i32::try_from(p).ok()).expect("pid");
    let (stdout, stderr) = (
        child.stdout.take().expect("stdout"),
        child.stderr.take().expect("stderr"),
    );
    let (pid, helper) = pids_once_hanging(stdout, stderr).await;
    let mut hello = [0u8; 64];
    let n = std::io::Read::read(&mut &ours, &mut hello).expect("hello");
    assert_eq!(
        String::from_utf8_lossy(&hello[..n]),
        format!("started {pid}\n"),
        "the supervisor says which pid runs"
    );
    drop(ours);
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("the supervisor ends")
        .expect("wait");
    assert_eq!(
        status.signal(),
        Some(9),
        "SIGTERM ignored: the group was killed after the grace period"
    );
    until_gone(&[supervisor, pid, helper]).await;
}
