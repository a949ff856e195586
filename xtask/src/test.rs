//! `cargo xtask test`: native unit tests, then the integration suites against the real worker
//! under `wrangler dev` (fresh state, free port), the official Python client, and a
//! `wrangler deploy --dry-run` of the bundle. The server is stopped whatever happens; the
//! state and work directories the run made under `target/labrelay/` are removed when it
//! passes and kept for a look when it fails.

use crate::build;
use crate::result::Result;
use crate::server::{free_port, fresh_dir, Options, Server};
use crate::tools::{self, node_bin, path_env, run as sh};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The official client, pinned: the version this compatibility suite was written against.
const CDROUTER_CLIENT: &str = "cdrouter==0.9.10";

fn step(name: &str) {
    println!("\n==> {name}");
}

pub fn run(root: &Path) -> Result {
    let result = steps(root);
    let own = own_dirs(&root.join("target/labrelay"), std::process::id());
    match &result {
        // What this run made goes; after a failure it stays for a look.
        Ok(()) => own.iter().for_each(|d| {
            let _ = std::fs::remove_dir_all(d);
        }),
        Err(_) if !own.is_empty() => println!(
            "kept for a look: {}",
            own.iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(" ")
        ),
        Err(_) => {}
    }
    result
}

/// The directories `fresh_dir` made for process `pid` (`<name>-<pid>-<n>`).
fn own_dirs(base: &Path, pid: u32) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(base) else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(std::result::Result::ok)
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let mut parts = name.rsplitn(3, '-');
            let n = parts.next().unwrap_or_default();
            parts.next() == Some(pid.to_string().as_str())
                && !n.is_empty()
                && n.bytes().all(|b| b.is_ascii_digit())
        })
        .map(|e| e.path())
        .collect();
    dirs.sort();
    dirs
}

fn steps(root: &Path) -> Result {
    tools::ensure_all(root)?;

    step("native unit tests (api, agent, xtask; the worker's route tables)");
    sh(Command::new("cargo").arg("test").current_dir(root))?;
    sh(Command::new("cargo")
        .args(["test", "--package", "labrelay-worker", "--lib"])
        .current_dir(root))?;

    step("build app, worker and agent");
    build::all(root)?;
    build::agent(root, false)?;

    step("the agent's package (cargo xtask dist), and a static simulator for its empty-root test");
    let dist = crate::dist::run_dist(root)?;
    crate::dist::build_static(root, &["cdrouter-cli-sim"])?;

    step("deploy dry run (bundle and wrangler.toml)");
    deploy_dry_run(root)?;

    step("start the worker under wrangler dev");
    let (server, tls_server, suite) = start_servers(root, &dist.tarball)?;

    step("integration tests (HTTP against the worker)");
    let mut itest = Command::new("cargo");
    itest.args(["test", "-p", "labrelay-itest"]);
    suite.env(root, &mut itest);
    sh(&mut itest)?;
    drop(tls_server);

    step("official Python client (cdrouter): the default lab (bare URL) and a lab's base URL");
    let python = python_env(root)?;
    python_client(root, &python, &server, &suite)?;

    step(
        "the contract: schemathesis, every operation of docs/openapi.json, on a worker of its own",
    );
    crate::openapi::run_schemathesis(root, &python)?;

    step("browser app end to end (headless Chromium)");
    crate::e2e::run(root, &server)?;

    drop(server);
    scenarios(root)
}

fn deploy_dry_run(root: &Path) -> Result {
    let out = fresh_dir(root, "deploy")?;
    sh(Command::new(node_bin(root, "wrangler"))
        .args(["deploy", "--dry-run", "--outdir"])
        .arg(&out)
        .env("PATH", path_env(root))
        .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
        .env("WRANGLER_SEND_METRICS", "false")
        .env("WRANGLER_LOG_PATH", out.join("logs"))
        .current_dir(root))
}

/// How long the suites' worker lets a webhook fail before turning it off (seconds).
const WEBHOOK_GIVE_UP_SECS: &str = "20";

/// What the suites are told (`LABRELAY_*`): the worker, the HTTPS worker and its CA, the
/// agent's binaries and package.
struct Suite {
    url: String,
    admin_token: String,
    admin_password: String,
    state: PathBuf,
    tls_url: String,
    tls_ca: PathBuf,
    tarball: PathBuf,
}

impl Suite {
    fn env(&self, root: &Path, cmd: &mut Command) {
        cmd.env("LABRELAY_URL", &self.url)
            .env(
                "LABRELAY_AGENT_BIN",
                build::agent_bin(root, false, "labrelay-agent"),
            )
            .env(
                "LABRELAY_SIM_BIN",
                build::agent_bin(root, false, "cdrouter-cli-sim"),
            )
            .env("LABRELAY_DIST_TARBALL", &self.tarball)
            .env(
                "LABRELAY_STATIC_SIM_BIN",
                crate::dist::static_bin(root, "cdrouter-cli-sim"),
            )
            .env("LABRELAY_ADMIN_TOKEN", &self.admin_token)
            .env("LABRELAY_ADMIN_PASSWORD", &self.admin_password)
            .env("LABRELAY_STATE", &self.state)
            .env("LABRELAY_TLS_URL", &self.tls_url)
            .env("LABRELAY_TLS_CA", &self.tls_ca)
            .env("LABRELAY_WEBHOOK_GIVE_UP_SECS", WEBHOOK_GIVE_UP_SECS)
            .current_dir(root);
    }
}

/// The worker, and a second one over HTTPS with a private CA's certificate (for the agent's
/// `--ca-file`), with the same secrets.
fn start_servers(root: &Path, tarball: &Path) -> Result<(Server, Server, Suite)> {
    let token = format!("test-admin-token-{}", std::process::id());
    // A dead webhook receiver is given up after 20 s, not 24 h (itest/python/test_webhooks.py).
    std::env::set_var("LABRELAY_WEBHOOK_GIVE_UP_SECS", WEBHOOK_GIVE_UP_SECS);
    let server = Server::start(
        root,
        Options::fresh(root, "test-state", "test-admin-password", &token)?,
    )?;
    println!("worker at {} (log: {})", server.url, server.log.display());
    let tls_dir = fresh_dir(root, "test-tls")?;
    let tls = crate::tls::make(&tls_dir)?;
    let tls_server = Server::start_tls(
        root,
        Options::fresh(root, "test-tls-state", "test-admin-password", &token)?,
        &tls,
    )?;
    println!("worker over HTTPS at {}", tls_server.url);
    let suite = Suite {
        url: server.url.clone(),
        admin_token: server.admin_token.clone(),
        admin_password: server.admin_password.clone(),
        state: server.state.clone(),
        tls_url: tls_server.url.clone(),
        tls_ca: tls.ca,
        tarball: tarball.to_path_buf(),
    };
    Ok((server, tls_server, suite))
}

/// The official client's scripts against the default lab (the bare URL) and a lab's.
fn python_client(root: &Path, python: &Path, server: &Server, suite: &Suite) -> Result {
    let lab_url = create_lab(server, "python-lab")?;
    for url in [server.url.clone(), lab_url] {
        for script in [
            "test_cdrouter_client.py",
            "test_ci_script.py",
            "test_ci_docs.py",
            "test_stats.py",
            "test_metrics.py",
            "test_webhooks.py",
            "test_run_control.py",
            "test_system.py",
        ] {
            let mut py = Command::new(python);
            py.arg(root.join("itest/python").join(script));
            suite.env(root, &mut py);
            py.env("LABRELAY_URL", &url);
            sh(&mut py)?;
        }
    }
    Ok(())
}

/// The scenarios that need servers of their own, which they stop and start.
fn scenarios(root: &Path) -> Result {
    step("agent through a 20 s server outage (real worker restarted, real agent)");
    crate::outage::run(root, free_port()?, &fresh_dir(root, "outage-state")?)?;

    step("a worker with the default admin secrets refuses to serve (no LABRELAY_DEV)");
    crate::secrets_check::run(root, free_port()?, &fresh_dir(root, "secrets-state")?)?;

    step("a package schedule across an outage: ticks missed while down launch once");
    crate::schedule_restart::run(root, free_port()?, &fresh_dir(root, "schedule-state")?)?;

    step("an upgrade: a store from before labs is the default lab (fixtures/upgrade)");
    crate::upgrade::run(root, free_port()?, &fresh_dir(root, "upgrade-state")?)
}

/// A lab on the test server (admin token); its base URL.
fn create_lab(server: &Server, name: &str) -> Result<String> {
    server
        .admin(std::time::Duration::from_secs(30))
        .post(
            "/api/v1/labs/",
            serde_json::json!({"name": name, "description": "the Python client's lab"}),
        )
        .map_err(|e| format!("cannot create lab {name}: {e}"))?;
    Ok(format!("{}/labs/{name}", server.url))
}

/// A venv under target/ with the official client and schemathesis installed.
fn python_env(root: &Path) -> Result<PathBuf> {
    let venv = root.join("target/pyenv");
    let python = venv.join("bin/python");
    if !python.exists() {
        sh(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    }
    for pinned in [CDROUTER_CLIENT, crate::openapi::SCHEMATHESIS] {
        let (name, want) = pinned.split_once("==").unwrap_or((pinned, ""));
        let have = tools::output(Command::new(&python).args(["-m", "pip", "show", name]))
            .unwrap_or_default();
        if !have.lines().any(|l| l.trim() == format!("Version: {want}")) {
            sh(Command::new(&python).args(["-m", "pip", "install", "--quiet", pinned]))?;
        }
    }
    Ok(python)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_finds_only_its_own_directories() {
        let base = std::env::temp_dir().join(format!("xtask-own-dirs-{}", std::process::id()));
        for name in [
            "test-state-42-0",
            "outage-state-42-3",
            "test-state-420-0",
            "e2e-agent-7-42",
            "other",
        ] {
            std::fs::create_dir_all(base.join(name)).expect("mkdir");
        }
        let own: Vec<String> = own_dirs(&base, 42)
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        let _ = std::fs::remove_dir_all(&base);
        assert_eq!(own, ["outage-state-42-3", "test-state-42-0"]);
    }
}
