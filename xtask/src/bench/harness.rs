//! The benchmarks' harness: cases run against the real worker over several connections,
//! measured (requests a second, p50, p99, errors) and printed as a table for BENCHMARKS.md;
//! and the HTTP client the benches seed and drive the API with.

use crate::Result;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Concurrent connections: several, as a small team's clients and agents would be.
const CONNECTIONS: usize = 8;
/// How long each case runs; long enough for a stable p99 at a few hundred requests/s.
const CASE_SECONDS: u64 = 6;

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

pub fn measure_all(client: &Client, cases: &[Case]) -> Vec<Measured> {
    cases.iter().map(|c| measure(client, c)).collect()
}

fn measure(client: &Client, case: &Case) -> Measured {
    // Warm up the connections and the Durable Object.
    for n in 0..20 {
        let _ = client.send(case, n);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let threads: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let stop = stop.clone();
            let client = client.clone_fresh();
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
                    match client.send(&case, n) {
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

pub struct Client {
    agent: ureq::Agent,
    base: String,
    auth: String,
}

impl Client {
    pub fn new(base: &str, token: &str) -> Client {
        Client {
            agent: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(60))
                .build(),
            base: base.into(),
            auth: format!("Bearer {token}"),
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Its own connection, for another thread.
    pub fn clone_for_thread(&self) -> Client {
        self.clone_fresh()
    }

    /// Its own connection, for one load thread.
    fn clone_fresh(&self) -> Client {
        Client::new(&self.base, self.auth.trim_start_matches("Bearer "))
    }

    fn send(&self, case: &Case, n: usize) -> std::result::Result<(), String> {
        let req = self
            .agent
            .request(case.method, &format!("{}{}", self.base, case.path_for(n)))
            .set("authorization", &self.auth);
        let resp = match &case.body {
            Some(b) => req.send_json(b.clone()),
            None => req.call(),
        }
        .map_err(|e| e.to_string())?;
        // Read the whole body, as a client would.
        resp.into_string().map(|_| ()).map_err(|e| e.to_string())
    }

    /// A request whose answer is only read (whole) and summed up: the status, and the error
    /// message when there is one.
    pub fn raw(&self, method: &str, path: &str, body: Option<&Value>) -> String {
        let req = self
            .agent
            .request(method, &format!("{}{}", self.base, path))
            .set("authorization", &self.auth);
        let resp = match body {
            Some(b) => req.send_json(b.clone()),
            None => req.call(),
        };
        match resp {
            Ok(r) => {
                let status = r.status();
                let n = r.into_string().map(|s| s.len()).unwrap_or(0);
                format!("{status} ({} KB)", n / 1024)
            }
            Err(ureq::Error::Status(code, r)) => {
                let text = r.into_string().unwrap_or_default();
                let msg = serde_json::from_str::<Value>(&text)
                    .ok()
                    .and_then(|v| v["error"].as_str().map(str::to_string))
                    .unwrap_or(text);
                format!("{code} {}", msg.chars().take(90).collect::<String>())
            }
            Err(e) => format!("transport: {e}"),
        }
    }

    pub fn get_json(&self, path: &str) -> Result<Value> {
        self.agent
            .get(&format!("{}{}", self.base, path))
            .set("authorization", &self.auth)
            .call()
            .map_err(|e| format!("GET {path}: {e}"))?
            .into_json()
            .map_err(|e| e.to_string())
    }

    pub fn post(&self, path: &str, body: Value) -> Result<Value> {
        self.agent
            .post(&format!("{}{}", self.base, path))
            .set("authorization", &self.auth)
            .send_json(body)
            .map_err(|e| format!("POST {path}: {e}"))?
            .into_json()
            .map_err(|e| e.to_string())
    }

    pub fn create_package(&self, name: &str) -> Result<u64> {
        let v = self.post(
            "/api/v1/packages/",
            json!({"name": name, "testlist": ["cdrouter_basic_1", "cdrouter_nat_1"]}),
        )?;
        v["data"]["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("unexpected package answer: {v}"))
    }

    pub fn count_jobs(&self) -> Result<u64> {
        let v: Value = self
            .agent
            .get(&format!("{}/api/v1/jobs/?limit=1", self.base))
            .set("authorization", &self.auth)
            .call()
            .map_err(|e| e.to_string())?
            .into_json()
            .map_err(|e| e.to_string())?;
        Ok(v["links"]["total"].as_u64().unwrap_or(0))
    }

    /// Stores `n` jobs through bulk launch, 1,000 at a time, alternating the two packages.
    pub fn seed_jobs(&self, n: u64, a: u64, b: u64) -> Result {
        let started = Instant::now();
        let mut left = n;
        while left > 0 {
            let batch = left.min(1000);
            let jobs: Vec<Value> = (0..batch)
                .map(|i| json!({"package_id": if i % 2 == 0 { a } else { b }}))
                .collect();
            self.post("/api/v1/jobs/?bulk=launch", json!({ "jobs": jobs }))?;
            left -= batch;
        }
        println!(
            "seeded {n} jobs in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        Ok(())
    }
}
