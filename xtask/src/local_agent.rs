//! `cargo xtask dev` starts a lab agent on this machine for each of its labs (the default lab
//! and the demo lab), running jobs on the cdrouter-cli simulator, so a new user launches a
//! job in either and watches it run to the end.

use crate::build;
use crate::http::Http;
use crate::result::Result;
use crate::server::Server;
use serde_json::json;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const NAME: &str = "local-agent";
/// What the local agent says it is wired to: CDRouter's default lan/wan and a wireless one,
/// and those the demo configs use (real exports: `eth0` for ICS and WAN, `eth9` and
/// `wifi0-acn`; `demo.rs` checks they are all here).
pub const INTERFACES: &str = "eth0,eth1,eth2,eth3,eth4,eth9,wlan0,wifi0-acn";

pub struct LocalAgent {
    child: Child,
}

impl Drop for LocalAgent {
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        for _ in 0..2 {
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
            std::thread::sleep(Duration::from_millis(300));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The lab `cargo xtask dev` makes beside the default one.
pub const DEMO_LAB: &str = "demo";

/// `url` as `lab`'s (`None`: the default lab).
fn lab_url(url: &str, lab: Option<&str>) -> String {
    match lab {
        Some(l) => format!("{url}/labs/{l}"),
        None => url.to_string(),
    }
}

/// The agent's token: registered once per state directory (and lab) and kept there.
fn token(server: &Server, state: &Path, lab: Option<&str>) -> Result<String> {
    let file = match lab {
        Some(l) => state.join(format!("local-agent-{l}.token")),
        None => state.join("local-agent.token"),
    };
    let url = lab_url(&server.url, lab);
    if let Ok(t) = std::fs::read_to_string(&file) {
        return Ok(t.trim().to_string());
    }
    let api = Http::new(&url, &server.admin_token, Duration::from_secs(10));
    // A leftover registration without its token file: replace it.
    if let Ok(list) = api.get(&format!("/api/v1/agents/?filter=name={NAME}")) {
        if let Some(id) = list["data"][0]["id"].as_str() {
            let _ = api.answer("DELETE", &format!("/api/v1/agents/{id}/"), None);
        }
    }
    let made = api
        .post(
            "/api/v1/agents/",
            json!({"name": NAME, "labels": ["local", "simulator"]}),
        )
        .map_err(|e| format!("cannot register the local agent: {e}"))?;
    let token = made["data"]["token"]
        .as_str()
        .ok_or_else(|| format!("unexpected answer registering the agent: {made}"))?
        .to_string();
    std::fs::write(&file, &token).map_err(|e| e.to_string())?;
    Ok(token)
}

/// The local agent of the default lab (`lab: None`) or of `lab`.
pub fn start(root: &Path, server: &Server, state: &Path, lab: Option<&str>) -> Result<LocalAgent> {
    build::agent(root, true)?;
    let token = token(server, state, lab)?;
    let work = match lab {
        Some(l) => state.join(format!("agent-work-{l}")),
        None => state.join("agent-work"),
    };
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let child = command(root, true, &server.url, &token, INTERFACES, &work)
        .env("CDROUTER_SIM_TEST_MS", "1500")
        .spawn()
        .map_err(|e| format!("cannot start the local agent: {e}"))?;
    Ok(LocalAgent { child })
}

/// The agent binary (a `release` build or not) of this repo against `url` with `token`, on
/// `interfaces` and the cdrouter-cli simulator, working in `work`; no input.
pub fn command(
    root: &Path,
    release: bool,
    url: &str,
    token: &str,
    interfaces: &str,
    work: &Path,
) -> Command {
    let mut cmd = Command::new(build::agent_bin(root, release, "labrelay-agent"));
    cmd.args([
        "--server",
        url,
        "--token",
        token,
        "--interfaces",
        interfaces,
    ])
    .arg("--cdrouter-cli")
    .arg(build::agent_bin(root, release, "cdrouter-cli-sim"))
    .arg("--work-dir")
    .arg(work)
    .stdin(Stdio::null());
    cmd
}
