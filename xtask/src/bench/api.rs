//! `cargo xtask bench api`: throughput and latency of the API against the real worker under
//! `wrangler dev`, each as a ratio to a bare "hello" answered by the Durable Object (the
//! same hop as any API call, no work) measured in the same run. Not a test: it prints a
//! table for BENCHMARKS.md and asserts nothing.

use super::harness::{self, measure_all, ms, print_table, Case, Measured};
use crate::result::Result;
use serde_json::json;
use std::path::Path;

pub fn run(root: &Path, jobs: u64) -> Result {
    let (server, client) = harness::start(root, "bench-state")?;
    let (nat, dhcp) = harness::seed(&client, jobs)?;

    let small = measure_all(&client, &cases(Some(nat)));
    print_table(&format!("{jobs} jobs stored"), &small);

    let more = jobs * 10;
    let have = harness::count_jobs(&client)?;
    harness::seed_jobs(&client, more.saturating_sub(have), nat, dhcp)?;
    let big_cases: Vec<Case> = cases(None)
        .into_iter()
        .filter(|c| ["(e)", "(a)", "(b)"].iter().any(|p| c.label.starts_with(p)))
        .collect();
    let big = measure_all(&client, &big_cases);
    print_table(&format!("{more} jobs stored"), &big);

    println!("\nScaling ({jobs} -> {more} jobs), p50 latency ratio (target: at most 2x):");
    for label in ["(a)", "(b)"] {
        let find = |set: &[Measured]| {
            set.iter()
                .find(|m| m.label.starts_with(label))
                .map(|m| m.p50)
        };
        if let (Some(a), Some(b)) = (find(&small), find(&big)) {
            println!(
                "  {label}: {:.2} ms -> {:.2} ms = {:.2}x",
                ms(a),
                ms(b),
                b.as_secs_f64() / a.as_secs_f64().max(1e-9)
            );
        }
    }
    drop(server);
    Ok(())
}

/// The cases; with `launch`, launching a job of that package too.
fn cases(launch: Option<u64>) -> Vec<Case> {
    let mut v = vec![
        Case::get("(e) Durable Object hello (baseline)", "/healthz/store"),
        Case::get("(f) worker entry hello", "/healthz"),
        Case::get("(a) GET /jobs/?limit=25", "/api/v1/jobs/?limit=25"),
        Case::get(
            "(b) + filter=status=pending&sort=-id",
            "/api/v1/jobs/?limit=25&filter=status%3Dpending&sort=-id",
        ),
        Case::get(
            "(c) + filter=package_name~^nat",
            "/api/v1/jobs/?limit=25&filter=package_name~%5Enat",
        ),
    ];
    if let Some(package) = launch {
        v.push(Case {
            label: "(d) POST /jobs/ (launch)",
            method: "POST",
            path: "/api/v1/jobs/".into(),
            body: Some(json!({"package_id": package.to_string()})),
            also: Vec::new(),
        });
    }
    v
}
