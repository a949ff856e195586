//! A step of `cargo xtask test`: today's worker started on a store from before labs
//! (`fixtures/upgrade/pre-labs`, see its README) serves that data as the default lab — the
//! same records and ids at the bare `/api/v1/`, the user's password and the old agent token
//! still good, new fields at their defaults. Needs its own server (and state), hence here.

use crate::http::Http;
use crate::result::Result;
use crate::server::{Options, Server};
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

pub fn run(root: &Path, port: u16, state: &Path) -> Result {
    let fixture = root.join("fixtures/upgrade/pre-labs");
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture.join("manifest.json")).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    copy_dir(&fixture.join("v3"), &state.join("v3"))?;
    let server = Server::start(root, Options::local(port, state, true))?;
    let admin = server.admin(Duration::from_secs(30));
    let result = records(&admin, &manifest).and_then(|agent| tokens(&admin, &manifest, &agent));
    drop(server);
    result?;
    println!("upgrade: a store from before labs is the default lab, records and tokens intact");
    Ok(())
}

fn check(ok: bool, what: String) -> Result {
    if ok {
        Ok(())
    } else {
        Err(format!("upgrade: {what}"))
    }
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// The records from before labs at the bare `/api/v1/`, new fields at their defaults: the
/// finished job's agent.
fn records(admin: &Http, manifest: &Value) -> Result<Value> {
    let jobs = &manifest["jobs"];
    let finished = admin.get_data(&format!("/api/v1/jobs/{}/", s(&jobs["finished"])))?;
    check(
        finished["status"] == "completed" && finished["progress"]["passed"] == 1,
        format!("the finished job: {finished}"),
    )?;
    // Its agent's name, filled in by the migration that added it.
    let agent = admin.get_data(&format!("/api/v1/agents/{}/", s(&manifest["agent"]["id"])))?;
    check(
        finished["agent_id"] == manifest["agent"]["id"]
            && !s(&agent["name"]).is_empty()
            && finished["agent_name"] == agent["name"],
        format!("the finished job's agent name: {finished} / {agent}"),
    )?;
    let log = admin.get_data(&format!(
        "/api/v1/jobs/{}/log?offset=0",
        s(&jobs["finished"])
    ))?;
    check(
        s(&log["text"]).contains("PASS: Test cdrouter_basic_1 (1) passed"),
        format!("the finished job's log: {log}"),
    )?;
    let pkg = admin.get_data(&format!("/api/v1/packages/{}/", s(&manifest["package_id"])))?;
    check(
        pkg["name"] == "upgrade-pkg"
            && pkg["priority"] == 50
            && pkg["schedule"]["enabled"] == false,
        format!("the package, with the new fields' defaults: {pkg}"),
    )?;
    let dev = admin.get_data(&format!("/api/v1/devices/{}/", s(&manifest["device_id"])))?;
    check(
        dev["state"] == "ready" && dev["health"] == "unknown",
        format!("the device: {dev}"),
    )?;
    let labs = admin.get_data("/api/v1/labs/")?;
    check(
        labs.as_array().map_or(0, Vec::len) == 1 && labs[0]["name"] == "default",
        format!("only the default lab: {labs}"),
    )?;
    Ok(agent)
}

/// The user's password and the old agent token (`agent`'s) still good.
fn tokens(admin: &Http, manifest: &Value, agent: &Value) -> Result {
    let jobs = &manifest["jobs"];
    // The user signs in with the password it had, and sees its pending job.
    let user = &manifest["user"];
    let signed: Value = Http::anonymous(admin.base(), Duration::from_secs(30))
        .request("POST", "/authenticate")
        .send_form(&[
            ("username", &s(&user["name"])),
            ("password", &s(&user["password"])),
        ])
        .map_err(|e| format!("the user's sign-in: {e}"))?
        .into_json()
        .map_err(|e| e.to_string())?;
    let as_user = admin.with_token(&s(&signed["data"]["token"]));
    let pending = as_user.get_data(&format!("/api/v1/jobs/{}/", s(&jobs["pending"])))?;
    check(
        pending["status"] == "pending"
            && pending["user_id"] == user["id"]
            && pending["priority"] == 50,
        format!("the user's pending job: {pending}"),
    )?;
    // The agent's token from before labs (no lab in it) still routes to the default lab.
    let claim = admin
        .with_token(&s(&manifest["agent"]["token"]))
        .post(
            "/api/v1/agent/claim",
            json!({"interfaces": ["eth1", "eth2"], "capacity": 1, "wait_secs": 0,
                   "version": "upgrade", "host": "upgrade"}),
        )
        .map_err(|e| format!("the old agent token's claim: {e}"))?;
    check(
        claim["data"]["job"]["id"] == jobs["pending"]
            && claim["data"]["job"]["agent_name"] == agent["name"],
        format!("the old agent claims the pending job: {claim}"),
    )
}

fn copy_dir(from: &Path, to: &Path) -> Result {
    std::fs::create_dir_all(to).map_err(|e| e.to_string())?;
    for entry in std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}
