//! A small in-process Labrelay server for the agent's end-to-end tests: the agent endpoints
//! with the real log semantics (gaps answer 409, overlaps keep only the new tail), a queue of
//! claims, a record of every call, and switches for outages and lost answers; test records
//! upserted by `seq`, files taken in checksummed parts (as the real server checks them); the
//! stop long-poll, answered as soon as `stop_jobs` is set (or 405, as a server without it).

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use labrelay_api::agents::{Finish, Heartbeat, LogAppend, StartRequest};
use labrelay_api::results::{part_count, FileState, TestRecord, TestsUpload};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Notify;

pub const TOKEN: &str = "test-agent-token";

#[derive(Default)]
pub struct State {
    pub claims: VecDeque<Value>,
    pub claim_requests: Vec<Value>,
    pub starts: Vec<(u64, StartRequest)>,
    pub heartbeats: Vec<(u64, Heartbeat)>,
    pub logs: HashMap<u64, String>,
    pub appends: u32,
    pub finishes: Vec<(u64, Finish)>,
    /// Answer every heartbeat and stop long-poll with `stop: true`.
    pub stop_jobs: bool,
    /// Answer stop long-polls 405, as a server that has none.
    pub no_stop_poll: bool,
    /// Stop long-polls received, by job.
    pub stop_polls: Vec<u64>,
    /// Stop long-polls answered `stop: true`.
    pub stops_polled: u32,
    /// Answer heartbeats with 409: the lease went to someone else.
    pub lease_lost: bool,
    /// Every agent call answers 503.
    pub down: bool,
    /// Go down right after the next start.
    pub down_after_start: bool,
    /// Calls answered 503 while down.
    pub refused: u32,
    /// Appends left that are stored but answered 503 (a lost answer).
    pub lose_acks: u32,
    pub heartbeat_secs: u64,
    /// Test records by job, then seq (the last upsert wins).
    pub tests: HashMap<u64, BTreeMap<u64, TestRecord>>,
    /// Files by (job, name).
    pub files: HashMap<(u64, String), FakeFile>,
    pub parts_received: u32,
}

#[derive(Default, Clone)]
pub struct FakeFile {
    pub size: u64,
    pub sha256: String,
    pub parts: BTreeMap<u32, Vec<u8>>,
    /// The whole file, once every part is in and its checksum matched.
    pub bytes: Option<Vec<u8>>,
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl FakeFile {
    fn state(&self, name: &str) -> FileState {
        FileState {
            name: name.to_string(),
            size: self.size,
            sha256: self.sha256.clone(),
            parts_received: self.parts.keys().copied().collect(),
            parts: part_count(self.size),
            complete: self.bytes.is_some(),
        }
    }
}

#[derive(Clone)]
pub struct FakeServer {
    pub url: String,
    state: Arc<Mutex<State>>,
    changed: Arc<Notify>,
}

impl FakeServer {
    pub async fn start() -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let server = FakeServer {
            url,
            state: Arc::new(Mutex::new(State {
                heartbeat_secs: 1,
                ..State::default()
            })),
            changed: Arc::new(Notify::new()),
        };
        let s = server.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let s = s.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let s = s.clone();
                        async move { Ok::<_, hyper::Error>(s.handle(req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        server
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until `done` holds (checked after every call the server answers).
    pub async fn wait_for(&self, what: &str, done: impl Fn(&State) -> bool) {
        let wait = async {
            loop {
                let notified = self.changed.notified();
                if done(&self.state()) {
                    return;
                }
                // Also re-check now and then: some conditions change outside the server.
                let _ = tokio::time::timeout(Duration::from_millis(200), notified).await;
            }
        };
        if tokio::time::timeout(Duration::from_secs(60), wait)
            .await
            .is_err()
        {
            panic!("timed out waiting for {what}");
        }
    }

    pub fn add_claim(&self, claim: Value) {
        // The claim must be what the agent's types read.
        serde_json::from_value::<labrelay_api::agents::Claim>(claim.clone()).expect("valid claim");
        self.state().claims.push_back(claim);
    }

    async fn handle(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let path = req.uri().path().to_string();
        let query: HashMap<String, String> = req
            .uri()
            .query()
            .unwrap_or("")
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let method = req.method().clone();
        let authorized = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            == Some(&format!("Bearer {TOKEN}"));
        let body = match req.into_body().collect().await {
            Ok(b) => b.to_bytes(),
            Err(_) => return reply(400, json!({"error": "bad body"})),
        };
        let resp = if authorized && path.ends_with("/files/") && method == hyper::Method::POST {
            if self.state().down {
                self.state().refused += 1;
                reply(503, json!({"error": "down for the test"}))
            } else {
                self.batch(&path, &body)
            }
        } else if authorized && path.contains("/files/") {
            if self.state().down {
                self.state().refused += 1;
                reply(503, json!({"error": "down for the test"}))
            } else {
                self.file(&method, &path, &query, &body)
            }
        } else if authorized {
            self.route(&path, &body).await
        } else {
            reply(401, json!({"error": "invalid token"}))
        };
        self.changed.notify_waiters();
        resp
    }

    async fn route(&self, path: &str, body: &[u8]) -> Response<Full<Bytes>> {
        if self.state().down {
            self.state().refused += 1;
            return reply(503, json!({"error": "down for the test"}));
        }
        if path == "/api/v1/agent/claim" {
            return self.claim(body).await;
        }
        let Some(rest) = path.strip_prefix("/api/v1/agent/jobs/") else {
            return reply(404, json!({"error": "no such route"}));
        };
        let mut parts = rest.splitn(2, '/');
        let (Some(Ok(id)), Some(what)) = (parts.next().map(str::parse::<u64>), parts.next()) else {
            return reply(404, json!({"error": "no such route"}));
        };
        if what == "stop" {
            return self.stop_poll(id).await;
        }
        let mut s = self.state();
        match what {
            "start" => s.on_start(id, body),
            "heartbeat" => s.on_heartbeat(id, body),
            "log" => s.on_log(id, body),
            "tests" => s.on_tests(id, body),
            "finish" => s.on_finish(id, body),
            _ => reply(404, json!({"error": "no such route"})),
        }
    }

    /// `GET|PUT /api/v1/agent/jobs/{id}/files/{name}?size&sha256[&part&part_sha256]`.
    fn file(
        &self,
        method: &hyper::Method,
        path: &str,
        q: &HashMap<String, String>,
        body: &[u8],
    ) -> Response<Full<Bytes>> {
        let rest = path.trim_start_matches("/api/v1/agent/jobs/");
        let Some((id, name)) = rest.split_once("/files/") else {
            return reply(404, json!({"error": "no such route"}));
        };
        let (Ok(id), Ok(name)) = (id.parse::<u64>(), percent_decode(name)) else {
            return reply(404, json!({"error": "no such route"}));
        };
        let size: u64 = q.get("size").and_then(|v| v.parse().ok()).unwrap_or(0);
        let sha = q.get("sha256").cloned().unwrap_or_default();
        let mut s = self.state();
        let key = (id, name.clone());
        let current = s.files.get(&key).cloned().unwrap_or_default();
        let mut file = if current.size == size && current.sha256 == sha {
            current
        } else {
            FakeFile {
                size,
                sha256: sha.clone(),
                ..FakeFile::default()
            }
        };
        if method == hyper::Method::GET {
            return reply(
                200,
                envelope(serde_json::to_value(file.state(&name)).unwrap_or_default()),
            );
        }
        let part: u32 = q.get("part").and_then(|v| v.parse().ok()).unwrap_or(0);
        let part_sha = q.get("part_sha256").cloned().unwrap_or_default();
        if part == 0 || part > part_count(size) {
            return reply(400, json!({"error": "bad part"}));
        }
        if hex(&Sha256::digest(body)) != part_sha {
            return reply(400, json!({"error": "checksum mismatch"}));
        }
        s.parts_received += 1;
        file.parts.insert(part, body.to_vec());
        if file.parts.len() as u32 == part_count(size) && file.bytes.is_none() {
            let whole: Vec<u8> = file.parts.values().flatten().copied().collect();
            if hex(&Sha256::digest(&whole)) != sha || whole.len() as u64 != size {
                return reply(400, json!({"error": "checksum mismatch (whole file)"}));
            }
            file.bytes = Some(whole);
            file.parts.clear();
        }
        let state = file.state(&name);
        s.files.insert(key, file);
        reply(
            200,
            envelope(serde_json::to_value(state).unwrap_or_default()),
        )
    }

    /// `POST /api/v1/agent/jobs/{id}/files/`: a manifest line, then the files' bytes.
    fn batch(&self, path: &str, body: &[u8]) -> Response<Full<Bytes>> {
        let id: u64 = path
            .trim_start_matches("/api/v1/agent/jobs/")
            .split('/')
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let Some(nl) = body.iter().position(|b| *b == b'\n') else {
            return reply(400, json!({"error": "no manifest"}));
        };
        let Ok(manifest) =
            serde_json::from_slice::<labrelay_api::results::BatchManifest>(&body[..nl])
        else {
            return reply(400, json!({"error": "bad manifest"}));
        };
        let mut rest = &body[nl + 1..];
        let mut out = Vec::new();
        let mut s = self.state();
        for f in manifest.files {
            let n = usize::try_from(f.size)
                .unwrap_or(usize::MAX)
                .min(rest.len());
            let (bytes, tail) = rest.split_at(n);
            rest = tail;
            if hex(&Sha256::digest(bytes)) != f.sha256 {
                out.push(json!({"name": f.name, "error": "checksum mismatch", "status": 400}));
                continue;
            }
            s.parts_received += 1;
            let file = FakeFile {
                size: f.size,
                sha256: f.sha256.clone(),
                parts: BTreeMap::new(),
                bytes: Some(bytes.to_vec()),
            };
            out.push(json!({"name": f.name, "state": file.state(&f.name), "status": 200}));
            s.files.insert((id, f.name.clone()), file);
        }
        reply(200, envelope(json!(out)))
    }

    /// Holds the poll up to 2 s (the real server: `wait`), answering as soon as a stop is
    /// asked for.
    async fn stop_poll(&self, id: u64) -> Response<Full<Bytes>> {
        {
            let mut s = self.state();
            if s.no_stop_poll {
                return reply(405, json!({"error": "method not allowed"}));
            }
            if s.lease_lost {
                return reply(409, json!({"error": "job is not leased to this agent"}));
            }
            s.stop_polls.push(id);
        }
        for _ in 0..40 {
            {
                let mut s = self.state();
                if s.stop_jobs {
                    s.stops_polled += 1;
                    return reply(200, envelope(json!({"stop": true})));
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        reply(200, envelope(json!({"stop": false})))
    }

    async fn claim(&self, body: &[u8]) -> Response<Full<Bytes>> {
        let req: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let next = {
            let mut s = self.state();
            s.claim_requests.push(req);
            s.claims.pop_front()
        };
        match next {
            Some(claim) => reply(200, envelope(claim)),
            None => {
                // Hold the claim a little, as the real server does (for up to wait_secs).
                tokio::time::sleep(Duration::from_millis(500)).await;
                Response::builder()
                    .status(204)
                    .body(Full::new(Bytes::new()))
                    .unwrap_or_default()
            }
        }
    }
}

fn percent_decode(s: &str) -> Result<String, ()> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let h = std::str::from_utf8(&b[i + 1..i + 3]).map_err(|_| ())?;
            out.push(u8::from_str_radix(h, 16).map_err(|_| ())?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| ())
}

fn envelope(data: Value) -> Value {
    json!({"timestamp": "2026-01-02T03:04:05.000000000Z", "data": data})
}

fn lease(heartbeat_secs: u64) -> Value {
    json!({"expires_at": "2026-01-02T03:04:35Z", "ttl_secs": 60, "heartbeat_secs": heartbeat_secs})
}

fn reply(status: u16, body: Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap_or_default()
}

/// A claim for job `id` with these tests and job options.
pub fn claim(id: u64, tests: &[&str], options: Value, heartbeat_secs: u64) -> Value {
    let t = "2026-01-02T03:04:05Z";
    json!({
        "job": {
            "id": id.to_string(), "active": true, "status": "running", "options": options,
            "package_id": "1", "package_name": "basic", "device_id": "2", "device_name": "dut",
            "config_id": "3", "config_name": "lab config", "result_id": null, "user_id": "1",
            "created": t, "updated": t, "automatic": false, "run_at": t,
            "interfaces": [], "interface_names": ["eth1"], "uses_wireless": false,
            "uses_ics": false, "ics_interface_name": ""
        },
        "testlist": tests,
        "package_extra_cli_args": "-noclean",
        "config_name": "lab config",
        "config": "testvar lanInterface eth1\ntestvar wanMode DHCP\n",
        "device": null,
        "lease": lease(heartbeat_secs),
    })
}

/// The job calls, on the server's state.
impl State {
    fn on_start(&mut self, id: u64, body: &[u8]) -> Response<Full<Bytes>> {
        let Ok(r) = serde_json::from_slice::<StartRequest>(body) else {
            return reply(400, json!({"error": "bad start"}));
        };
        self.starts.push((id, r));
        if self.down_after_start {
            self.down_after_start = false;
            self.down = true;
        }
        reply(200, envelope(json!({"id": id.to_string()})))
    }

    fn on_heartbeat(&mut self, id: u64, body: &[u8]) -> Response<Full<Bytes>> {
        let Ok(hb) = serde_json::from_slice::<Heartbeat>(body) else {
            return reply(400, json!({"error": "bad heartbeat"}));
        };
        self.heartbeats.push((id, hb));
        if self.lease_lost {
            return reply(
                409,
                json!({"error": "the job's lease is held by another agent"}),
            );
        }
        reply(
            200,
            envelope(json!({"stop": self.stop_jobs, "lease": lease(self.heartbeat_secs)})),
        )
    }

    fn on_log(&mut self, id: u64, body: &[u8]) -> Response<Full<Bytes>> {
        let Ok(a) = serde_json::from_slice::<LogAppend>(body) else {
            return reply(400, json!({"error": "bad append"}));
        };
        self.appends += 1;
        let lose = if self.lose_acks > 0 {
            self.lose_acks -= 1;
            true
        } else {
            false
        };
        let log = self.logs.entry(id).or_default();
        let end = log.len() as u64;
        if a.offset > end {
            return reply(
                409,
                json!({"error": "log gap", "data": {"next_offset": end}}),
            );
        }
        let skip = usize::try_from(end - a.offset).unwrap_or(usize::MAX);
        if skip < a.text.len() {
            log.push_str(&a.text[skip..]);
        }
        let next = log.len();
        if lose {
            return reply(503, json!({"error": "answer lost"}));
        }
        reply(200, envelope(json!({"next_offset": next})))
    }

    fn on_tests(&mut self, id: u64, body: &[u8]) -> Response<Full<Bytes>> {
        let Ok(t) = serde_json::from_slice::<TestsUpload>(body) else {
            return reply(400, json!({"error": "bad tests"}));
        };
        let n = t.tests.len();
        let job = self.tests.entry(id).or_default();
        for r in t.tests {
            job.insert(r.seq, r);
        }
        reply(200, envelope(json!({"stored": n})))
    }

    fn on_finish(&mut self, id: u64, body: &[u8]) -> Response<Full<Bytes>> {
        let Ok(f) = serde_json::from_slice::<Finish>(body) else {
            return reply(400, json!({"error": "bad finish"}));
        };
        self.finishes.push((id, f));
        reply(200, envelope(json!({"id": id.to_string()})))
    }
}
