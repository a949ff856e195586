//! `cargo xtask test`'s browser step: the app end to end in real headless Chromium
//! (Debian's `chromium`, driven by npm `playwright-core`), `node --test e2e/` against the
//! running worker, with a local lab agent running jobs on the cdrouter-cli simulator.

use crate::result::Result;
use crate::server::{fresh_dir, Server};
use crate::tools::run as sh;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// Where Debian's package puts the browser (playwright cannot download one here).
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Installs Debian's chromium when it is missing.
pub fn ensure_chromium() -> Result {
    if Path::new(CHROMIUM).exists() {
        return Ok(());
    }
    println!("xtask: installing chromium (apt-get, once)");
    sh(Command::new("apt-get").arg("update"))?;
    sh(Command::new("apt-get")
        .args(["install", "-y", "--no-install-recommends", "chromium"])
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

/// Earlier suites leave pending jobs on the default interfaces (eth1/eth2); the local agent
/// would run those first, one by one. Nothing else uses the server now: clear them, a bulk
/// request's worth (1,000) at a time.
fn clear_pending_jobs(server: &Server) -> Result {
    let admin = server.admin(Duration::from_secs(30));
    let fail = |e: String| format!("cannot clear pending jobs before the browser tests: {e}");
    for _ in 0..100 {
        let page = admin
            .get("/api/v1/jobs/?filter=status%3Dpending&limit=1000")
            .map_err(fail)?;
        let ids: Vec<Value> = page["data"]
            .as_array()
            .map(|jobs| jobs.iter().map(|j| json!({"id": j["id"]})).collect())
            .unwrap_or_default();
        if ids.is_empty() {
            return Ok(());
        }
        // Answered 204 No Content.
        let body = json!({ "jobs": ids });
        admin
            .call("POST", "/api/v1/jobs/?bulk=delete", Some(&body))
            .map_err(fail)?;
    }
    Err("pending jobs keep coming: cannot clear them before the browser tests".into())
}

/// Runs `node --test e2e/` against `server`, with a local lab agent of its own.
pub fn run(root: &Path, server: &Server) -> Result {
    ensure_chromium()?;
    clear_pending_jobs(server)?;
    // The first-run test launches a demo package.
    crate::demo::ensure(root, &server.url, &server.admin_token)?;
    let agent = crate::local_agent::start(root, server, &fresh_dir(root, "e2e-agent")?, None)?;
    // One file at a time: they share one lab agent, which runs one job at a time.
    let result = sh(Command::new("node")
        .args(["--test", "--test-concurrency=1", "e2e/"])
        .env("LABRELAY_URL", &server.url)
        .env("LABRELAY_ADMIN_TOKEN", &server.admin_token)
        .env("LABRELAY_ADMIN_PASSWORD", &server.admin_password)
        .current_dir(root));
    drop(agent);
    println!(
        "screenshots: {}",
        root.join("target/e2e-artifacts").display()
    );
    result
}
