//! xtask's one HTTP client (ureq): a server's base URL and, when it has one, a bearer token.
//! JSON in and out, the API's `{data}` envelope whole (`json`, `get`, `post`) or only its
//! `data` (`get_data`, `post_data`, `patch_data`); `answer` hands back any status with its
//! body, for callers that look at the status. Plain HTTP, or HTTPS trusting one private CA (`trusting`).

use crate::result::Result;
use serde_json::Value;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Cloning shares the connection pool; [`Http::fresh`] has a pool of its own.
#[derive(Clone)]
pub struct Http {
    agent: ureq::Agent,
    base: String,
    auth: Option<String>,
    timeout: Duration,
}

fn agent(timeout: Duration) -> ureq::AgentBuilder {
    ureq::AgentBuilder::new().timeout(timeout)
}

impl Http {
    /// `base` (no trailing `/`) with `token` as the bearer; a request may take `timeout`.
    pub fn new(base: &str, token: &str, timeout: Duration) -> Http {
        Http {
            agent: agent(timeout).build(),
            base: base.trim_end_matches('/').to_string(),
            auth: Some(format!("Bearer {token}")),
            timeout,
        }
    }

    /// Without a token (health checks, sign-in).
    pub fn anonymous(base: &str, timeout: Duration) -> Http {
        Http {
            auth: None,
            ..Http::new(base, "", timeout)
        }
    }

    /// Over HTTPS, trusting only the certificate authority in the PEM file `ca`.
    pub fn trusting(base: &str, ca: &Path, timeout: Duration) -> Result<Http> {
        use rustls::pki_types::{pem::PemObject, CertificateDer};
        let pem = std::fs::read(ca).map_err(|e| format!("{}: {e}", ca.display()))?;
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(&pem) {
            let cert = cert.map_err(|e| format!("{}: {e}", ca.display()))?;
            roots
                .add(cert)
                .map_err(|e| format!("{}: {e}", ca.display()))?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Http {
            agent: agent(timeout).tls_config(Arc::new(tls)).build(),
            ..Http::anonymous(base, timeout)
        })
    }

    /// The same server and token on connections of its own (a load thread's).
    pub fn fresh(&self) -> Http {
        Http {
            agent: agent(self.timeout).build(),
            ..self.clone()
        }
    }

    /// The same server with another token (an agent's, a user's).
    pub fn with_token(&self, token: &str) -> Http {
        Http::new(&self.base, token, self.timeout)
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// A request to `base` + `path`, with the token.
    pub fn request(&self, method: &str, path: &str) -> ureq::Request {
        let req = self.agent.request(method, &format!("{}{path}", self.base));
        match &self.auth {
            Some(auth) => req.set("authorization", auth),
            None => req,
        }
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> std::result::Result<ureq::Response, Box<ureq::Error>> {
        let req = self.request(method, path);
        match body {
            Some(b) => req.send_json(b),
            None => req.call(),
        }
        .map_err(Box::new)
    }

    /// The answer whatever its status, its body read whole; only a failure to talk to the
    /// server is an error.
    pub fn answer(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Answer> {
        answer_of(self.send(method, path, body).map_err(|e| *e))
    }

    /// The JSON answer whole; `None` for 204 No Content.
    pub fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Option<Value>> {
        let fail = |e: &dyn std::fmt::Display| format!("{method} {path}: {e}");
        let resp = self.send(method, path, body).map_err(|e| fail(&e))?;
        if resp.status() == 204 {
            return Ok(None);
        }
        resp.into_json().map(Some).map_err(|e| fail(&e))
    }

    /// The JSON answer whole; no content is an error.
    pub fn json(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value> {
        self.call(method, path, body)?
            .ok_or_else(|| format!("{method} {path}: no content"))
    }

    pub fn get(&self, path: &str) -> Result<Value> {
        self.json("GET", path, None)
    }

    pub fn post(&self, path: &str, body: Value) -> Result<Value> {
        self.json("POST", path, Some(&body))
    }

    /// The answer's `data`.
    pub fn get_data(&self, path: &str) -> Result<Value> {
        Ok(self.get(path)?["data"].take())
    }

    pub fn post_data(&self, path: &str, body: Value) -> Result<Value> {
        Ok(self.post(path, body)?["data"].take())
    }

    pub fn patch_data(&self, path: &str, body: Value) -> Result<Value> {
        Ok(self.json("PATCH", path, Some(&body))?["data"].take())
    }

    /// A GET's `data`, and how long it took (ms).
    pub fn get_timed(&self, path: &str) -> Result<(Value, f64)> {
        let t = Instant::now();
        let data = self.get_data(path)?;
        Ok((data, t.elapsed().as_secs_f64() * 1000.0))
    }

    /// A download's bytes.
    pub fn bytes(&self, path: &str) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.send("GET", path, None)
            .map_err(|e| format!("GET {path}: {e}"))?
            .into_reader()
            .read_to_end(&mut out)
            .map_err(|e| format!("GET {path}: {e}"))?;
        Ok(out)
    }

    /// A `PUT` of raw bytes, its answer read whole; a status other than 2xx is an error.
    pub fn put_bytes(&self, path: &str, body: &[u8]) -> Result {
        self.request("PUT", path)
            .send_bytes(body)
            .map_err(|e| format!("PUT {path}: {e}"))?
            .into_string()
            .map(drop)
            .map_err(|e| format!("PUT {path}: {e}"))
    }
}

/// A status and a body.
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// ureq's outcome of a request as an [`Answer`], whatever its status (a request built with
/// [`Http::request`] and sent some other way, a form).
pub fn answer_of(outcome: std::result::Result<ureq::Response, ureq::Error>) -> Result<Answer> {
    let resp = match outcome {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => return Err(e.to_string()),
    };
    let status = resp.status();
    let body = resp.into_string().map_err(|e| e.to_string())?;
    Ok(Answer { status, body })
}

/// `name` as one percent-encoded path segment or query value.
pub fn encode(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
