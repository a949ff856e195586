//! `cargo xtask bench hostile`: the costliest requests a signed-in user can make, at 100,000
//! stored jobs, against the real worker under `wrangler dev` — each request's time in the
//! store, one at a time (nothing else running), as a ratio to the Durable Object's bare hello
//! measured in the same run. The budget (issue 9): no request may hold the store's one
//! thread much beyond ~50 ms, whatever its input; caps answer 400/413 before that.
//! Not a test: it prints a table for BENCHMARKS.md and asserts nothing.

use super::harness::{self, ms};
use crate::http::{Answer, Http};
use crate::result::Result;
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};

/// Requests per case (serial).
const ROUNDS: usize = 7;

struct Hostile {
    label: String,
    method: &'static str,
    path: String,
    body: Option<Value>,
}

fn get(label: &str, path: &str) -> Hostile {
    Hostile {
        label: label.into(),
        method: "GET",
        path: path.into(),
        body: None,
    }
}

fn post(label: &str, path: &str, body: Value) -> Hostile {
    Hostile {
        label: label.into(),
        method: "POST",
        path: path.into(),
        body: Some(body),
    }
}

/// A config at the size cap: `testvars` testvars, padded with comment lines of bits (the
/// worst text for an exploding automaton such as `1[01]{20}x`).
fn big_config(testvars: usize, bytes: usize) -> String {
    let mut s = String::new();
    for i in 0..testvars {
        s.push_str(&format!("testvar hostileVar{i} value-{i}\n"));
    }
    s.push_str("testvar lanInterface eth1\ntestvar wanInterface eth2\n");
    let mut x: u32 = 7;
    while s.len() + 80 < bytes {
        s.push_str("# ");
        for _ in 0..64 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            s.push(if (x >> 16).is_multiple_of(2) {
                '0'
            } else {
                '1'
            });
        }
        s.push('\n');
    }
    s
}

pub fn run(root: &Path, jobs: u64) -> Result {
    let (server, client) = harness::start(root, "bench-hostile")?;
    let (nat, _) = harness::seed(&client, jobs)?;
    let big_pkg = big_config_package(&client)?;
    let cases = cases(jobs, nat, &big_pkg);
    println!("\n### The costliest requests, {jobs} jobs stored (one at a time, {ROUNDS} each)\n");
    println!("| request | p50 ms | max ms | p50 ratio to hello | answer |");
    println!("|---|---|---|---|---|");
    let mut base = None;
    for case in &cases {
        let (p50, max, status) = measure(&client, case);
        let ratio = base.map_or(1.0, |b: Duration| {
            p50.as_secs_f64() / b.as_secs_f64().max(1e-9)
        });
        if base.is_none() {
            base = Some(p50);
        }
        println!(
            "| {} | {:.1} | {:.1} | {:.0}x | {status} |",
            case.label,
            ms(p50),
            ms(max),
            ratio
        );
    }
    drop(server);
    Ok(())
}

/// Four configs at the size cap, and a package of the first: the package's id.
fn big_config_package(client: &Http) -> Result<String> {
    let cap = labrelay_api::limits::MAX_CONFIG_BYTES;
    let mut configs = Vec::new();
    for i in 0..4 {
        let c = client.post(
            "/api/v1/configs/",
            json!({"name": format!("big-{i}"), "contents": big_config(labrelay_api::limits::MAX_TESTVARS - 2, cap)}),
        )?;
        configs.push(c["data"]["id"].as_str().unwrap_or("0").to_string());
    }
    Ok(client.post(
        "/api/v1/packages/",
        json!({"name": "big-config-pkg", "testlist": ["cdrouter_basic_1"], "config_id": configs[0]}),
    )?["data"]["id"]
        .as_str()
        .unwrap_or("0")
        .to_string())
}

/// The requests, the baseline first.
fn cases(jobs: u64, nat: u64, big_pkg: &str) -> Vec<Hostile> {
    let far = "2199-01-01T00:00:00Z";
    let bulk: Vec<Value> = (0..labrelay_api::limits::MAX_BULK)
        .map(|_| json!({"package_id": nat.to_string(), "run_at": far, "options": {"tags": ["hostile-bulk"]}}))
        .collect();
    let mut cases = vec![
        get("Durable Object hello (baseline)", "/healthz/store"),
        get("jobs, 25 of 100k, default sort", "/api/v1/jobs/?limit=25"),
        get(
            "jobs, regex on every row: package_name~nat.*ic",
            "/api/v1/jobs/?limit=25&filter=package_name~nat.%2Aic",
        ),
        get(
            "jobs, pathological regex: package_name~(?s:.){100}zz",
            "/api/v1/jobs/?limit=25&filter=package_name~%28%3Fs%3A.%29%7B100%7Dzz",
        ),
        get(
            "configs, pathological regex on 4 x 512 KB contents",
            "/api/v1/configs/?limit=25&filter=contents~%28%3Fs%3A.%29%7B100%7Dzz",
        ),
        get(
            "configs, exploding automaton 1[01]{20}x on 4 x 512 KB",
            "/api/v1/configs/?limit=25&filter=contents~1%5B01%5D%7B20%7Dx",
        ),
    ];
    cases.extend(list_cases(jobs));
    cases.extend([
        post(
            "launch with a 512 KB config (200 testvars)",
            "/api/v1/jobs/",
            json!({"package_id": big_pkg, "run_at": far}),
        ),
        post(
            "preview interfaces, 512 KB config",
            "/api/v1/jobs/?process=interfaces",
            json!({"package_id": big_pkg}),
        ),
        post(
            &format!("bulk launch of {} jobs", labrelay_api::limits::MAX_BULK),
            "/api/v1/jobs/?bulk=launch",
            json!({ "jobs": bulk }),
        ),
        post(
            "bulk delete of those (filter on tags)",
            "/api/v1/jobs/?bulk=delete&filter=tags%40%3E%7Bhostile-bulk%7D",
            json!({}),
        ),
    ]);
    cases
}

/// Lists of jobs: many filters, unindexed fields, the last page, big pages.
fn list_cases(jobs: u64) -> Vec<Hostile> {
    let many_filters: String = (0..labrelay_api::query::MAX_FILTERS)
        .map(|i| format!("filter=package_name~n{}", "a".repeat(i % 3)))
        .collect::<Vec<_>>()
        .join("&");
    vec![
        get(
            &format!("jobs, {} regex filters", labrelay_api::query::MAX_FILTERS),
            &format!("/api/v1/jobs/?limit=25&{many_filters}"),
        ),
        get(
            "jobs, filter on an unindexed field: failed>0",
            "/api/v1/jobs/?limit=25&filter=failed%3E0",
        ),
        get(
            "jobs, tag filter over every row: tags@>{nightly}",
            "/api/v1/jobs/?limit=25&filter=tags%40%3E%7Bnightly%7D",
        ),
        get(
            "jobs, sort on an unindexed field",
            "/api/v1/jobs/?limit=25&sort=-package_name,id",
        ),
        get(
            "jobs, last page (offset 99,975)",
            &format!("/api/v1/jobs/?limit=25&page={}", jobs / 25),
        ),
        get("jobs, limit=1000", "/api/v1/jobs/?limit=1000"),
        get("jobs, limit=none", "/api/v1/jobs/?limit=none"),
    ]
}

fn measure(client: &Http, case: &Hostile) -> (Duration, Duration, String) {
    let mut times = Vec::new();
    let mut status = String::new();
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let s = summary(client.answer(case.method, &case.path, case.body.as_ref()));
        times.push(started.elapsed());
        status = s;
    }
    times.sort();
    (times[times.len() / 2], times[times.len() - 1], status)
}

/// An answer read whole and summed up: the status, and the error message when there is one.
fn summary(answer: Result<Answer>) -> String {
    match answer {
        Ok(Answer { status, body }) if status < 400 => {
            format!("{status} ({} KB)", body.len() / 1024)
        }
        Ok(Answer { status, body }) => {
            let msg = serde_json::from_str::<Value>(&body)
                .ok()
                .and_then(|v| v["error"].as_str().map(str::to_string))
                .unwrap_or(body);
            format!("{status} {}", msg.chars().take(90).collect::<String>())
        }
        Err(e) => format!("transport: {e}"),
    }
}
