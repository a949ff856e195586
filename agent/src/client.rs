//! The only code that talks HTTP: one method per agent endpoint, and the answer to "is this
//! error worth retrying?" ([`ClientError::is_retryable`]).
//!
//! Retryable: the server could not be reached or timed out, 408, 429, any 5xx, and answers
//! that do not parse (a proxy's error page). Fatal for the agent: 401/403 (the token is
//! wrong or revoked). Everything else is the server saying no to this request.

use crate::trust::Trust;
use labrelay_api::agents::{
    Claim, ClaimRequest, Finish, Heartbeat, HeartbeatReply, LogAck, LogAppend, StartRequest,
    StopPoll,
};
use labrelay_api::results::{BatchOutcome, FileState, TestsUpload};
use labrelay_api::{Envelope, ErrorBody, Id};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::time::Duration;

/// Connecting takes no longer than this on a healthy network.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Every call but the claim answers at once; a third of the lease leaves room to retry.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// A file part (8 MiB) over a slow lab uplink (1 MB/s) with room to spare.
const PART_TIMEOUT: Duration = Duration::from_secs(120);
/// On top of a long-poll's hold (claims, stops): the server's own lateness and the network's.
const CLAIM_SLACK: Duration = Duration::from_secs(15);

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach the server: {0}")]
    Transport(String),
    #[error("server answered {status}: {message}")]
    Status { status: u16, message: String },
    #[error("unexpected answer from the server: {0}")]
    Decode(String),
}

impl ClientError {
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn is_retryable(&self) -> bool {
        match self {
            ClientError::Transport(_) | ClientError::Decode(_) => true,
            ClientError::Status { status, .. } => {
                *status == 408 || *status == 429 || *status >= 500
            }
        }
    }

    /// The token was refused: retrying cannot help.
    pub fn is_auth(&self) -> bool {
        matches!(self.status(), Some(401 | 403))
    }
}

/// What a log append got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogOutcome {
    /// Stored; the log now ends at this offset.
    Acked(u64),
    /// The append started past the end of the stored log, which ends at this offset.
    Gap(u64),
}

/// The calls an outbox replays; the client is one, tests use an in-memory server.
pub trait Uplink {
    fn start(
        &self,
        job: Id,
        req: &StartRequest,
    ) -> impl Future<Output = Result<(), ClientError>> + Send;
    fn log(
        &self,
        job: Id,
        append: &LogAppend,
    ) -> impl Future<Output = Result<LogOutcome, ClientError>> + Send;
    fn finish(
        &self,
        job: Id,
        finish: &Finish,
    ) -> impl Future<Output = Result<(), ClientError>> + Send;
    fn tests(
        &self,
        job: Id,
        tests: &TestsUpload,
    ) -> impl Future<Output = Result<(), ClientError>> + Send;
    /// What the server holds of this exact file (`size`, `sha256`).
    fn file_state(
        &self,
        job: Id,
        name: &str,
        size: u64,
        sha256: &str,
    ) -> impl Future<Output = Result<FileState, ClientError>> + Send;
    /// Sends one part of a file: `bytes` are its bytes.
    fn file_part(
        &self,
        job: Id,
        part: Part<'_>,
        bytes: Vec<u8>,
    ) -> impl Future<Output = Result<FileState, ClientError>> + Send;
    /// Sends many small files at once: `body` is the manifest line, then the files' bytes.
    fn file_batch(
        &self,
        job: Id,
        body: Vec<u8>,
    ) -> impl Future<Output = Result<Vec<BatchOutcome>, ClientError>> + Send;
}

/// One part of a file to send: the file (`name`, its whole `size` and `sha256`) and which
/// part it is (`number`, 1-based, and the part's own `part_sha256`).
#[derive(Clone, Copy, Debug)]
pub struct Part<'a> {
    pub name: &'a str,
    pub size: u64,
    pub sha256: &'a str,
    pub number: u32,
    pub part_sha256: &'a str,
}

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    auth: String,
}

/// A 409 from the log endpoint: `{data: {next_offset}}`.
#[derive(Deserialize)]
struct GapBody {
    data: LogAck,
}

impl Client {
    pub fn new(base: &str, token: &str) -> Result<Client, ClientError> {
        Client::trusting(base, token, &Trust::default())
    }

    /// As [`Client::new`], trusting `trust`'s certificate authorities too (`--ca-file`).
    pub fn trusting(base: &str, token: &str, trust: &Trust) -> Result<Client, ClientError> {
        let builder = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("labrelay-agent/", env!("CARGO_PKG_VERSION")));
        let http = trust
            .apply(builder)
            .build()
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        Ok(Client {
            http,
            base: base.trim_end_matches('/').to_string(),
            auth: format!("Bearer {token}"),
        })
    }

    /// Long-polls for a job: `None` when the server had nothing within `wait_secs`.
    pub async fn claim(&self, req: &ClaimRequest) -> Result<Option<Claim>, ClientError> {
        let timeout = Duration::from_secs(req.wait_secs) + CLAIM_SLACK;
        let resp = self.post("/api/v1/agent/claim", req, timeout).await?;
        if resp.status().as_u16() == 204 {
            return Ok(None);
        }
        let resp = check(resp).await?;
        Ok(Some(decode::<Envelope<Claim>>(resp).await?.data))
    }

    pub async fn heartbeat(&self, job: Id, hb: &Heartbeat) -> Result<HeartbeatReply, ClientError> {
        let resp = self
            .post(&job_path(job, "heartbeat"), hb, CALL_TIMEOUT)
            .await?;
        let resp = check(resp).await?;
        Ok(decode::<Envelope<HeartbeatReply>>(resp).await?.data)
    }

    /// Long-polls for a stop of `job`: true once a user asked to stop it; false when the
    /// server held the poll `wait_secs` without one.
    pub async fn stop_wait(&self, job: Id, wait_secs: u64) -> Result<bool, ClientError> {
        let resp = self
            .http
            .get(format!("{}{}", self.base, job_path(job, "stop")))
            .query(&[("wait", wait_secs.to_string())])
            .header(reqwest::header::AUTHORIZATION, &self.auth)
            .timeout(Duration::from_secs(wait_secs) + CLAIM_SLACK)
            .send()
            .await
            .map_err(|e| ClientError::Transport(error_chain(&e)))?;
        let resp = check(resp).await?;
        Ok(decode::<Envelope<StopPoll>>(resp).await?.data.stop)
    }

    async fn post<B: Serialize>(
        &self,
        path: &str,
        body: &B,
        timeout: Duration,
    ) -> Result<reqwest::Response, ClientError> {
        self.http
            .post(format!("{}{path}", self.base))
            .header(reqwest::header::AUTHORIZATION, &self.auth)
            .timeout(timeout)
            .json(body)
            .send()
            .await
            .map_err(|e| ClientError::Transport(error_chain(&e)))
    }
}

impl Uplink for Client {
    /// Idempotent on the server: safe to retry.
    async fn start(&self, job: Id, req: &StartRequest) -> Result<(), ClientError> {
        let resp = self
            .post(&job_path(job, "start"), req, CALL_TIMEOUT)
            .await?;
        check(resp).await.map(drop)
    }

    async fn log(&self, job: Id, append: &LogAppend) -> Result<LogOutcome, ClientError> {
        let resp = self
            .post(&job_path(job, "log"), append, CALL_TIMEOUT)
            .await?;
        if resp.status().as_u16() == 409 {
            let text = resp.text().await.unwrap_or_default();
            return match serde_json::from_str::<GapBody>(&text) {
                Ok(gap) => Ok(LogOutcome::Gap(gap.data.next_offset)),
                Err(_) => Err(ClientError::Status {
                    status: 409,
                    message: message_of(&text),
                }),
            };
        }
        let resp = check(resp).await?;
        Ok(LogOutcome::Acked(
            decode::<Envelope<LogAck>>(resp).await?.data.next_offset,
        ))
    }

    /// Idempotent on the server: safe to retry.
    async fn finish(&self, job: Id, finish: &Finish) -> Result<(), ClientError> {
        let resp = self
            .post(&job_path(job, "finish"), finish, CALL_TIMEOUT)
            .await?;
        check(resp).await.map(drop)
    }

    /// Upserts by `seq`: safe to retry.
    async fn tests(&self, job: Id, tests: &TestsUpload) -> Result<(), ClientError> {
        let resp = self
            .post(&job_path(job, "tests"), tests, CALL_TIMEOUT)
            .await?;
        check(resp).await.map(drop)
    }

    async fn file_state(
        &self,
        job: Id,
        name: &str,
        size: u64,
        sha256: &str,
    ) -> Result<FileState, ClientError> {
        let url = self.file_url(job, name)?;
        self.file_call(
            self.http
                .get(url)
                .query(&[("size", size.to_string()), ("sha256", sha256.to_string())])
                .timeout(CALL_TIMEOUT),
        )
        .await
    }

    async fn file_batch(&self, job: Id, body: Vec<u8>) -> Result<Vec<BatchOutcome>, ClientError> {
        let resp = self
            .http
            .post(format!("{}{}/", self.base, job_path(job, "files")))
            .header(reqwest::header::AUTHORIZATION, &self.auth)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .timeout(PART_TIMEOUT)
            .body(body)
            .send()
            .await
            .map_err(|e| ClientError::Transport(error_chain(&e)))?;
        let resp = check(resp).await?;
        Ok(decode::<Envelope<Vec<BatchOutcome>>>(resp).await?.data)
    }

    async fn file_part(
        &self,
        job: Id,
        part: Part<'_>,
        bytes: Vec<u8>,
    ) -> Result<FileState, ClientError> {
        let url = self.file_url(job, part.name)?;
        self.file_call(
            self.http
                .put(url)
                .query(&[
                    ("size", part.size.to_string()),
                    ("sha256", part.sha256.to_string()),
                    ("part", part.number.to_string()),
                    ("part_sha256", part.part_sha256.to_string()),
                ])
                .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                .timeout(PART_TIMEOUT)
                .body(bytes),
        )
        .await
    }
}

impl Client {
    /// `/api/v1/agent/jobs/{job}/files/{name}` with the name as one encoded path segment.
    fn file_url(&self, job: Id, name: &str) -> Result<reqwest::Url, ClientError> {
        let mut url = reqwest::Url::parse(&format!("{}{}", self.base, job_path(job, "files")))
            .map_err(|e| ClientError::Transport(format!("bad server URL: {e}")))?;
        url.path_segments_mut()
            .map_err(|()| ClientError::Transport("bad server URL".into()))?
            .push(name);
        Ok(url)
    }

    async fn file_call(&self, req: reqwest::RequestBuilder) -> Result<FileState, ClientError> {
        let resp = req
            .header(reqwest::header::AUTHORIZATION, &self.auth)
            .send()
            .await
            .map_err(|e| ClientError::Transport(error_chain(&e)))?;
        let resp = check(resp).await?;
        Ok(decode::<Envelope<FileState>>(resp).await?.data)
    }
}

fn job_path(job: Id, what: &str) -> String {
    format!("/api/v1/agent/jobs/{job}/{what}")
}

/// Passes 2xx answers, turns the rest into `Status` errors with the server's message.
async fn check(resp: reqwest::Response) -> Result<reqwest::Response, ClientError> {
    let status = resp.status();
    if status.is_success() {
        return Ok(resp);
    }
    let text = resp.text().await.unwrap_or_default();
    Err(ClientError::Status {
        status: status.as_u16(),
        message: message_of(&text),
    })
}

async fn decode<T: DeserializeOwned>(resp: reqwest::Response) -> Result<T, ClientError> {
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| ClientError::Transport(error_chain(&e)))?;
    serde_json::from_slice(&bytes).map_err(|e| ClientError::Decode(e.to_string()))
}

/// The `error` of a `{timestamp, error}` body, else the start of the body.
fn message_of(body: &str) -> String {
    match serde_json::from_str::<ErrorBody>(body) {
        Ok(e) => e.error,
        Err(_) => {
            let mut s: String = body.trim().chars().take(200).collect();
            if s.is_empty() {
                s = "(no message)".into();
            }
            s
        }
    }
}

/// reqwest's top-level message is often just "error sending request": add the causes.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16) -> ClientError {
        ClientError::Status {
            status: code,
            message: String::new(),
        }
    }

    #[test]
    fn what_is_worth_retrying() {
        assert!(ClientError::Transport("refused".into()).is_retryable());
        assert!(ClientError::Decode("html".into()).is_retryable());
        for code in [408, 429, 500, 502, 503, 504] {
            assert!(status(code).is_retryable(), "{code}");
        }
        for code in [400, 401, 403, 404, 409, 413] {
            assert!(!status(code).is_retryable(), "{code}");
        }
        assert!(status(401).is_auth() && status(403).is_auth() && !status(404).is_auth());
    }

    #[test]
    fn messages_come_from_error_bodies_or_the_text() {
        assert_eq!(message_of(r#"{"error":"invalid token"}"#), "invalid token");
        assert_eq!(
            message_of("<html>bad gateway</html>"),
            "<html>bad gateway</html>"
        );
        assert_eq!(message_of(""), "(no message)");
    }
}
