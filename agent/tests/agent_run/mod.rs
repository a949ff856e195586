//! The agent binary run against the fake server with the cdrouter-cli simulator, and what
//! to look for in what it leaves (its log, the server's state, the simulator's pids).

use crate::fake_server::{FakeServer, State, TOKEN};
use labrelay_api::agents::FinishStatus;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const AGENT: &str = env!("CARGO_BIN_EXE_labrelay-agent");
pub const SIM: &str = env!("CARGO_BIN_EXE_cdrouter-cli-sim");

/// A running agent; its stderr is collected for assertions (and shown when a test fails).
pub struct Agent {
    pub child: Child,
    stderr: Arc<Mutex<String>>,
}

pub fn agent(server: &FakeServer, work: &Path, sim_env: &[(&str, &str)], extra: &[&str]) -> Agent {
    let mut cmd = Command::new(AGENT);
    cmd.args(["--server", &server.url, "--interfaces", "eth1,eth2"])
        .arg("--work-dir")
        .arg(work)
        .args(["--testpath", "/opt/tests", "--stop-grace", "1"])
        .args(["--log-level", "debug"])
        .args(extra)
        .args(if extra.contains(&"--cdrouter-cli") {
            vec![]
        } else {
            vec!["--cdrouter-cli", SIM]
        })
        .env("LABRELAY_TOKEN", TOKEN)
        .env_remove("LABRELAY_CONFIG")
        .stdout(Stdio::null());
    for (k, v) in sim_env {
        cmd.env(k, v);
    }
    spawn(cmd)
}

/// Starts the agent `cmd` describes, collecting its stderr.
pub fn spawn(mut cmd: Command) -> Agent {
    let mut child = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("agent starts");
    let stderr = Arc::new(Mutex::new(String::new()));
    if let Some(pipe) = child.stderr.take() {
        let sink = stderr.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(pipe).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                eprintln!("agent: {line}");
                let mut s = sink.lock().unwrap_or_else(|e| e.into_inner());
                s.push_str(&line);
                s.push('\n');
            }
        });
    }
    Agent { child, stderr }
}

impl Agent {
    pub fn pid(&self) -> i32 {
        self.child
            .id()
            .and_then(|p| i32::try_from(p).ok())
            .expect("agent pid")
    }

    pub fn sigterm(&self) {
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.pid()),
            nix::sys::signal::SIGTERM,
        )
        .expect("signal the agent");
    }

    pub async fn stderr_contains(&self, text: &str) {
        let found = async {
            loop {
                if self
                    .stderr
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .contains(text)
                {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(60), found)
            .await
            .unwrap_or_else(|_| panic!("the agent never logged {text:?}"));
    }

    /// Once the server has a finish: SIGTERM, and the agent exits 0.
    pub async fn stop_once_finished(&mut self, server: &FakeServer) {
        server
            .wait_for("the finish", |s| !s.finishes.is_empty())
            .await;
        self.sigterm();
        assert!(self.exit().await.success());
    }

    pub async fn exit(&mut self) -> ExitStatus {
        tokio::time::timeout(Duration::from_secs(60), self.child.wait())
            .await
            .expect("the agent exits")
            .expect("wait")
    }
}

/// The fake server and a work directory for the agent.
pub async fn start() -> (FakeServer, tempfile::TempDir) {
    let server = FakeServer::start().await;
    (server, tempfile::tempdir().expect("tempdir"))
}

/// The simulator's tests take 20 ms and the first hangs until it is stopped.
pub const HANGS: [(&str, &str); 2] = [("CDROUTER_SIM_TEST_MS", "20"), ("CDROUTER_SIM_HANG", "1")];

/// Until job `job`'s log says the run hangs (after its first test).
pub async fn until_hanging(server: &FakeServer, job: u64) {
    server
        .wait_for("the run to hang", |s| {
            s.logs
                .get(&job)
                .is_some_and(|l| l.contains("simulated hang"))
        })
        .await;
}

/// The first finish is a stop by a user after one test, and job `job`'s log says the
/// run was stopped for that; returns the log.
pub fn assert_stopped_by_user(s: &State, job: u64) -> &str {
    let finish = &s.finishes[0].1;
    assert_eq!(finish.status, FinishStatus::Stopped);
    assert_eq!(finish.reason, "stopped by a user");
    assert_eq!(finish.summary.tests, 1);
    let log = &s.logs[&job];
    assert!(
        log.contains("stopping cdrouter-cli (stopped by a user)"),
        "{log}"
    );
    log
}

pub fn local_log(work: &Path, job: u64) -> String {
    std::fs::read_to_string(work.join(format!("job-{job}/outbox/log"))).expect("local log")
}

pub fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

/// The pid the simulator printed (`cdrouter-cli-sim: SIMULATOR, ...: pid N, ...`).
pub fn sim_pid(log: &str) -> i32 {
    log.lines()
        .find_map(|l| l.split(": pid ").nth(1))
        .and_then(|p| p.split(',').next())
        .and_then(|p| p.trim().parse().ok())
        .expect("the simulator's pid in the log")
}

/// The pid of the simulator's helper process (`cdrouter-cli-sim: helper pid N`).
pub fn helper_pid(log: &str) -> i32 {
    log.lines()
        .find_map(|l| l.split("helper pid ").nth(1))
        .and_then(|p| p.trim().parse().ok())
        .expect("the helper's pid in the log")
}

/// Every file of the job's result directory is on the server, byte for byte.
pub fn assert_results_uploaded(server: &FakeServer, work: &Path, job: u64) -> usize {
    let dir = work.join(format!("job-{job}/result"));
    let s = server.state();
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("result dir") {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        let local = std::fs::read(entry.path()).expect("file");
        let remote = s
            .files
            .get(&(job, name.clone()))
            .and_then(|f| f.bytes.clone())
            .unwrap_or_else(|| panic!("{name} was not uploaded whole"));
        assert!(remote == local, "{name} differs");
        n += 1;
    }
    n
}
