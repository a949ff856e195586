//! A step of `cargo xtask test`: a package schedule across an outage. A schedule that ticks
//! every minute is set, the worker is stopped, two ticks pass while it is down, and the
//! worker is started again on the same state: exactly one automatic job is launched for the
//! missed ticks (not one per tick), and the next tick is after now. Needs its own server that
//! it stops and starts, hence here.

use crate::http::Http;
use crate::result::Result;
use crate::server::{Options, Server};
use labrelay_api::Timestamp;
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};

fn start(root: &Path, port: u16, state: &Path) -> Result<Server> {
    Server::start(root, Options::local(port, state, true))
}

fn micros(v: &Value) -> Result<i64> {
    Timestamp::parse(v.as_str().unwrap_or_default())
        .map(Timestamp::micros)
        .map_err(|e| format!("a time: {v}: {e}"))
}

pub fn run(root: &Path, port: u16, state: &Path) -> Result {
    let server = start(root, port, state)?;
    let api = server.admin(Duration::from_secs(30));
    let (pid, first_tick) = scheduled_package(&api)?;
    drop(server);
    // Down over two ticks: the first one and the one a minute later.
    let now_us = || Timestamp::from_millis(js_now()).micros();
    let until = first_tick + 62_000_000;
    let wait = (until - now_us()).max(0) as u64;
    println!(
        "schedules: the worker is down for {} s, over two ticks",
        wait / 1_000_000
    );
    std::thread::sleep(Duration::from_micros(wait));
    let server = start(root, port, state)?;
    let api = server.admin(Duration::from_secs(30));
    let automatic = format!("/api/v1/jobs/?filter=package_id={pid}&filter=automatic=true");
    let deadline = Instant::now() + Duration::from_secs(30);
    let jobs = loop {
        let jobs = api.get_data(&automatic)?;
        let n = jobs.as_array().map_or(0, Vec::len);
        if n > 0 || Instant::now() > deadline {
            break jobs;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    // A moment more: a second launch for the second missed tick would show now.
    std::thread::sleep(Duration::from_secs(2));
    let jobs_after = api.get_data(&automatic)?;
    let after = api.get_data(&format!("/api/v1/packages/{pid}/"))?;
    drop(server);
    let n = jobs_after.as_array().map_or(0, Vec::len);
    if jobs.as_array().map_or(0, Vec::len) != 1 || n != 1 {
        return Err(format!(
            "schedules: two ticks missed while down should launch one job, got {n}: {jobs_after}"
        ));
    }
    let next = micros(&after["schedule_next"])?;
    if next <= first_tick + 60_000_000 {
        return Err(format!(
            "schedules: the next tick should be after the missed ones: {after}"
        ));
    }
    println!("schedules: two ticks missed while the worker was down launched one job, once");
    Ok(())
}

/// A package scheduled every minute: its id and its first tick (µs).
fn scheduled_package(api: &Http) -> Result<(String, i64)> {
    let cfg = api.post_data(
        "/api/v1/configs/",
        json!({"name": "tick-cfg", "contents": "testvar lanInterface eth1\n"}),
    )?;
    let pkg = api.post_data(
        "/api/v1/packages/",
        json!({"name": "tick-pkg", "testlist": ["t1"], "config_id": cfg["id"]}),
    )?;
    let pid = pkg["id"].as_str().unwrap_or_default().to_string();
    let set = api.patch_data(
        &format!("/api/v1/packages/{pid}/"),
        json!({"schedule": {"enabled": true, "spec": "* * * * *"}}),
    )?;
    Ok((pid, micros(&set["schedule_next"])?))
}

/// Now in milliseconds since the epoch.
fn js_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}
