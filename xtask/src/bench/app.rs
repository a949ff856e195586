//! `cargo xtask bench app`: the browser app's size and speed, as a markdown table. Not a test
//! (it asserts nothing): the wasm a first visit to each page downloads (the app is split into
//! modules, and a visit's first page comes as one pack: app_wasm.rs, app_pack.rs), gzipped;
//! the time from navigation to the jobs table rendered in headless Chromium on localhost, and
//! the times to decode and to render a page of 1,000 jobs; and, for comparison, the worker's
//! wasm size.

use crate::result::Result;
use crate::server::{Options, Server};
use crate::{build, tools};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Targets from the app's issue.
const MAX_GZIP_KB: f64 = 200.0;
const MAX_NAVIGATION_MS: f64 = 500.0;
const MAX_RENDER_1000_MS: f64 = 100.0;
/// Jobs stored: enough for one full page of 1,000.
const JOBS: usize = 1000;

pub fn run(root: &Path) -> Result {
    tools::ensure_all(root)?;
    crate::e2e::ensure_chromium()?;
    build::all(root)?;
    let (_, worker_raw, worker_gz) = wasm_size(&root.join("worker/build"))?;

    let server = Server::start(root, Options::bench(root, "bench-app-state")?)?;
    seed(&server)?;
    let out = tools::output(
        Command::new("node")
            .arg("e2e/bench-app.mjs")
            .env("LABRELAY_URL", &server.url)
            .env("LABRELAY_ADMIN_PASSWORD", &server.admin_password)
            .current_dir(root),
    )
    .ok_or("the browser benchmark (node e2e/bench-app.mjs) failed")?;
    drop(server);
    let line = out.lines().last().unwrap_or_default();
    let v: Value = serde_json::from_str(line).map_err(|e| format!("bench output {line:?}: {e}"))?;
    println!("\n### Browser app\n");
    println!("| measure | value | target | met |");
    println!("|---|---:|---:|---|");
    print_sizes(&root.join("dist"), &v)?;
    print_times(&v);
    println!(
        "| worker wasm, gzipped (raw {worker_raw:.0} KB), for comparison | {worker_gz:.0} KB | | |"
    );
    Ok(())
}

fn met(good: bool) -> &'static str {
    if good {
        "yes"
    } else {
        "no"
    }
}

/// The wasm a first visit downloads: each page the browser visited, the largest of any
/// page, and every module.
fn print_sizes(dist: &Path, v: &Value) -> Result {
    let pages = v["downloads"]
        .as_object()
        .ok_or("bench output: no downloads")?;
    for (page, files) in pages {
        let files: Vec<&str> = files
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut gz = 0.0;
        for f in &files {
            gz += gzipped(&dist.join(f.trim_start_matches('/')))?.1;
        }
        println!(
            "| first visit to {page}: wasm fetched, gzipped ({} file{}) | {gz:.0} KB | ≤ {MAX_GZIP_KB:.0} KB | {} |",
            files.len(),
            if files.len() == 1 { "" } else { "s" },
            met(gz <= MAX_GZIP_KB)
        );
    }
    // Every page's first visit from its pack, the pages the browser does not visit (a result,
    // a test's log, the first-run demos) included.
    let (page, gz) = largest_pack(dist)?;
    println!(
        "| largest first visit of any page, from the files: first module + its pack ({page}) | {gz:.0} KB | ≤ {MAX_GZIP_KB:.0} KB | {} |",
        met(gz <= MAX_GZIP_KB)
    );
    let (modules, raw, gz) = all_modules(dist)?;
    println!(
        "| every module of the app together, gzipped one by one ({modules}; raw {raw:.0} KB; packs not counted) | {gz:.0} KB | | |"
    );
    Ok(())
}

/// Navigation, rendering and decoding times, and the launch page's first and later visits.
fn print_times(v: &Value) {
    let (nav, render, decode) = (
        median(&v["navigation"]),
        median(&v["render1000"]),
        median(&v["decode1000"]),
    );
    println!(
        "| navigation → jobs table rendered (median of {}) | {nav:.0} ms | ≤ {MAX_NAVIGATION_MS:.0} ms | {} |",
        count(&v["navigation"]),
        met(nav <= MAX_NAVIGATION_MS)
    );
    println!(
        "| render a page of 1,000 jobs (median of {}) | {render:.0} ms | ≤ {MAX_RENDER_1000_MS:.0} ms | {} |",
        count(&v["render1000"]),
        met(render <= MAX_RENDER_1000_MS)
    );
    println!(
        "| decode a page of 1,000 jobs: answer received → data in hand (median of {}) | {decode:.0} ms | | |",
        count(&v["decode1000"])
    );
    let (first, again) = (median(&v["launchFirst"]), median(&v["launchAgain"]));
    println!(
        "| jobs list → launch page, first visit: its modules fetched (median of {}) | {first:.0} ms | | |",
        count(&v["launchFirst"])
    );
    println!(
        "| jobs list → launch page again, modules in (median of {}), the baseline | {again:.0} ms ({:.1}x) | | |",
        count(&v["launchAgain"]),
        first / again
    );
}

/// The wasm in `dir` (the worker's, in worker/build/): (path, raw KB, gzipped KB).
fn wasm_size(dir: &Path) -> Result<(PathBuf, f64, f64)> {
    let wasm = std::fs::read_dir(dir)
        .map_err(|e| format!("no {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "wasm"))
        .ok_or_else(|| format!("no .wasm in {}", dir.display()))?;
    let (raw, gz) = gzipped(&wasm)?;
    Ok((wasm, raw, gz))
}

/// Every module in dist/app-<hash>/ (not the packs, which hold them again): (count, raw KB,
/// gzipped KB, each file on its own).
fn all_modules(dist: &Path) -> Result<(usize, f64, f64)> {
    let mut out = (0, 0.0, 0.0);
    for (name, f) in app_wasm(dist)? {
        if !name.starts_with("pack_") {
            let (raw, gz) = gzipped(&f)?;
            out = (out.0 + 1, out.1 + raw, out.2 + gz);
        }
    }
    Ok(out)
}

/// The largest of first module + a page's pack, gzipped each: (the pack's page, KB).
fn largest_pack(dist: &Path) -> Result<(String, f64)> {
    let files = app_wasm(dist)?;
    let first = files
        .iter()
        .find(|(name, _)| name == "labrelay-app_bg.wasm")
        .ok_or("dist: no labrelay-app_bg.wasm")?;
    let first = gzipped(&first.1)?.1;
    let mut out = (String::from("none"), 0.0);
    for (name, f) in &files {
        if let Some(page) = name.strip_prefix("pack_") {
            let gz = first + gzipped(f)?.1;
            if gz > out.1 {
                out = (page.trim_end_matches(".wasm").to_string(), gz);
            }
        }
    }
    Ok(out)
}

/// The wasm files in dist/app-<hash>/: (file name, path).
fn app_wasm(dist: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    for dir in std::fs::read_dir(dist).map_err(|e| format!("no {}: {e}", dist.display()))? {
        let dir = dir.map_err(|e| e.to_string())?.path();
        if !dir
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("app-"))
        {
            continue;
        }
        for f in std::fs::read_dir(&dir).map_err(|e| e.to_string())? {
            let f = f.map_err(|e| e.to_string())?.path();
            if f.extension().is_some_and(|x| x == "wasm") {
                let name = f.file_name().map(|n| n.to_string_lossy().into_owned());
                out.push((name.unwrap_or_default(), f));
            }
        }
    }
    Ok(out)
}

/// A file's size, raw and gzipped at level 9, in KB.
fn gzipped(path: &Path) -> Result<(f64, f64)> {
    let raw = std::fs::metadata(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len();
    let gz = Command::new("gzip")
        .args(["-9", "-c"])
        .arg(path)
        .output()
        .map_err(|e| format!("gzip: {e}"))?
        .stdout
        .len();
    Ok((raw as f64 / 1024.0, gz as f64 / 1024.0))
}

/// One package and `JOBS` jobs due in 2099 (they stay pending: no agent needed).
fn seed(server: &Server) -> Result {
    let api = server.admin(Duration::from_secs(120));
    let pkg = api.post(
        "/api/v1/packages/",
        json!({"name": "bench-nat", "testlist": ["cdrouter_basic_1", "cdrouter_nat_1"]}),
    )?;
    let id = pkg["data"]["id"].clone();
    let jobs: Vec<Value> = (0..JOBS)
        .map(|i| json!({"package_id": id, "run_at": "2099-01-01T00:00:00Z", "options": {"tags": ["bench", format!("n{}", i % 7)]}}))
        .collect();
    api.post("/api/v1/jobs/?bulk=launch", json!({ "jobs": jobs }))?;
    Ok(())
}

fn samples(v: &Value) -> Vec<f64> {
    let mut s: Vec<f64> = v
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default();
    s.sort_by(f64::total_cmp);
    s
}

fn count(v: &Value) -> usize {
    samples(v).len()
}

fn median(v: &Value) -> f64 {
    let s = samples(v);
    s.get(s.len() / 2).copied().unwrap_or(f64::NAN)
}
