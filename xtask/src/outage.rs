//! The outage scenario of `cargo xtask test`: a job is running on the real agent when the
//! server goes away for 20 s and comes back (same port, same state). The agent keeps the run
//! going, buffers its log and its result files on disk and replays them: every test's line
//! must be in the job's log exactly once, the job must complete, and every file of its result
//! directory must be on the server byte for byte (SHA-256 and a download of each). Needs
//! control of the server, hence here and not in itest/.

use crate::http::{encode, Http};
use crate::local_agent;
use crate::result::Result;
use crate::server::{Options, Server};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

const TESTS: usize = 40;

pub fn run(root: &Path, port: u16, state: &Path) -> Result {
    let opts = || Options {
        port,
        state: state.to_path_buf(),
        // Not a dev server: the secrets must pass the worker's production checks.
        admin_password: "outage-admin-password".into(),
        admin_token: "outage-admin-token-0123456789abcdef".into(),
        background: true,
        dev: false,
    };
    let server = Server::start(root, opts())?;
    let api = server.admin(Duration::from_secs(30));
    let token = api.post_data("/api/v1/agents/", json!({"name": "outage-agent"}))?["token"]
        .as_str()
        .ok_or("no agent token")?
        .to_string();
    let pkg = package(&api)?;
    let work = state.join("outage-agent");
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let log = std::fs::File::create(state.join("outage-agent.log")).map_err(|e| e.to_string())?;
    let mut child = local_agent::command(root, false, &server.url, &token, "out1,out2", &work)
        .env("CDROUTER_SIM_TEST_MS", "1000")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("cannot start the agent: {e}"))?;
    let result = outage(&api, &pkg, server, || Server::start(root, opts()), &work);
    let _ = child.kill();
    let _ = child.wait();
    match &result {
        Ok(()) => println!("outage: 1 passed, 0 failed"),
        Err(e) => println!("outage: 0 passed, 1 failed: {e}"),
    }
    result
}

/// A package of `TESTS` tests on the agent's interfaces.
fn package(api: &Http) -> Result<Value> {
    let cfg = api.post_data(
        "/api/v1/configs/",
        json!({"name": "outage-cfg", "contents": "testvar lanInterface out1\ntestvar wanInterface out2\n"}),
    )?;
    let tests: Vec<String> = (1..=TESTS)
        .map(|i| format!("cdrouter_outage_{i}"))
        .collect();
    api.post_data(
        "/api/v1/packages/",
        json!({"name": "outage-pkg", "testlist": tests, "config_id": cfg["id"]}),
    )
}

/// A job of `pkg` launched; once it runs, `server` stops for 20 s and `restart` brings it
/// back; then the job, its log and its files are checked.
fn outage(
    api: &Http,
    pkg: &Value,
    server: Server,
    restart: impl Fn() -> Result<Server>,
    work: &Path,
) -> Result {
    let job = api.post_data("/api/v1/jobs/", json!({"package_id": pkg["id"]}))?;
    let id = job["id"].as_str().ok_or("no job id")?.to_string();
    wait(api, &id, Duration::from_secs(60), |j| {
        j["progress"]["done"].as_u64() >= Some(3)
    })?;
    println!("outage: job {id} is running; stopping the server for 20 s");
    drop(server);
    std::thread::sleep(Duration::from_secs(20));
    let server = restart()?;
    println!("outage: server back");
    let done = wait(api, &id, Duration::from_secs(180), |j| {
        matches!(
            j["status"].as_str(),
            Some("completed" | "error" | "stopped")
        )
    })?;
    let text = read_log(api, &id)?;
    let files = check_files(api, &done, &work.join(format!("job-{id}/result")));
    drop(server);
    check(&done, &text)?;
    files.map(|n| println!("outage: {n} result files on the server, byte for byte"))
}

fn check(job: &Value, log: &str) -> Result {
    if job["status"] != "completed" {
        return Err(format!("job ended {} ({})", job["status"], job["reason"]));
    }
    for i in 1..=TESTS {
        let line = format!("PASS: Test cdrouter_outage_{i} (");
        let n = log.matches(&line).count();
        if n != 1 {
            return Err(format!("{line:?} is in the log {n} times"));
        }
    }
    Ok(())
}

/// Every file the run wrote is on the server with the same SHA-256, and downloads whole.
fn check_files(api: &Http, job: &Value, dir: &Path) -> Result<usize> {
    let result = job["result_id"].as_str().ok_or("the job has no result")?;
    let listed = api.get_data(&format!("/api/v1/results/{result}/logdir/"))?;
    let listed = listed.as_array().ok_or("no logdir list")?;
    let mut n = 0;
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let local = std::fs::read(entry.path()).map_err(|e| e.to_string())?;
        let sum = hex(&Sha256::digest(&local));
        let remote = listed
            .iter()
            .find(|f| f["name"] == name.as_str())
            .ok_or_else(|| format!("{name} is not on the server"))?;
        if remote["sha256"] != sum.as_str() {
            return Err(format!(
                "{name}: the server has {}, the agent {sum}",
                remote["sha256"]
            ));
        }
        let bytes = api.bytes(&format!(
            "/api/v1/results/{result}/logdir/{}",
            encode(&name)
        ))?;
        if bytes != local {
            return Err(format!(
                "{name}: the download differs from the agent's file"
            ));
        }
        n += 1;
    }
    Ok(n)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Polls job `id` until `done` holds for it, for `limit` at most.
fn wait(api: &Http, id: &str, limit: Duration, done: impl Fn(&Value) -> bool) -> Result<Value> {
    let start = Instant::now();
    loop {
        if let Ok(job) = api.get_data(&format!("/api/v1/jobs/{id}/")) {
            if done(&job) {
                return Ok(job);
            }
            if start.elapsed() > limit {
                return Err(format!("job {id} never got there: {job}"));
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The job's whole log, read page by page.
fn read_log(api: &Http, id: &str) -> Result<String> {
    let mut text = String::new();
    let mut offset = 0;
    loop {
        let chunk = api.get_data(&format!("/api/v1/jobs/{id}/log?offset={offset}"))?;
        let piece = chunk["text"].as_str().unwrap_or("");
        let next = chunk["next_offset"].as_u64().unwrap_or(offset);
        text.push_str(piece);
        if piece.is_empty() || next == offset {
            return Ok(text);
        }
        offset = next;
    }
}
