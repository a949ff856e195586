//! The agent against a worker served over HTTPS with a private CA's certificate (the second
//! worker `cargo xtask test` starts: `LABRELAY_TLS_URL`, the CA in `LABRELAY_TLS_CA`), as a
//! self-hosted install behind an internal CA is: refused in words without `--ca-file`,
//! trusted with it, for `check` and for a whole job. Admin calls go through curl, which is
//! told the CA too.

use labrelay_itest::{agent_check, unique, Scratch};
use serde_json::{json, Value};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is set by `cargo xtask test`"))
}

/// An admin call to the HTTPS worker; its `data`.
fn call(method: &str, path: &str, body: Option<&Value>) -> Value {
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "--fail-with-body", "--max-time", "30", "-X", method])
        .arg("--cacert")
        .arg(env("LABRELAY_TLS_CA"))
        .arg("-H")
        .arg(format!(
            "authorization: Bearer {}",
            env("LABRELAY_ADMIN_TOKEN")
        ))
        .args(["-H", "content-type: application/json"]);
    if let Some(b) = body {
        cmd.arg("--data-binary").arg(b.to_string());
    }
    let out = cmd
        .arg(format!("{}{path}", env("LABRELAY_TLS_URL")))
        .output()
        .expect("run curl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{method} {path}: {text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    v["data"].clone()
}

fn register() -> (String, String) {
    let made = call(
        "POST",
        "/api/v1/agents/",
        Some(&json!({"name": unique("tls-agent")})),
    );
    let id = made["id"].as_str().expect("agent id").to_string();
    let token = made["token"].as_str().expect("agent token").to_string();
    (id, token)
}

/// `labrelay-agent check` against the HTTPS worker, with `--ca-file` when given.
fn check(token: &str, ca: Option<&str>, scratch: &Scratch) -> (i32, String) {
    let flags = match ca {
        Some(ca) => vec!["--ca-file", ca],
        None => vec![],
    };
    let work = scratch.path.join("work");
    agent_check(&env("LABRELAY_TLS_URL"), token, scratch, &work, &flags)
}

#[test]
fn check_trusts_a_private_ca_only_when_given_it() {
    let (id, token) = register();
    let scratch = Scratch::new("labrelay-tls-check");
    let (code, out) = check(&token, None, &scratch);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("the TLS handshake failed"), "{out}");
    assert!(out.contains("give its certificate with --ca-file"), "{out}");
    assert!(
        out.contains("not checked: the server did not answer"),
        "{out}"
    );
    let ca = env("LABRELAY_TLS_CA");
    let (code, out) = check(&token, Some(&ca), &scratch);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!(
            "TLS ok (certificate verified; trusting the built-in authorities and 1 from {ca})"
        )),
        "{out}"
    );
    assert!(out.contains(&format!("valid: agent {id} ")), "{out}");
    // Not a certificate: the agent will not start trusting less than it was told to.
    let junk = scratch.path.join("junk.pem");
    std::fs::write(&junk, "not a certificate\n").expect("junk");
    let (code, out) = check(&token, junk.to_str(), &scratch);
    assert_ne!(code, 0, "{out}");
    call("DELETE", &format!("/api/v1/agents/{id}/"), None);
}

#[test]
fn a_job_runs_over_https_with_a_private_ca() {
    let u = unique("tls");
    let cfg = call(
        "POST",
        "/api/v1/configs/",
        Some(&json!({"name": unique("cfg"),
            "contents": format!("testvar lanInterface {u}-lan\ntestvar wanInterface {u}-wan\n")})),
    );
    let pkg = call(
        "POST",
        "/api/v1/packages/",
        Some(
            &json!({"name": unique("pkg"), "testlist": ["cdrouter_basic_1"], "config_id": cfg["id"]}),
        ),
    );
    let job = call(
        "POST",
        "/api/v1/jobs/",
        Some(&json!({"package_id": pkg["id"]})),
    );
    let job_id = job["id"].as_str().expect("job id").to_string();
    let (agent_id, token) = register();
    let scratch = Scratch::new("labrelay-tls-agent");
    let mut agent = Command::new(env("LABRELAY_AGENT_BIN"))
        .args(["--server", &env("LABRELAY_TLS_URL")])
        .arg("--ca-file")
        .arg(env("LABRELAY_TLS_CA"))
        .args(["--interfaces", &format!("{u}-lan,{u}-wan")])
        .arg("--cdrouter-cli")
        .arg(env("LABRELAY_SIM_BIN"))
        .arg("--work-dir")
        .arg(&scratch.path)
        .env("LABRELAY_TOKEN", &token)
        .env("CDROUTER_SIM_TEST_MS", "10")
        .env_remove("LABRELAY_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(
            std::fs::File::create(scratch.path.join("agent.log"))
                .map(Stdio::from)
                .unwrap_or_else(|_| Stdio::null()),
        )
        .spawn()
        .expect("start labrelay-agent");
    let deadline = Instant::now() + Duration::from_secs(90);
    let done = loop {
        let j = call("GET", &format!("/api/v1/jobs/{job_id}/"), None);
        let status = j["status"].as_str().unwrap_or_default().to_string();
        if matches!(status.as_str(), "completed" | "error" | "stopped") || Instant::now() > deadline
        {
            break j;
        }
        std::thread::sleep(Duration::from_millis(300));
    };
    let _ = agent.kill();
    let _ = agent.wait();
    let log = std::fs::read_to_string(scratch.path.join("agent.log")).unwrap_or_default();
    assert_eq!(done["status"], "completed", "{done}\nagent log:\n{log}");
    assert_eq!(done["agent_id"], agent_id.as_str(), "{done}");
    call("DELETE", &format!("/api/v1/jobs/{job_id}/"), None);
    call("DELETE", &format!("/api/v1/agents/{agent_id}/"), None);
}
