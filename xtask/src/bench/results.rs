//! `cargo xtask bench results`: what moving results off the lab machine costs, against the
//! real worker under `wrangler dev` (R2 and the store object local), each figure against a
//! baseline measured in the same run:
//! 1. upload throughput of a result directory of ≥ 200 MB built from the fixtures' real
//!    files, sent by the agent's own upload code (checksummed parts, store bookkeeping), as a
//!    ratio to a plain PUT of the same files straight into R2 (`/healthz/put/`, turned on
//!    for benchmarks only) — goal ≥ 0.8;
//! 2. time from the end of a run (its last file written) to its result complete over the
//!    API, with the real agent on the simulator — goal p50 ≤ 2 s;
//! 3. `list_log` of a 150 KB test log, paged by offset, as a ratio to a bare store hello —
//!    goal ≥ 0.5.

use super::harness::{self, measure_all, ms, print_table, Case};
use crate::build;
use crate::http::Http;
use crate::local_agent;
use crate::result::Result;
use crate::server::{fresh_dir, Server};
use labrelay_api::Id;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

/// The result directory's size: the "≥ 200 MB".
const DIR_BYTES: u64 = 200_000_000;
/// Runs timed for the end-to-end case.
const RUNS: usize = 10;

pub fn run(root: &Path) -> Result {
    // SAFETY of the environment: set before any thread of ours starts.
    std::env::set_var("LABRELAY_BENCH_ENDPOINTS", "1");
    let (server, client) = harness::start(root, "bench-results-state")?;
    build::agent(root, true)?;
    let dir = fresh_dir(root, "bench-results-dir")?;
    let (files, bytes) = build_dir(&dir)?;
    println!(
        "result directory: {files} files, {:.1} MB (8 copies of the fixtures' result directories)",
        bytes as f64 / 1e6
    );
    let (ratios, job) = uploads(root, &server, &client, &dir, bytes)?;
    let stored = client.get(&format!("/api/v1/results/{}/", result_of(&client, job)?))?;
    println!(
        "\nstored: {} bytes in the result (want {bytes})",
        stored["data"]["size_on_disk"]
    );

    let (rid, times) = end_to_end(root, &server, &client)?;
    print_end_to_end(&times);

    let log = format!("/api/v1/results/{rid}/tests/3/log");
    let mut page = Case::get(
        "(l) list_log of dns_45.txt (152 KB), 100 lines at offsets 0..900",
        &format!("{log}?offset=0&limit=100"),
    );
    page.also = (1..10)
        .map(|k| format!("{log}?offset={}&limit=100", k * 100))
        .collect();
    let rows = measure_all(
        &client,
        &[
            Case::get("(e) Durable Object hello (baseline)", "/healthz/store"),
            page,
        ],
    );
    print_table("list_log against a store hello", &rows);
    drop(server);
    println!("\nupload ratios: {ratios:.2?} (goal ≥ 0.8)");
    Ok(())
}

/// Two rounds of the result directory `dir` (`bytes` long) put plainly, then sent by the
/// agent's upload code: each round's ratio, and the last round's job.
fn uploads(
    root: &Path,
    server: &Server,
    client: &Http,
    dir: &Path,
    bytes: u64,
) -> Result<(Vec<f64>, u64)> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let plain = Http::anonymous(&server.url, harness::TIMEOUT);
    println!(
        "\n### Upload of the result directory (one file at a time, as the agent sends them)\n"
    );
    println!("| round | plain PUT to R2 MB/s | agent upload MB/s | ratio |");
    println!("|---|---:|---:|---:|");
    let mut ratios = Vec::new();
    let mut job = 0;
    for round in 1..=2 {
        let (agent_token, started) = started_job(client, &format!("bench-upload-{round}"))?;
        job = started;
        let agent = labrelay_agent::client::Client::new(&server.url, &agent_token)
            .map_err(|e| e.to_string())?;
        let t_plain = plain_put_all(&plain, dir, round)?;
        let job_dir =
            fresh_dir(root, &format!("bench-results-job-{round}"))?.join(format!("job-{job}"));
        let t_agent = runtime.block_on(agent_upload_all(&agent, job, dir, &job_dir))?;
        let mbps = |t: Duration| bytes as f64 / 1e6 / t.as_secs_f64();
        let ratio = t_plain.as_secs_f64() / t_agent.as_secs_f64();
        ratios.push(ratio);
        println!(
            "| {round} | {:.1} | {:.1} | {ratio:.2} |",
            mbps(t_plain),
            mbps(t_agent)
        );
    }
    Ok((ratios, job))
}

fn print_end_to_end(times: &[Duration]) {
    let mut sorted = times.to_vec();
    sorted.sort();
    println!("\n### Run end → result complete over the API ({RUNS} runs, real agent, simulator at 200 ms a test)\n");
    println!("| p50 ms | max ms | each (ms) |");
    println!("|---:|---:|---|");
    println!(
        "| {:.0} | {:.0} | {} |",
        ms(sorted[sorted.len() / 2]),
        ms(sorted[sorted.len() - 1]),
        times
            .iter()
            .map(|t| format!("{:.0}", ms(*t)))
            .collect::<Vec<_>>()
            .join(", ")
    );
}

/// Copies of the fixtures' result directories (`copyN-<name>`) until there are
/// `DIR_BYTES`: (files, bytes).
fn build_dir(dir: &Path) -> Result<(usize, u64)> {
    let bundles = labrelay_export::Bundle::read_dir(&labrelay_export::fixtures_dir())
        .map_err(|e| e.to_string())?;
    let (mut files, mut bytes) = (0, 0u64);
    'copies: for copy in 0.. {
        for (_, b) in &bundles {
            for r in &b.results {
                for (name, data) in &r.files {
                    std::fs::write(dir.join(format!("copy{copy}-{}-{name}", r.id)), data)
                        .map_err(|e| e.to_string())?;
                    files += 1;
                    bytes += data.len() as u64;
                }
            }
        }
        if bytes >= DIR_BYTES || copy > 100 {
            break 'copies;
        }
    }
    Ok((files, bytes))
}

fn names(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    v.sort();
    Ok(v)
}

/// Each file of `dir` PUT as it is into R2 (`/healthz/put/`), one after another.
fn plain_put_all(http: &Http, dir: &Path, round: usize) -> Result<Duration> {
    let start = Instant::now();
    for path in names(dir)? {
        let body = std::fs::read(&path).map_err(|e| e.to_string())?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().replace(' ', "_"))
            .unwrap_or_default();
        http.put_bytes(&format!("/healthz/put/r{round}-{name}"), &body)
            .map_err(|e| format!("plain PUT {name}: {e}"))?;
    }
    Ok(start.elapsed())
}

/// The agent's own delivery: the files queued in a job's outbox as the run would queue
/// them, sent by `outbox::deliver` (checksummed, several at once), then the finish.
async fn agent_upload_all(
    agent: &labrelay_agent::client::Client,
    job: u64,
    files: &Path,
    job_dir: &Path,
) -> Result<Duration> {
    use labrelay_agent::outbox::{deliver, Delivery, Outbox};
    let outbox = Outbox::create(job_dir, Id(job)).map_err(|e| e.to_string())?;
    let result = outbox.result_dir();
    std::fs::create_dir_all(&result).map_err(|e| e.to_string())?;
    for path in names(files)? {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        std::fs::copy(&path, result.join(&name)).map_err(|e| e.to_string())?;
        let meta = std::fs::metadata(result.join(&name)).map_err(|e| e.to_string())?;
        outbox
            .queue_file(
                &name,
                meta.len(),
                meta.modified().map_err(|e| e.to_string())?,
            )
            .map_err(|e| e.to_string())?;
    }
    outbox
        .set_finish(&labrelay_api::agents::Finish {
            status: labrelay_api::agents::FinishStatus::Completed,
            exit_code: Some(0),
            summary: Default::default(),
            reason: String::new(),
        })
        .map_err(|e| e.to_string())?;
    let start = Instant::now();
    let wake = tokio::sync::Notify::new();
    match deliver(&outbox, agent, &wake).await {
        Delivery::Delivered => Ok(start.elapsed()),
        other => Err(format!("delivery ended {other:?}")),
    }
}

/// Registers an agent, makes a package on interfaces of its own, launches, claims and starts
/// a job by hand: (agent token, job id).
fn started_job(client: &Http, name: &str) -> Result<(String, u64)> {
    let reg = client.post("/api/v1/agents/", json!({"name": name}))?;
    let token = reg["data"]["token"]
        .as_str()
        .ok_or("no agent token")?
        .to_string();
    let ifaces = [format!("{name}-lan"), format!("{name}-wan")];
    let cfg = client.post(
        "/api/v1/configs/",
        json!({"name": format!("{name}-cfg"), "contents": format!("testvar lanInterface {}\ntestvar wanInterface {}\n", ifaces[0], ifaces[1])}),
    )?;
    let pkg = client.post("/api/v1/packages/", json!({"name": format!("{name}-pkg"), "testlist": ["dns_45"], "config_id": cfg["data"]["id"]}))?;
    let job = client.post("/api/v1/jobs/", json!({"package_id": pkg["data"]["id"]}))?;
    let id = job["data"]["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or("no job id")?;
    let agent = client.with_token(&token);
    agent.post(
        "/api/v1/agent/claim",
        json!({"interfaces": ifaces, "wait_secs": 5}),
    )?;
    agent.post(&format!("/api/v1/agent/jobs/{id}/start"), json!({}))?;
    Ok((token, id))
}

fn result_of(client: &Http, job: u64) -> Result<String> {
    let j = client.get(&format!("/api/v1/jobs/{job}/"))?;
    j["data"]["result_id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| "no result".into())
}

/// `RUNS` runs of the real fail fixture's tests on the real agent: how long after the run's
/// last file is written the API shows the result complete (all bytes stored, finished).
fn end_to_end(root: &Path, server: &Server, client: &Http) -> Result<(String, Vec<Duration>)> {
    let reg = client.post("/api/v1/agents/", json!({"name": "bench-e2e"}))?;
    let token = reg["data"]["token"]
        .as_str()
        .ok_or("no agent token")?
        .to_string();
    let work = fresh_dir(root, "bench-results-agent")?;
    let mut agent =
        local_agent::command(root, true, &server.url, &token, "be2e-lan,be2e-wan", &work)
            .env("CDROUTER_SIM_TEST_MS", "200")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start the agent: {e}"))?;
    let cfg = client.post("/api/v1/configs/", json!({"name": "be2e-cfg", "contents": "testvar lanInterface be2e-lan\ntestvar wanInterface be2e-wan\n"}))?;
    let pkg = client.post("/api/v1/packages/", json!({"name": "be2e-pkg", "testlist": ["cdrouter_app_14", "dns_45"], "config_id": cfg["data"]["id"]}))?;
    let mut times = Vec::new();
    let mut last = String::new();
    let outcome = (|| -> Result {
        for _ in 0..RUNS {
            let job = client.post("/api/v1/jobs/", json!({"package_id": pkg["data"]["id"]}))?;
            let id = job["data"]["id"].as_str().ok_or("no job id")?.to_string();
            let (rid, done_at) = wait_complete(client, &id, &work)?;
            let end = last_write(&work.join(format!("job-{id}/result")))?;
            times.push(done_at.duration_since(end).unwrap_or_default());
            last = rid;
        }
        Ok(())
    })();
    let _ = Command::new("kill")
        .args(["-TERM", &agent.id().to_string()])
        .status();
    let _ = agent.wait();
    outcome.map(|()| (last, times))
}

/// Polls until the job's result is finished with every byte of its directory stored.
fn wait_complete(client: &Http, job: &str, work: &Path) -> Result<(String, SystemTime)> {
    let start = Instant::now();
    loop {
        if start.elapsed() > Duration::from_secs(120) {
            return Err(format!("job {job} did not complete"));
        }
        let j: Value = client.get(&format!("/api/v1/jobs/{job}/"))?;
        if let Some(rid) = j["data"]["result_id"].as_str() {
            let r = client.get(&format!("/api/v1/results/{rid}/"))?;
            let local: u64 = std::fs::read_dir(work.join(format!("job-{job}/result")))
                .map(|d| {
                    d.filter_map(|e| e.ok()?.metadata().ok())
                        .map(|m| m.len())
                        .sum()
                })
                .unwrap_or(0);
            if r["data"]["status"] == "completed"
                && r["data"]["size_on_disk"].as_u64() == Some(local)
                && local > 0
            {
                return Ok((rid.to_string(), SystemTime::now()));
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn last_write(dir: &Path) -> Result<SystemTime> {
    std::fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok()?.metadata().ok()?.modified().ok())
        .max()
        .ok_or_else(|| "an empty result directory".into())
}
