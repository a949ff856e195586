//! A small HTTP client for the integration tests. `cargo xtask test` starts the worker and
//! passes its address and admin credentials in `LABRELAY_URL`, `LABRELAY_ADMIN_TOKEN` and
//! `LABRELAY_ADMIN_PASSWORD`; each test makes its own uniquely named records, so the test
//! binaries can share one server.

pub mod by_hand;
pub mod lab;
pub mod own;

use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub struct Api {
    pub base: String,
    pub token: Option<String>,
    agent: ureq::Agent,
}

/// A status and a parsed JSON body (`Value::Null` when the body is empty or not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub raw: String,
}

impl Answer {
    pub fn data(&self) -> &Value {
        &self.body["data"]
    }

    pub fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or("")
    }

    /// Asserts the status and returns self, printing the body when it is wrong.
    #[track_caller]
    pub fn expect(self, status: u16) -> Answer {
        assert_eq!(self.status, status, "unexpected answer: {}", self.raw);
        self
    }

    /// Asserts a 4xx with exactly this error message.
    #[track_caller]
    pub fn expect_error(self, status: u16, message: &str) -> Answer {
        assert_eq!(self.status, status, "unexpected answer: {}", self.raw);
        assert_eq!(self.error(), message, "unexpected error: {}", self.raw);
        self
    }
}

pub fn base_url() -> String {
    std::env::var("LABRELAY_URL").expect("LABRELAY_URL is set by `cargo xtask test`")
}

pub fn admin_token() -> String {
    std::env::var("LABRELAY_ADMIN_TOKEN")
        .expect("LABRELAY_ADMIN_TOKEN is set by `cargo xtask test`")
}

pub fn admin_password() -> String {
    std::env::var("LABRELAY_ADMIN_PASSWORD")
        .expect("LABRELAY_ADMIN_PASSWORD is set by `cargo xtask test`")
}

/// A name no other test uses.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0);
    format!("{prefix}-{}-{t}-{n}", std::process::id())
}

impl Api {
    pub fn admin() -> Api {
        Api::with_token(Some(admin_token()))
    }

    pub fn anonymous() -> Api {
        Api::with_token(None)
    }

    pub fn with_token(token: Option<String>) -> Api {
        Api {
            base: base_url(),
            token,
            agent: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(60))
                .build(),
        }
    }

    fn request(&self, method: &str, path: &str) -> ureq::Request {
        let mut req = self
            .agent
            .request(method, &format!("{}{}", self.base, path));
        if let Some(t) = &self.token {
            req = req.set("authorization", &format!("Bearer {t}"));
        }
        req
    }

    fn finish(result: Result<ureq::Response, ureq::Error>) -> Answer {
        let resp = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("transport error: {e}"),
        };
        let status = resp.status();
        let raw = resp.into_string().unwrap_or_default();
        let body = serde_json::from_str(&raw).unwrap_or(Value::Null);
        Answer { status, body, raw }
    }

    pub fn get(&self, path: &str) -> Answer {
        Self::finish(self.request("GET", path).call())
    }

    pub fn delete(&self, path: &str) -> Answer {
        Self::finish(self.request("DELETE", path).call())
    }

    pub fn send(&self, method: &str, path: &str, body: &Value) -> Answer {
        Self::finish(self.request(method, path).send_json(body.clone()))
    }

    pub fn post(&self, path: &str, body: &Value) -> Answer {
        self.send("POST", path, body)
    }

    pub fn patch(&self, path: &str, body: &Value) -> Answer {
        self.send("PATCH", path, body)
    }

    /// A raw body with a content type of our choosing (malformed JSON, forms, huge bodies).
    pub fn post_raw(&self, path: &str, content_type: &str, body: &[u8]) -> Answer {
        Self::finish(
            self.request("POST", path)
                .set("content-type", content_type)
                .send_bytes(body),
        )
    }

    /// A raw `PUT` body (result file parts).
    pub fn put_bytes(&self, path: &str, body: &[u8]) -> Answer {
        Self::finish(
            self.request("PUT", path)
                .set("content-type", "application/octet-stream")
                .send_bytes(body),
        )
    }

    /// A download: status, content type and the bytes.
    pub fn get_bytes(&self, path: &str) -> (u16, String, Vec<u8>) {
        let resp = match self.request("GET", path).call() {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("transport error: {e}"),
        };
        let status = resp.status();
        let ct = resp.content_type().to_string();
        let mut bytes = Vec::new();
        use std::io::Read;
        resp.into_reader()
            .read_to_end(&mut bytes)
            .expect("read the body");
        (status, ct, bytes)
    }

    /// A download with its headers (names in lower case): status, headers, bytes.
    pub fn get_with_headers(&self, path: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
        let resp = match self.request("GET", path).call() {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("transport error: {e}"),
        };
        let status = resp.status();
        let headers = resp
            .headers_names()
            .into_iter()
            .map(|n| {
                let v = resp.header(&n).unwrap_or_default().to_string();
                (n.to_ascii_lowercase(), v)
            })
            .collect();
        let mut bytes = Vec::new();
        use std::io::Read;
        resp.into_reader()
            .read_to_end(&mut bytes)
            .expect("read the body");
        (status, headers, bytes)
    }

    pub fn method(&self, method: &str, path: &str) -> Answer {
        Self::finish(self.request(method, path).call())
    }

    /// `POST /authenticate` from a given client address (`CF-Connecting-IP`, as Cloudflare
    /// sets it), with `session=1` when asked: the answer and its `Retry-After`.
    pub fn sign_in(
        username: &str,
        password: &str,
        address: &str,
        session: bool,
    ) -> (Answer, Option<String>) {
        let api = Api::anonymous();
        let mut req = api
            .request("POST", "/authenticate")
            .set("cf-connecting-ip", address);
        if session {
            req = req.query("session", "1");
        }
        let resp = req.send_form(&[("username", username), ("password", password)]);
        let retry = match &resp {
            Err(ureq::Error::Status(_, r)) => r.header("retry-after").map(str::to_string),
            _ => None,
        };
        (Self::finish(resp), retry)
    }

    /// A GET's `data` (the GET answering 200).
    #[track_caller]
    pub fn get_data(&self, path: &str) -> Value {
        self.get(path).expect(200).data().clone()
    }

    /// A POST's `data` (the POST answering 200).
    #[track_caller]
    pub fn post_data(&self, path: &str, body: &Value) -> Value {
        self.post(path, body).expect(200).data().clone()
    }

    /// A list's `links.total` (the list answering 200).
    #[track_caller]
    pub fn total(&self, path: &str) -> Value {
        self.get(path).expect(200).body["links"]["total"].clone()
    }

    /// A GET answering a 4xx with exactly this error message.
    #[track_caller]
    pub fn get_refused(&self, path: &str, status: u16, message: &str) {
        self.get(path).expect_error(status, message);
    }

    /// Creates a record and returns its data.
    #[track_caller]
    pub fn create(&self, resource: &str, body: Value) -> Value {
        self.post_data(&format!("/api/v1/{resource}/"), &body)
    }
}

/// The string id of a record.
pub fn id(v: &Value) -> String {
    v["id"].as_str().expect("ids are strings").to_string()
}

/// `key` of each record in the list `list`, those that are strings.
pub fn strings<'a>(list: &'a Value, key: &str) -> Vec<&'a str> {
    list.as_array()
        .expect("a list")
        .iter()
        .filter_map(|v| v[key].as_str())
        .collect()
}

/// Whether a job has ended (completed, stopped or error).
pub fn finished(job: &Value) -> bool {
    matches!(
        job["status"].as_str(),
        Some("completed" | "stopped" | "error")
    )
}

/// A fresh directory in the system temp dir, removed with everything in it when dropped:
/// tests leave nothing behind.
pub struct Scratch {
    pub path: std::path::PathBuf,
}

impl Scratch {
    pub fn new(prefix: &str) -> Scratch {
        let path = std::env::temp_dir().join(unique(prefix));
        std::fs::create_dir_all(&path).expect("scratch dir");
        Scratch { path }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A real `labrelay-agent` process on the cdrouter-cli simulator (built by `cargo xtask
/// test`, found through `LABRELAY_AGENT_BIN` and `LABRELAY_SIM_BIN`). Killed when dropped,
/// and its work directory removed (its log printed first when the test failed).
pub struct AgentProc {
    pub child: std::process::Child,
    pub id: String,
    pub token: String,
    pub work: std::path::PathBuf,
}

pub struct AgentSpec<'a> {
    pub name: &'a str,
    pub interfaces: &'a [String],
    pub concurrency: u32,
    /// Extra environment for the simulator (`CDROUTER_SIM_*`).
    pub sim_env: &'a [(&'a str, &'a str)],
}

impl AgentProc {
    /// Registers an agent with the admin token and starts it.
    pub fn start(spec: AgentSpec) -> AgentProc {
        Self::start_with(spec, &[])
    }

    /// As [`AgentProc::start`], with more flags for the agent (`--heartbeat-secs 50`).
    pub fn start_with(spec: AgentSpec, flags: &[&str]) -> AgentProc {
        let registered = Api::admin().create("agents", serde_json::json!({"name": spec.name}));
        let token = registered["token"]
            .as_str()
            .expect("agent token")
            .to_string();
        Self::spawn_with(id(&registered), token, spec, flags)
    }

    /// An agent named `unique(prefix)` on `interfaces`, one job at a time, the simulator
    /// taking `test_ms` a test.
    pub fn simulating(prefix: &str, interfaces: &[String], test_ms: &str) -> AgentProc {
        Self::simulating_with(prefix, interfaces, &[("CDROUTER_SIM_TEST_MS", test_ms)])
    }

    /// As [`AgentProc::simulating`], with this environment for the simulator.
    pub fn simulating_with(
        prefix: &str,
        interfaces: &[String],
        sim_env: &[(&str, &str)],
    ) -> AgentProc {
        Self::start(AgentSpec {
            name: &unique(prefix),
            interfaces,
            concurrency: 1,
            sim_env,
        })
    }

    pub fn spawn(id: String, token: String, spec: AgentSpec) -> AgentProc {
        Self::spawn_with(id, token, spec, &[])
    }

    pub fn spawn_with(id: String, token: String, spec: AgentSpec, flags: &[&str]) -> AgentProc {
        let work = std::env::temp_dir().join(unique("labrelay-agent-work"));
        std::fs::create_dir_all(&work).expect("work dir");
        let bin = std::env::var("LABRELAY_AGENT_BIN")
            .expect("LABRELAY_AGENT_BIN is set by `cargo xtask test`");
        let sim = std::env::var("LABRELAY_SIM_BIN")
            .expect("LABRELAY_SIM_BIN is set by `cargo xtask test`");
        let mut cmd = std::process::Command::new(bin);
        cmd.arg("--server")
            .arg(base_url())
            .arg("--token")
            .arg(&token)
            .arg("--interfaces")
            .arg(spec.interfaces.join(","))
            .arg("--cdrouter-cli")
            .arg(sim)
            .arg("--work-dir")
            .arg(&work)
            .arg("--concurrency")
            .arg(spec.concurrency.to_string())
            .arg("--stop-grace")
            .arg("3")
            .args(flags)
            .env("LABRELAY_LOG", "info")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(
                std::fs::File::create(work.join("agent.log"))
                    .map(std::process::Stdio::from)
                    .unwrap_or_else(|_| std::process::Stdio::null()),
            );
        for (k, v) in spec.sim_env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("start labrelay-agent");
        AgentProc {
            child,
            id,
            token,
            work,
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.work.join("agent.log")).unwrap_or_default()
    }

    /// A job's log as this agent keeps it on disk (its outbox), as far as it got.
    pub fn job_log(&self, job_id: &str) -> String {
        std::fs::read_to_string(self.work.join(format!("job-{job_id}/outbox/log")))
            .unwrap_or_default()
    }

    /// SIGKILL: the agent vanishes without a word, as a crashed lab machine would.
    pub fn kill_hard(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for AgentProc {
    fn drop(&mut self) {
        // Two SIGTERMs: the second stops running jobs; then make sure it is gone.
        let pid = self.child.id().to_string();
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status();
        std::thread::sleep(Duration::from_millis(200));
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status();
        let mut gone = false;
        for _ in 0..50 {
            if let Ok(Some(_)) = self.child.try_wait() {
                gone = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        if !gone {
            self.kill_hard();
        }
        if std::thread::panicking() {
            eprintln!(
                "agent {} log ({}):\n{}",
                self.id,
                self.work.display(),
                self.log()
            );
        }
        let _ = std::fs::remove_dir_all(&self.work);
    }
}

/// `labrelay-agent check` (the real binary, `LABRELAY_AGENT_BIN`) against `server` with
/// `token`, a stand-in cdrouter-cli in `scratch`, `work` as its work directory and `flags`
/// more; no config file or CA file from the environment: its exit code and what it printed.
pub fn agent_check(
    server: &str,
    token: &str,
    scratch: &Scratch,
    work: &std::path::Path,
    flags: &[&str],
) -> (i32, String) {
    use std::os::unix::fs::PermissionsExt;
    let cli = scratch.path.join("cdrouter-cli");
    std::fs::write(&cli, "#!/bin/sh\necho 'CDRouter 14 (stand-in)'\n").expect("script");
    std::fs::set_permissions(&cli, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let bin = std::env::var("LABRELAY_AGENT_BIN")
        .expect("LABRELAY_AGENT_BIN is set by `cargo xtask test`");
    let out = std::process::Command::new(bin)
        .arg("check")
        .args(["--server", server, "--interfaces", "lo"])
        .arg("--cdrouter-cli")
        .arg(&cli)
        .arg("--work-dir")
        .arg(work)
        .args(flags)
        .env("LABRELAY_TOKEN", token)
        .env_remove("LABRELAY_CONFIG")
        .env_remove("LABRELAY_CA_FILE")
        .output()
        .expect("run labrelay-agent check");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.code().unwrap_or(-1), text)
}

/// Whether process `pid` is gone: no such process, or a zombie (dead, only not yet collected
/// by whoever inherited it).
pub fn is_gone(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

/// Polls a job until `done` holds for it (or panics after `limit`): the wait is for the
/// system to get there, not a timing assertion.
#[track_caller]
pub fn wait_for_job(
    api: &Api,
    job_id: &str,
    limit: Duration,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let start = std::time::Instant::now();
    loop {
        let job = api
            .get(&format!("/api/v1/jobs/{job_id}/"))
            .expect(200)
            .data()
            .clone();
        if done(&job) {
            return job;
        }
        assert!(
            start.elapsed() < limit,
            "job {job_id} never got there: {job}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The whole log of a job, read through the paged log endpoint.
pub fn read_log(api: &Api, job_id: &str) -> String {
    let mut text = String::new();
    let mut offset = 0;
    loop {
        let chunk = api
            .get(&format!("/api/v1/jobs/{job_id}/log?offset={offset}"))
            .expect(200);
        let piece = chunk.data()["text"].as_str().unwrap_or("").to_string();
        let next = chunk.data()["next_offset"].as_u64().unwrap_or(offset);
        text.push_str(&piece);
        if piece.is_empty() || next == offset {
            return text;
        }
        offset = next;
    }
}
