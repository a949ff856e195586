//! The benchmarks' harness: cases run against the real worker over several connections,
//! measured (requests a second, p50, p99, errors) and printed as a table for BENCHMARKS.md;
//! and the start every bench shares: its server, packages and stored jobs.

use crate::http::Http;
use crate::result::Result;
use crate::server::{Options, Server};
use crate::{build, tools};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Concurrent connections: several, as a small team's clients and agents would be.
const CONNECTIONS: usize = 8;
/// How long each case runs; long enough for a stable p99 at a few hundred requests/s.
const CASE_SECONDS: u64 = 6;
/// How long one of the benches' requests may take.
pub const TIMEOUT: Duration = Duration::from_secs(60);

pub struct Case {
    pub label: &'static str,
    pub method: &'static str,
    pub path: String,
    pub body: Option<Value>,
    /// More paths taken in turn with `path` (e.g. pages at different offsets).
    pub also: Vec<String>,
}

#[derive(Clone)]
pub struct Measured {
    pub label: &'static str,
    pub rps: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub errors: usize,
}

impl Case {
    pub fn get(label: &'static str, path: &str) -> Case {
        Case {
            label,
            method: "GET",
            path: path.into(),
            body: None,
            also: Vec::new(),
        }
    }

    /// The path of the `n`-th request.
    fn path_for(&self, n: usize) -> &str {
        match n % (self.also.len() + 1) {
            0 => &self.path,
            i => &self.also[i - 1],
        }
    }
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub fn print_table(title: &str, rows: &[Measured]) {
    let base = rows
        .iter()
        .find(|m| m.label.starts_with("(e)"))
        .map(|m| m.rps)
        .unwrap_or(1.0);
    println!("\n### {title} ({CONNECTIONS} connections, {CASE_SECONDS} s per case)\n");
    println!("| case | req/s | ratio to (e) | p50 ms | p99 ms | errors |");
    println!("|---|---:|---:|---:|---:|---:|");
    for m in rows {
        println!(
            "| {} | {:.0} | {:.2} | {:.2} | {:.2} | {} |",
            m.label,
            m.rps,
            m.rps / base,
            ms(m.p50),
            ms(m.p99),
            m.errors
        );
    }
}

pub fn measure_all(client: &Http, cases: &[Case]) -> Vec<Measured> {
    cases.iter().map(|c| measure(client, c)).collect()
}

fn measure(client: &Http, case: &Case) -> Measured {
    // Warm up the connections and the Durable Object.
    for n in 0..20 {
        let _ = send(client, case, n);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let threads: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let stop = stop.clone();
            let client = client.fresh();
            let case = Case {
                label: case.label,
                method: case.method,
                path: case.path.clone(),
                body: case.body.clone(),
                also: case.also.clone(),
            };
            std::thread::spawn(move || {
                let mut lat = Vec::new();
                let mut errors = 0;
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    n += 1;
                    match send(&client, &case, n) {
                        Ok(()) => lat.push(t.elapsed()),
                        Err(_) => errors += 1,
                    }
                }
                (lat, errors)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(CASE_SECONDS));
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    let mut errors = 0;
    for t in threads {
        if let Ok((lat, e)) = t.join() {
            all.extend(lat);
            errors += e;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Measured {
        label: case.label,
        rps: all.len() as f64 / elapsed,
        p50: pct(0.50),
        p99: pct(0.99),
        errors,
    }
}

/// One request of a case, its answer read whole (as a client would); a 4xx or 5xx is an
/// error.
fn send(http: &Http, case: &Case, n: usize) -> Result {
    let a = http.answer(case.method, case.path_for(n), case.body.as_ref())?;
    if a.status >= 400 {
        return Err(format!("{} {}", a.status, a.body));
    }
    Ok(())
}

/// A bench's server (a fresh state directory named `name`), everything built first, and its
/// admin's client.
pub fn start(root: &Path, name: &str) -> Result<(Server, Http)> {
    tools::ensure_all(root)?;
    build::all(root)?;
    let server = Server::start(root, Options::bench(root, name)?)?;
    let admin = server.admin(TIMEOUT);
    Ok((server, admin))
}

/// Two packages (`nat-basic`, `dhcp-basic`) and jobs of theirs until `jobs` are stored:
/// the packages' ids.
pub fn seed(http: &Http, jobs: u64) -> Result<(u64, u64)> {
    let nat = create_package(http, "nat-basic")?;
    let dhcp = create_package(http, "dhcp-basic")?;
    let have = count_jobs(http)?;
    seed_jobs(http, jobs.saturating_sub(have), nat, dhcp)?;
    Ok((nat, dhcp))
}

pub fn create_package(http: &Http, name: &str) -> Result<u64> {
    let v = http.post(
        "/api/v1/packages/",
        json!({"name": name, "testlist": ["cdrouter_basic_1", "cdrouter_nat_1"]}),
    )?;
    v["data"]["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("unexpected package answer: {v}"))
}

pub fn count_jobs(http: &Http) -> Result<u64> {
    let v = http.get("/api/v1/jobs/?limit=1")?;
    Ok(v["links"]["total"].as_u64().unwrap_or(0))
}

/// Stores `n` jobs through bulk launch, 1,000 at a time, alternating the two packages.
pub fn seed_jobs(http: &Http, n: u64, a: u64, b: u64) -> Result {
    let started = Instant::now();
    let mut left = n;
    while left > 0 {
        let batch = left.min(1000);
        let jobs: Vec<Value> = (0..batch)
            .map(|i| json!({"package_id": if i % 2 == 0 { a } else { b }}))
            .collect();
        http.post("/api/v1/jobs/?bulk=launch", json!({ "jobs": jobs }))?;
        left -= batch;
    }
    println!(
        "seeded {n} jobs in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
