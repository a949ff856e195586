//! Lab agents and the agent protocol: registration (admin), then, with the agent's own token,
//! claim (long-poll), start, heartbeat (lease renewal + stop signal), log append, finish.
//!
//! Agent endpoints, all with `Authorization: Bearer <agent token>`, all `POST` with a JSON
//! body but `whoami`:
//! - `GET /api/v1/agent/whoami` → 200 `{data: WhoAmI}`: which agent the token belongs to
//!   (for `labrelay-agent check`; it does not count as the agent being seen).
//! - `/api/v1/agent/claim` — `ClaimRequest`; held up to `wait_secs` (max 50) until a job is
//!   dispatchable to this agent: 200 `{data: Claim}`, or 204 when nothing came.
//! - `/api/v1/agent/jobs/{id}/start` — `StartRequest` → 200 `{data: Job}` (idempotent).
//! - `/api/v1/agent/jobs/{id}/heartbeat` — `Heartbeat` → 200 `{data: HeartbeatReply}`.
//! - `/api/v1/agent/jobs/{id}/log` — `LogAppend` → 200 `{data: LogAck}`; an append whose
//!   `offset` is past the end is 409 with the expected offset in `LogAck` form under `data`
//!   (a gap: resend from there); an append that overlaps what is stored keeps only the new
//!   tail (a retried append is harmless).
//! - `/api/v1/agent/jobs/{id}/finish` — `Finish` → 200 `{data: Job}` (idempotent).
//!
//! Readers: `GET /api/v1/jobs/{id}/log?offset=N` → `{data: LogChunk}`.

use crate::jobs::Job;
use crate::query::Schema;
use crate::resources::Device;
use crate::{Id, Timestamp};
use serde::{Deserialize, Serialize};

/// How long a lease lives without a heartbeat, and how often agents should renew it. Six
/// missed heartbeats: an agent rides out a server outage of well over 20 s (its retries back
/// off to at most 30 s) before its running job is declared lost.
pub const LEASE_SECS: u64 = 60;
pub const HEARTBEAT_SECS: u64 = 10;
/// The longest a claim is held open.
pub const MAX_WAIT_SECS: u64 = 50;
/// Each job's log is capped (bytes); past it, appends are acknowledged and dropped, and a
/// final line says so.
pub const LOG_CAP_BYTES: u64 = 4 << 20;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Agent {
    pub id: Id,
    pub name: String,
    pub labels: Vec<String>,
    pub online: bool,
    pub last_seen: Option<Timestamp>,
    pub version: String,
    pub host: String,
    pub interfaces: Vec<String>,
    /// Ids of the jobs it is running now.
    pub jobs: Vec<Id>,
    pub created: Timestamp,
    /// Shown once, when the agent is registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AgentInput {
    pub name: Option<String>,
    pub labels: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ClaimRequest {
    /// The network interfaces wired to devices under test on this lab machine.
    pub interfaces: Vec<String>,
    /// How many more jobs the agent can take now (its concurrency minus what it runs).
    #[serde(default = "one")]
    pub capacity: u32,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub host: String,
    /// How long the server may hold the request (seconds, at most `MAX_WAIT_SECS`).
    #[serde(default = "default_wait")]
    pub wait_secs: u64,
}

fn one() -> u32 {
    1
}

fn default_wait() -> u64 {
    25
}

/// Everything a run needs, handed over with the job.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claim {
    pub job: Job,
    pub testlist: Vec<String>,
    pub package_extra_cli_args: String,
    pub config_name: String,
    /// The effective config text (the job's config, else the package's).
    pub config: String,
    pub device: Option<Device>,
    pub lease: Lease,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Lease {
    pub expires_at: Timestamp,
    pub ttl_secs: u64,
    pub heartbeat_secs: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct StartRequest {
    /// The result id the run writes to (CDRouter's `YYYYMMDDHHMMSS`); the server picks one
    /// when absent.
    pub result_id: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
    pub passed: u64,
    pub failed: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Heartbeat {
    pub progress: Option<Progress>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HeartbeatReply {
    /// A user asked to stop the job: stop cdrouter-cli and finish as `stopped`.
    pub stop: bool,
    pub lease: Lease,
}

/// The answer to the stop long-poll, `GET /api/v1/agent/jobs/{id}/stop?wait=S`: given at
/// once when a user asked to stop the job, else as soon as one does, else after `wait`
/// seconds with `stop: false`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StopPoll {
    pub stop: bool,
}

/// The answer to `GET /api/v1/agent/whoami`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhoAmI {
    pub id: Id,
    pub name: String,
    /// The host the agent named in its last claim; empty before its first.
    pub hostname: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LogAppend {
    /// Byte offset of `text` in the job's log.
    pub offset: u64,
    pub text: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LogAck {
    /// The log's length after this append: where the next append starts.
    pub next_offset: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LogChunk {
    pub offset: u64,
    pub text: String,
    pub next_offset: u64,
    /// The job has finished and nothing more will be appended.
    pub complete: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FinishStatus {
    Completed,
    Error,
    Stopped,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Summary {
    pub tests: u64,
    pub passed: u64,
    pub failed: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Finish {
    pub status: FinishStatus,
    #[serde(default)]
    pub exit_code: Option<i32>,
    #[serde(default)]
    pub summary: Summary,
    /// Why, for `error` (and `stopped`): shown to users.
    #[serde(default)]
    pub reason: String,
}

pub static AGENT_SCHEMA: Schema = crate::schema! {
    "id": Id,
    "name": Str,
    "labels": StrArray,
    "version": Str,
    "host": Str,
    "interfaces": StrArray,
    "last_seen": Time,
    "created": Time,
};
