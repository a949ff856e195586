//! The contract between the entry worker and the store object for result files: the bytes
//! go between the entry and R2 only; the store checks who may do what and keeps the records.
//! These calls travel on the store's `/internal/...` paths, which the entry never forwards
//! from outside, with the caller's own `Authorization` header.

use labrelay_api::labs::LabRef;
use labrelay_api::results::FileState;
use labrelay_api::Timestamp;
use serde::{Deserialize, Serialize};

pub const BEGIN: &str = "/internal/files/begin";
pub const WHOLE: &str = "/internal/files/whole";
pub const WHOLE_BATCH: &str = "/internal/files/whole-batch";
pub const HOLDS: &str = "/internal/files/holds";
pub const COMMIT: &str = "/internal/files/commit";
pub const COMPLETE: &str = "/internal/files/complete";
pub const STATE: &str = "/internal/files/state";
pub const LOCATE: &str = "/internal/files/locate";
pub const ARCHIVE: &str = "/internal/files/archive";
/// What a run's JUnit is made of (`crate::files::junit`).
pub const JUNIT: &str = "/internal/results/junit";
/// Where a test's performance metric is (`crate::files::metrics`).
pub const METRIC: &str = "/internal/results/metric";

/// The calls an agent makes (with its own token); the others are a user's.
pub const AGENT_CALLS: &[&str] = &[BEGIN, COMMIT, COMPLETE, STATE, WHOLE, WHOLE_BATCH, HOLDS];

/// An agent is about to send part `part` of a file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Begin {
    pub job: u64,
    pub name: String,
    pub size: u64,
    pub sha256: String,
    pub part: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BeginReply {
    /// The result the job's files belong to.
    pub result: u64,
    pub state: FileState,
    /// The R2 key of this version of the file.
    pub key: String,
    /// The multipart upload under way, when the file has more than one part and one began.
    pub upload_id: Option<String>,
    /// False when the store has this part (or the whole file) already.
    pub store: bool,
}

/// A one-part file already in R2 under [`file_key`], from an agent the entry saw hold the
/// job a moment ago: the store checks everything again and records it, or refuses (and the
/// entry deletes the bytes).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Whole {
    pub job: u64,
    pub name: String,
    pub size: u64,
    pub sha256: String,
    pub crc32: u32,
}

/// Many one-part files already in R2 (a batch upload): each recorded or refused on its own.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WholeBatch {
    pub job: u64,
    pub files: Vec<Whole>,
}

/// Does this agent hold this job? Answers its result's id.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Holds {
    pub job: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HoldsReply {
    pub result: u64,
}

/// Where a version of a result's file lives in R2: under its lab's prefix (each lab, and
/// each incarnation of a lab name, apart).
pub fn file_key(lab: &LabRef, result: u64, sha256: &str, name: &str) -> String {
    format!(
        "{}results/{result}/{}/{name}",
        lab.r2_prefix(),
        sha256.get(..16).unwrap_or(sha256)
    )
}

/// A part is in R2.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Commit {
    pub job: u64,
    pub name: String,
    pub size: u64,
    pub sha256: String,
    pub part: u32,
    pub etag: String,
    pub crc32: u32,
    pub len: u64,
    pub upload_id: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CommitReply {
    pub state: FileState,
    /// Every part is in: the entry completes the multipart upload, checks the whole file's
    /// checksum and reports with [`Complete`].
    pub assemble: Option<Assemble>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Assemble {
    pub key: String,
    pub upload_id: String,
    /// (part number, etag, crc32, length), in order.
    pub parts: Vec<(u16, String, u32, u64)>,
}

/// The assembled file matched its checksum (`ok`), or not (it is dropped).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Complete {
    pub job: u64,
    pub name: String,
    pub sha256: String,
    pub ok: bool,
    pub crc32: u32,
}

/// Which file a user wants: by name, or a test's log, or a test's capture.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Locate {
    pub result: u64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub seq: Option<u64>,
    #[serde(default)]
    pub interface: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Located {
    pub key: String,
    pub name: String,
    pub size: u64,
    pub sha256: String,
    pub crc32: u32,
    pub modified: Timestamp,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ArchiveRequest {
    pub result: u64,
    #[serde(default)]
    pub exclude_captures: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ArchiveList {
    pub files: Vec<Located>,
}

/// A run's JUnit: the suite and its tests from the store, and where the logs of its failed
/// tests are (the first [`JUNIT_LOGS`] of them; the entry reads their `FAIL` lines from R2).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct JunitSource {
    pub suite: labrelay_api::junit::Suite,
    pub cases: Vec<labrelay_api::junit::Case>,
    /// By the case's `seq`.
    pub logs: Vec<(u64, Located)>,
}

/// A test's metric: by the test's name (its graph) or its `seq` (its graph, else its run's
/// details).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct MetricLocate {
    pub result: u64,
    #[serde(default)]
    pub test: Option<String>,
    #[serde(default)]
    pub seq: Option<u64>,
    pub metric: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MetricLocated {
    pub file: Located,
    /// A run's `_details_graph.<n>.csv` (rates per second), not a `_graph.csv`.
    pub details: bool,
}

/// Failed tests whose logs one JUnit reads; past it, a failure says its log was not read.
pub const JUNIT_LOGS: usize = 200;
/// Tests one JUnit holds; a larger run is refused (its tests can be listed by pages).
pub const JUNIT_CASES: usize = 20_000;

// --- signing in (see `crate::signin` and `store::signin`) ---------------------------------

pub const SIGNIN_BEGIN: &str = "/internal/signin/begin";
/// The directory: who a user token belongs to (`labrelay_api::labs::Whois`).
pub const WHOIS: &str = "/internal/whois";
pub const SIGNIN_FINISH: &str = "/internal/signin/finish";
pub const USER_CREATE: &str = "/internal/users/create";
pub const USER_PASSWORD: &str = "/internal/users/password";
pub const USER_TOKEN: &str = "/internal/users/token";

/// PBKDF2-HMAC-SHA256 rounds for a password (OWASP's 2023 figure for SHA-256).
pub const PBKDF2_ROUNDS: u32 = 600_000;
/// How long a browser session lasts (seconds).
pub const SESSION_SECS: i64 = 12 * 3600;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SigninBegin {
    pub username: String,
    /// Instead of the name (a password change).
    #[serde(default)]
    pub user_id: Option<u64>,
    /// The client's address (throttling).
    pub address: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SigninChallenge {
    pub rounds: u32,
    /// Hex.
    pub salt: String,
    /// The built-in admin's password is still the `ADMIN_PASSWORD` secret: the entry compares
    /// with that (`env_ok`), and derives the key to store from then on (`upgrade`).
    pub env_password: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SigninFinish {
    pub username: String,
    #[serde(default)]
    pub user_id: Option<u64>,
    pub address: String,
    /// PBKDF2 of the password given, hex.
    pub key: String,
    /// The password given is the `ADMIN_PASSWORD` secret (only asked when `env_password`).
    #[serde(default)]
    pub env_ok: bool,
    /// A new stored hash at today's rounds (when the stored one has fewer, or is `env`).
    #[serde(default)]
    pub upgrade: Option<String>,
    /// A browser session (its token's hash) rather than the API token.
    #[serde(default)]
    pub session: bool,
    #[serde(default)]
    pub session_hash: Option<String>,
    /// A candidate API token (hash, sealed copy), kept if the user has none yet.
    #[serde(default)]
    pub api_hash: String,
    #[serde(default)]
    pub api_sealed: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SigninOk {
    pub user: labrelay_api::users::User,
    /// The user's API token, sealed by the entry.
    pub api_sealed: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct UserCreate {
    pub input: labrelay_api::users::UserInput,
    pub password_hash: String,
    pub api_hash: String,
    pub api_sealed: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct UserPassword {
    pub user_id: u64,
    pub password_hash: String,
    /// The old password's key, required unless the caller is an admin.
    #[serde(default)]
    pub old: Option<SigninFinish>,
    /// A new API token as well (CDRouter's `change_token`).
    #[serde(default)]
    pub api_hash: Option<String>,
    #[serde(default)]
    pub api_sealed: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct UserToken {
    pub user_id: u64,
    pub api_hash: String,
    pub api_sealed: String,
}

/// A user as the store answers an internal user call: the wire user and its sealed token.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UserOut {
    pub user: labrelay_api::users::User,
    #[serde(default)]
    pub api_sealed: Option<String>,
}

// --- a lab's life (see `crate::labs` and `store::lab_life`) -------------------------------

/// The directory: the labs there are now (`KnownLabs`), for the entry's routing.
pub const LABS_KNOWN: &str = "/internal/labs/known";
/// The directory to a lab's object: the lab was deleted. Unfinished jobs end as `stopped`,
/// every held request is answered and from then on its users get 404 and its agents 401.
pub const LAB_CLOSE: &str = "/internal/lab/close";
/// The directory to a lab's object: the lab was restored; it serves again.
pub const LAB_REOPEN: &str = "/internal/lab/reopen";
/// The directory to a deleted lab's object: remove a batch of its result files from R2,
/// and once none is left every record (`PurgeStep`).
pub const LAB_PURGE: &str = "/internal/lab/purge";

/// The live labs, for the entry (at most `MAX_LABS`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct KnownLabs {
    pub labs: Vec<LabRef>,
}

/// How far a purge got.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PurgeStep {
    /// R2 objects removed by this step.
    pub removed: u64,
    /// Nothing is left: the object's storage is empty.
    pub done: bool,
}
