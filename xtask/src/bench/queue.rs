//! `cargo xtask bench queue`: queue control at scale. (1) A high-priority job launched
//! behind 1,000 queued jobs (that no agent here can run) reaches an idle agent: launch
//! response to claim answer, p50 as a ratio to a bare round trip to the Durable Object in the
//! same run (goal ≤ 2). (2) Why-is-it-waiting at 10,000 pending jobs: a page of pending jobs
//! (each with its reason, worked out on read) against the same page of stopped jobs (no
//! reasons), 25 and 1,000 a page; the difference per job is the reason's cost (goal < 1 ms).
//! Prints tables; asserts nothing.

use super::dispatch::{dispatch, package, percentile, round_trips};
use super::harness;
use crate::http::Http;
use crate::result::Result;
use serde_json::{json, Value};
use std::path::Path;

const QUEUED: usize = 1_000;
const PENDING: usize = 10_000;
const STOPPED: usize = 1_000;
const READS: usize = 40;

pub fn run(root: &Path) -> Result {
    let (server, admin) = harness::start(root, "bench-queue")?;
    let runnable = package(&admin, "bench-runnable", "b1", "b2")?;
    // Jobs for interfaces no agent here has: they wait ahead of everything launched later.
    let stuck = package(&admin, "bench-stuck", "x1", "x2")?;
    launch_many(&admin, &stuck, QUEUED)?;

    let hello = round_trips(&server.url)?;
    let high = json!({"package_id": runnable["id"], "priority": 90});
    let behind = dispatch(&admin, &high, 1, "queue")?;

    // Why-is-it-waiting at 10,000 pending: the rest of the pending jobs, and stopped ones.
    launch_many(&admin, &stuck, PENDING - QUEUED)?;
    let stop_me = package(&admin, "bench-stopped", "s1", "s2")?;
    let ids = launch_many(&admin, &stop_me, STOPPED)?;
    for id in &ids {
        admin.post_data(&format!("/api/v1/jobs/{id}/stop"), json!({}))?;
    }
    let mut rows = Vec::new();
    for limit in [25usize, 1000] {
        let pending = reads(&admin, "pending", limit, None)?;
        let stopped = reads(&admin, "stopped", limit, None)?;
        rows.push((limit, pending, stopped));
    }
    // Cold: the queue changes before each read (a pending job's priority is edited), so the
    // object reads the due queue again every time.
    let some_pending = launch_many(&admin, &stuck, 1)?;
    let cold = reads(&admin, "pending", 25, some_pending.first())?;
    print(&hello, &behind, &cold, &rows);
    drop(server);
    Ok(())
}

/// Pages of pending and stopped jobs at one page size: (limit, pending ms, stopped ms).
type Row = (usize, Vec<f64>, Vec<f64>);

fn print(hello: &[f64], behind: &[f64], cold: &[f64], rows: &[Row]) {
    let base = percentile(hello, 0.5);
    println!("\n### Queue control ({QUEUED} queued ahead; reasons at {PENDING} pending jobs)\n");
    println!("| case | p50 ms | p99 ms | ratio |");
    println!("|---|---:|---:|---:|");
    println!(
        "| bare round trip to the Durable Object (`/healthz/store`) | {base:.2} | {:.2} | 1.00 |",
        percentile(hello, 0.99)
    );
    println!(
        "| priority-90 launch behind {QUEUED} queued jobs → idle agent's claim answer | {:.2} | {:.2} | {:.2} × round trip |",
        percentile(behind, 0.5),
        percentile(behind, 0.99),
        percentile(behind, 0.5) / base.max(1e-9)
    );
    let stopped_25 = percentile(&rows[0].2, 0.5);
    println!(
        "| `GET /jobs/?filter=status=pending&limit=25`, the queue changed since the last read | {:.2} | {:.2} | {:.2} × · {:.3} ms a reason |",
        percentile(cold, 0.5),
        percentile(cold, 0.99),
        percentile(cold, 0.5) / stopped_25.max(1e-9),
        (percentile(cold, 0.5) - stopped_25).max(0.0) / 25.0
    );
    for (limit, pending, stopped) in rows {
        let (p, s) = (percentile(pending, 0.5), percentile(stopped, 0.5));
        println!(
            "| `GET /jobs/?filter=status=stopped&limit={limit}` (no reasons) | {s:.2} | {:.2} | 1.00 |",
            percentile(stopped, 0.99)
        );
        println!(
            "| `GET /jobs/?filter=status=pending&limit={limit}` (a reason each) | {p:.2} | {:.2} | {:.2} × · {:.3} ms a reason |",
            percentile(pending, 0.99),
            p / s.max(1e-9),
            (p - s).max(0.0) / *limit as f64
        );
    }
}

/// `n` jobs of `package`, in bulk launches of at most 1,000; their ids.
fn launch_many(admin: &Http, package: &Value, n: usize) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    let mut left = n;
    while left > 0 {
        let k = left.min(1000);
        let jobs: Vec<Value> = (0..k)
            .map(|_| json!({"package_id": package["id"]}))
            .collect();
        let made = admin.post_data("/api/v1/jobs/?bulk=launch", json!({"jobs": jobs}))?;
        for j in made.as_array().cloned().unwrap_or_default() {
            ids.push(j["id"].as_str().unwrap_or("").to_string());
        }
        left -= k;
    }
    Ok(ids)
}

/// `READS` timed reads of a page of jobs with `status` (after 3 to warm up); with `touch`,
/// that job's priority is edited before each read (untimed).
fn reads(admin: &Http, status: &str, limit: usize, touch: Option<&String>) -> Result<Vec<f64>> {
    let path = format!("/api/v1/jobs/?filter=status={status}&limit={limit}");
    let mut out = Vec::new();
    for i in 0..READS + 3 {
        if let Some(job) = touch {
            admin.patch_data(
                &format!("/api/v1/jobs/{job}/"),
                json!({"priority": 40 + i % 2}),
            )?;
        }
        let (data, ms) = admin.get_timed(&path)?;
        if data.as_array().map_or(0, Vec::len) != limit {
            return Err(format!("{path}: expected {limit} jobs"));
        }
        if i >= 3 {
            out.push(ms);
        }
    }
    Ok(out)
}
