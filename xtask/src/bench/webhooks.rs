//! `cargo xtask bench webhooks`: how soon a finished run's webhook leaves, and what hooks
//! that never answer cost everyone else. (a) 50 runs, each claimed, started and finished by
//! an in-process agent, with one hook on `job.finished` pointing at a receiver here: the time
//! from the finish answer to the delivery's arrival. (b) `GET /api/v1/jobs/` p50 with no
//! hooks, then with 100 hooks pointing at a receiver that accepts connections and never
//! answers, while launches keep their deliveries waiting (same run). Prints; asserts nothing.

use super::dispatch::{package, percentile};
use super::harness;
use crate::http::Http;
use crate::result::Result;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

const RUNS: usize = 50;
const HOOKS: usize = 100;
const LIST_READS: usize = 200;

type Arrivals = Arc<(Mutex<HashMap<String, Instant>>, Condvar)>;

pub fn run(root: &std::path::Path) -> Result {
    let (server, admin) = harness::start(root, "bench-webhooks")?;
    let pkg = package(&admin, "bench-hook-pkg", "h1", "h2")?;
    let launch = json!({"package_id": pkg["id"]});
    let reg = admin.post_data("/api/v1/agents/", json!({"name": "bench-hook-agent"}))?;
    let agent = admin.with_token(reg["token"].as_str().ok_or("no agent token")?);

    // (a) finish → delivery.
    let arrivals: Arrivals = Arc::new((Mutex::new(HashMap::new()), Condvar::new()));
    let rx = receiver(arrivals.clone())?;
    let hook = admin.post_data(
        "/api/v1/webhooks/",
        json!({"url": format!("http://{rx}/hook"), "events": ["job.finished"]}),
    )?;
    let mut lat = Vec::new();
    for _ in 0..RUNS {
        let job = admin.post_data("/api/v1/jobs/", launch.clone())?;
        let id = job["id"].as_str().unwrap_or_default().to_string();
        run_job(&agent, &id)?;
        let finished = Instant::now();
        let at = arrived(&arrivals, &id)?;
        lat.push(at.saturating_duration_since(finished).as_secs_f64() * 1000.0);
    }
    admin.call(
        "DELETE",
        &format!("/api/v1/webhooks/{}/", hook["id"].as_str().unwrap_or("0")),
        None,
    )?;

    // (b) GET /jobs without hooks, then with 100 hooks that never answer.
    let quiet = list_reads(&admin)?;
    let (silent, _held) = silent_receiver()?;
    for i in 0..HOOKS {
        admin.post_data(
            "/api/v1/webhooks/",
            json!({"url": format!("http://{silent}/never/{i}"), "events": ["job.launched"]}),
        )?;
    }
    for _ in 0..5 {
        admin.post_data("/api/v1/jobs/", launch.clone())?;
    }
    std::thread::sleep(Duration::from_secs(2));
    let loaded = list_reads(&admin)?;
    let status = admin.get_data("/api/v1/system/status")?;

    print(&lat, &quiet, &loaded);
    println!("\nlab status after: {status}");
    drop(server);
    Ok(())
}

/// The table for BENCHMARKS.md.
fn print(lat: &[f64], quiet: &[f64], loaded: &[f64]) {
    let p = |v: &[f64], q: f64| percentile(v, q);
    println!("\n### Webhooks\n");
    println!("| case | p50 ms | p99 ms | ratio |");
    println!("|---|---:|---:|---:|");
    println!(
        "| job finish answered → its `job.finished` delivery arrives ({RUNS} runs) | {:.1} | {:.1} | — |",
        p(lat, 0.5),
        p(lat, 0.99)
    );
    println!(
        "| `GET /api/v1/jobs/`, no hooks ({LIST_READS} reads) | {:.2} | {:.2} | 1.00 |",
        p(quiet, 0.5),
        p(quiet, 0.99)
    );
    println!(
        "| `GET /api/v1/jobs/`, {HOOKS} hooks at a receiver that never answers, deliveries waiting | {:.2} | {:.2} | {:.2} (no-hooks p50 / this p50) |",
        p(loaded, 0.5),
        p(loaded, 0.99),
        p(quiet, 0.5) / p(loaded, 0.5).max(1e-9)
    );
}

/// Claims, starts and finishes job `id` as an agent would (with no tests).
fn run_job(agent: &Http, id: &str) -> Result {
    let body = json!({"interfaces": ["h1", "h2"], "wait_secs": 5, "capacity": 1});
    let claim = agent
        .call("POST", "/api/v1/agent/claim", Some(&body))?
        .ok_or("no job to claim")?;
    let claimed = claim["data"]["job"]["id"].as_str().unwrap_or_default();
    if claimed != id {
        return Err(format!("claimed job {claimed}, launched {id}"));
    }
    agent.post(&format!("/api/v1/agent/jobs/{id}/start"), json!({}))?;
    agent.post(
        &format!("/api/v1/agent/jobs/{id}/finish"),
        json!({"status": "completed", "exit_code": 0}),
    )?;
    Ok(())
}

fn list_reads(admin: &Http) -> Result<Vec<f64>> {
    (0..LIST_READS)
        .map(|_| admin.get_timed("/api/v1/jobs/?limit=20").map(|(_, ms)| ms))
        .collect()
}

/// When the delivery for job `id` arrived (waiting up to 30 s).
fn arrived(arrivals: &Arrivals, id: &str) -> Result<Instant> {
    let (map, cv) = &**arrivals;
    let mut m = map.lock().map_err(|_| "receiver lock")?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(at) = m.get(id) {
            return Ok(*at);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(format!("no delivery for job {id} within 30 s"));
        }
        m = cv.wait_timeout(m, left).map_err(|_| "receiver lock")?.0;
    }
}

/// A receiver on 127.0.0.1 that answers 200 and notes when each job's delivery came.
fn receiver(arrivals: Arrivals) -> Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener
        .local_addr()
        .map_err(|e| e.to_string())?
        .to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let arrivals = arrivals.clone();
            std::thread::spawn(move || {
                if let Some(body) = read_request(&stream) {
                    let at = Instant::now();
                    let job = serde_json::from_slice::<Value>(&body)
                        .ok()
                        .and_then(|v| v["job"]["id"].as_str().map(String::from));
                    if let Some(job) = job {
                        let (map, cv) = &*arrivals;
                        if let Ok(mut m) = map.lock() {
                            m.entry(job).or_insert(at);
                        }
                        cv.notify_all();
                    }
                }
                let mut s = stream;
                let _ = s.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                );
            });
        }
    });
    Ok(addr)
}

/// A request's body (by its content-length).
fn read_request(stream: &TcpStream) -> Option<Vec<u8>> {
    let mut r = BufReader::new(stream);
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0; len.min(1 << 20)];
    r.read_exact(&mut body).ok()?;
    Some(body)
}

/// A receiver that accepts connections and never answers (the streams are kept open).
fn silent_receiver() -> Result<(String, Arc<Mutex<Vec<TcpStream>>>)> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener
        .local_addr()
        .map_err(|e| e.to_string())?
        .to_string();
    let held = Arc::new(Mutex::new(Vec::new()));
    let keep = held.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            if let Ok(mut v) = keep.lock() {
                v.push(stream);
            }
        }
    });
    Ok((addr, held))
}
