//! `cargo xtask bench dispatch`: how fast a launched job reaches a waiting agent. Latency is
//! measured from the launch response to the agent's claim answer, over 200 launches, with 1
//! and with 20 idle agents long-polling, beside a bare round trip through the worker to the
//! Durable Object measured in the same run. Also the real agent binary's resident memory
//! and CPU while it idles on the long-poll. Prints a table; asserts nothing.

use super::harness;
use crate::build;
use crate::http::Http;
use crate::result::Result;
use crate::server::fresh_dir;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

const LAUNCHES: usize = 200;
const IDLE_SECS: u64 = 30;

type Claimed = Arc<(Mutex<HashMap<String, Instant>>, Condvar)>;

pub fn run(root: &Path) -> Result {
    let (server, admin) = harness::start(root, "bench-dispatch")?;
    build::agent(root, true)?;
    let pkg = package(&admin, "bench-pkg", "b1", "b2")?;

    let hello = round_trips(&server.url)?;
    let launch = json!({"package_id": pkg["id"]});
    let one = dispatch(&admin, &launch, 1, "one")?;
    let twenty = dispatch(&admin, &launch, 20, "twenty")?;
    let (rss_kb, cpu) = idle_agent(root, &admin, &server.url)?;

    let p = |v: &[f64], q: f64| percentile(v, q);
    println!("\n### Dispatch latency ({LAUNCHES} launches each)\n");
    println!("| case | p50 ms | p99 ms | p50 / DO round trip p50 |");
    println!("|---|---:|---:|---:|");
    let base = p(&hello, 0.5);
    println!(
        "| bare round trip to the Durable Object (`/healthz/store`) | {:.2} | {:.2} | 1.00 |",
        base,
        p(&hello, 0.99)
    );
    for (label, v) in [("1 idle agent", &one), ("20 idle agents", &twenty)] {
        println!(
            "| launch response → claim answer, {label} | {:.2} | {:.2} | {:.2} |",
            p(v, 0.5),
            p(v, 0.99),
            p(v, 0.5) / base.max(1e-9)
        );
    }
    println!("\n### Agent while idle (release build, long-polling, {IDLE_SECS} s)\n");
    println!("| resident memory | CPU |");
    println!("|---:|---:|");
    println!(
        "| {:.1} MB | {:.3} % |",
        rss_kb as f64 / 1024.0,
        cpu * 100.0
    );
    drop(server);
    Ok(())
}

/// A package whose jobs need `lan` and `wan`.
pub(crate) fn package(admin: &Http, name: &str, lan: &str, wan: &str) -> Result<Value> {
    let cfg = admin.post_data(
        "/api/v1/configs/",
        json!({"name": format!("{name}-cfg"),
               "contents": format!("testvar lanInterface {lan}\ntestvar wanInterface {wan}\n")}),
    )?;
    admin.post_data(
        "/api/v1/packages/",
        json!({"name": name, "testlist": ["t1"], "config_id": cfg["id"]}),
    )
}

pub(crate) fn percentile(v: &[f64], q: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    s.get(((s.len() as f64 * q) as usize).min(s.len().saturating_sub(1)))
        .copied()
        .unwrap_or(0.0)
}

pub(crate) fn round_trips(base: &str) -> Result<Vec<f64>> {
    let http = Http::anonymous(base, harness::TIMEOUT);
    let mut out = Vec::new();
    for i in 0..LAUNCHES + 20 {
        let t = Instant::now();
        let a = http.answer("GET", "/healthz/store", None)?;
        if a.status >= 400 {
            return Err(format!("GET /healthz/store: {}", a.status));
        }
        if i >= 20 {
            out.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    Ok(out)
}

/// `n` in-process agents long-poll claims (as the agent binary does); each claimed job is
/// finished at once so its interfaces are free for the next, and, as the agent binary does,
/// the next claim goes out beside the finish report rather than after it. Each of
/// `LAUNCHES` launches' latency (ms) from its launch response to its claim answer.
pub(crate) fn dispatch(admin: &Http, launch: &Value, n: usize, tag: &str) -> Result<Vec<f64>> {
    let claimed: Claimed = Arc::new((Mutex::new(HashMap::new()), Condvar::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    for i in 0..n {
        let reg = admin.post_data(
            "/api/v1/agents/",
            json!({"name": format!("bench-{tag}-{i}")}),
        )?;
        let token = reg["token"].as_str().ok_or("no agent token")?;
        let http = admin.with_token(token);
        let (claimed, stop) = (claimed.clone(), stop.clone());
        threads.push(std::thread::spawn(move || {
            claim_loop(&http, &claimed, &stop)
        }));
    }
    // Let every agent get its claim open.
    std::thread::sleep(Duration::from_millis(1500));
    let mut lat = Vec::new();
    for _ in 0..LAUNCHES {
        let job = admin.post_data("/api/v1/jobs/", launch.clone())?;
        let t0 = Instant::now();
        let id = job["id"].as_str().unwrap_or("").to_string();
        let at = claimed_at(&claimed, &id)?;
        // A claim can even answer before the launch response is read: count that as 0.
        lat.push(at.saturating_duration_since(t0).as_secs_f64() * 1000.0);
    }
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    Ok(lat)
}

/// One agent's claims until `stop`: each claim's time in `claimed`, its finish sent from a
/// thread of its own.
fn claim_loop(http: &Http, claimed: &Claimed, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        let body = json!({"interfaces": ["b1", "b2"], "wait_secs": 2, "capacity": 1});
        let Ok(Some(claim)) = http.call("POST", "/api/v1/agent/claim", Some(&body)) else {
            continue;
        };
        let at = Instant::now();
        let id = claim["data"]["job"]["id"]
            .as_str()
            .unwrap_or("")
            .to_string();
        {
            let (map, cv) = &**claimed;
            if let Ok(mut m) = map.lock() {
                m.insert(id.clone(), at);
            }
            cv.notify_all();
        }
        let reporter = http.clone();
        std::thread::spawn(move || {
            let _ = reporter.post(
                &format!("/api/v1/agent/jobs/{id}/finish"),
                json!({"status": "completed", "exit_code": 0}),
            );
        });
    }
}

/// When job `id` was claimed (waiting up to 30 s for it).
fn claimed_at(claimed: &Claimed, id: &str) -> Result<Instant> {
    let (map, cv) = &**claimed;
    let mut m = map.lock().map_err(|e| e.to_string())?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !m.contains_key(id) {
        let (g, _) = cv
            .wait_timeout(m, Duration::from_millis(100))
            .map_err(|e| e.to_string())?;
        m = g;
        if Instant::now() > deadline {
            return Err(format!("job {id} was never claimed"));
        }
    }
    Ok(m[id])
}

/// Resident memory (kB) and CPU share of the real agent binary idling on the long-poll.
fn idle_agent(root: &Path, admin: &Http, url: &str) -> Result<(u64, f64)> {
    let reg = admin.post_data("/api/v1/agents/", json!({"name": "bench-idle"}))?;
    let token = reg["token"].as_str().ok_or("no agent token")?.to_string();
    let work = fresh_dir(root, "bench-idle-agent")?;
    let mut child = std::process::Command::new(build::agent_bin(root, true, "labrelay-agent"))
        .args(["--server", url, "--token", &token, "--interfaces", "idle0"])
        .arg("--work-dir")
        .arg(&work)
        .env("LABRELAY_LOG", "warn")
        .stdin(std::process::Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let pid = child.id();
    std::thread::sleep(Duration::from_secs(3));
    let ticks = |pid: u32| -> u64 {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| {
                let after = s.rsplit_once(')')?.1.to_string();
                let f: Vec<&str> = after.split_whitespace().collect();
                Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
            })
            .unwrap_or(0)
    };
    let start = ticks(pid);
    std::thread::sleep(Duration::from_secs(IDLE_SECS));
    let used = ticks(pid).saturating_sub(start);
    let rss = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0);
    let _ = child.kill();
    let _ = child.wait();
    // Clock ticks are 1/100 s on Linux.
    Ok((rss, used as f64 / 100.0 / IDLE_SECS as f64))
}
