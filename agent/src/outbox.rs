//! A job's disk buffer: what the server has not acknowledged yet survives outages and agent
//! restarts, and is replayed in order (start, log, finish) when the server is back.
//!
//! `<work-dir>/job-<id>/outbox/` holds:
//! - `log`: the job's whole log as the agent saw it (UTF-8): the buffer itself;
//! - `acked`: the byte offset up to which the server has acknowledged `log`;
//! - `start.json`: a start the server has not acknowledged yet;
//! - `tests.jsonl`: test records, one JSON object a line (a later line for the same `seq`
//!   replaces an earlier one), and `tests.acked`: the byte offset sent so far;
//! - `files.jsonl`: files of the result directory (`../result/`) to upload, one
//!   `name<TAB>size<TAB>mtime` a line, and `files.acked`: the byte offset done so far;
//! - `finish.json`: the finish, written once the run is over (the log is then complete);
//! - `closed`: everything is delivered, or the server refused the job; why, in one line.
//!
//! Each delivery pass sends the start, the log, the test records, one queued file (so a big
//! file does not hold the live log back for long), and the finish once all else is in.
//!
//! Appends go from `acked` to the end of `log`, so a resend after a lost answer overlaps what
//! the server has (it keeps only the new tail) and a 409 gap answer moves `acked` back to
//! where the server's log ends: nothing is lost and nothing is doubled.
//!
//! What the outbox holds is capped ([`budget`]): past the cap new output is refused, with a
//! line in the log saying so.

pub mod budget;

pub use budget::{Budget, Grant, DEFAULT_OUTBOX_MAX_BYTES, MIN_OUTBOX_MAX_BYTES};

use crate::client::{ClientError, LogOutcome, Uplink};
use crate::results::upload::{upload, upload_batch, UploadError, BATCHED_BELOW};
use crate::retry::{retry, Limit};
use labrelay_api::agents::{Finish, LogAppend, StartRequest};
use labrelay_api::results::{
    TestRecord, TestsUpload, BATCH_FILES, FILE_PART_BYTES, MAX_TESTS_PER_UPLOAD,
};
use labrelay_api::Id;
use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::Notify;

/// The run's result directory (cdrouter-cli's `-logdir`), inside the job's directory.
pub const RESULT_DIR: &str = "result";

/// Largest log append: the server takes 1 MiB bodies and JSON escaping can grow control
/// characters sixfold (`\u0000`), so 128 KiB always fits.
pub const CHUNK_BYTES: usize = 128 << 10;
/// After new log text, wait this long so one append carries many lines.
pub const BATCH: Duration = Duration::from_millis(250);

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("outbox {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("outbox {path}: {message}")]
    Corrupt { path: PathBuf, message: String },
    #[error("the outbox is full (its cap is {cap} bytes, --outbox-max-bytes)")]
    Full { cap: u64 },
}

/// How a delivery ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Start, whole log and finish acknowledged.
    Delivered,
    /// The server refused the job (404/409/400...): nothing more will be sent.
    Refused(String),
    /// The server refused the token: kept on disk for the next agent start.
    Deferred(String),
    /// Closed from the agent's side (lease lost): nothing more will be sent.
    Abandoned,
}

/// The files whose growth the budget bounds (the others are a few small JSON documents).
const GROWING: [&str; 3] = ["log", "tests.jsonl", "files.jsonl"];

#[derive(Clone, Debug)]
pub struct Outbox {
    job: Id,
    dir: PathBuf,
    budget: Arc<Budget>,
}

impl Outbox {
    /// Creates (or reopens) the outbox of a job directory, capped at the default
    /// ([`Outbox::with_max_bytes`] sets another cap).
    pub fn create(job_dir: &Path, job: Id) -> Result<Outbox, OutboxError> {
        let dir = job_dir.join("outbox");
        fs::create_dir_all(&dir).map_err(|source| OutboxError::Io {
            path: dir.clone(),
            source,
        })?;
        let log = dir.join("log");
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .map_err(|source| OutboxError::Io { path: log, source })?;
        Ok(Outbox::at(job, dir))
    }

    /// The outbox of an existing `job-<id>` directory, when it has one.
    pub fn open(job_dir: &Path) -> Option<Outbox> {
        let name = job_dir.file_name()?.to_str()?;
        let id: u64 = name.strip_prefix("job-")?.parse().ok()?;
        let dir = job_dir.join("outbox");
        dir.join("log").is_file().then(|| Outbox::at(Id(id), dir))
    }

    fn at(job: Id, dir: PathBuf) -> Outbox {
        let used = held_bytes(&dir);
        Outbox {
            job,
            dir,
            budget: Arc::new(Budget::new(DEFAULT_OUTBOX_MAX_BYTES, used)),
        }
    }

    /// The same outbox capped at `max_bytes` (for every handle cloned from it from now on).
    pub fn with_max_bytes(self, max_bytes: u64) -> Outbox {
        let used = held_bytes(&self.dir);
        Outbox {
            budget: Arc::new(Budget::new(max_bytes, used)),
            ..self
        }
    }

    /// The cap and what is used of it.
    pub fn budget(&self) -> &Budget {
        &self.budget
    }

    pub fn job(&self) -> Id {
        self.job
    }

    pub fn log_path(&self) -> PathBuf {
        self.path("log")
    }

    /// Where cdrouter-cli writes the run's results (`-logdir`): `<job dir>/result`.
    pub fn result_dir(&self) -> PathBuf {
        self.dir
            .parent()
            .map_or_else(|| self.dir.join(RESULT_DIR), |d| d.join(RESULT_DIR))
    }

    /// Appends a test record to send.
    pub fn append_test(&self, record: &TestRecord) -> Result<(), OutboxError> {
        let line = serde_json::to_string(record).map_err(|e| OutboxError::Corrupt {
            path: self.path("tests.jsonl"),
            message: e.to_string(),
        })?;
        self.append("tests.jsonl", &line)
    }

    /// Queues a file of the result directory for upload, as it is now.
    pub fn queue_file(
        &self,
        name: &str,
        size: u64,
        modified: SystemTime,
    ) -> Result<(), OutboxError> {
        let nanos = modified
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        self.append("files.jsonl", &format!("{name}\t{size}\t{nanos}"))
    }

    /// Every file queued so far, with the size and time it had then (the last entry wins).
    pub fn queued_files(&self) -> Result<HashMap<String, (u64, SystemTime)>, OutboxError> {
        let text = self.read_text("files.jsonl")?;
        Ok(text
            .lines()
            .filter_map(parse_file_line)
            .map(|(name, size, nanos)| {
                let t = UNIX_EPOCH + Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX));
                (name.to_string(), (size, t))
            })
            .collect())
    }

    fn read_text(&self, name: &str) -> Result<String, OutboxError> {
        let path = self.path(name);
        match fs::read(&path) {
            Ok(b) => Ok(String::from_utf8_lossy(&b).into_owned()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(String::new()),
            Err(e) => Err(self.io(&path, e)),
        }
    }

    fn append(&self, name: &str, line: &str) -> Result<(), OutboxError> {
        if let Grant::Refused { .. } = self.budget.take(line.len() as u64 + 1) {
            return Err(OutboxError::Full {
                cap: self.budget.cap(),
            });
        }
        let path = self.path(name);
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| self.io(&path, e))?;
        f.write_all(format!("{line}\n").as_bytes())
            .map_err(|e| self.io(&path, e))
    }

    fn offset(&self, name: &str) -> Result<u64, OutboxError> {
        let text = self.read_text(name)?;
        if text.trim().is_empty() {
            return Ok(0);
        }
        text.trim().parse().map_err(|_| OutboxError::Corrupt {
            path: self.path(name),
            message: format!("not an offset: {text:?}"),
        })
    }

    /// Whole lines of `name` from byte `from`: (line, offset after it), at most `max`.
    fn lines_from(
        &self,
        name: &str,
        from: u64,
        max: usize,
    ) -> Result<Vec<(String, u64)>, OutboxError> {
        let text = self.read_text(name)?;
        let mut out = Vec::new();
        let mut at = usize::try_from(from).unwrap_or(usize::MAX).min(text.len());
        while out.len() < max {
            let Some(end) = text[at..].find('\n') else {
                break;
            };
            out.push((text[at..at + end].to_string(), (at + end + 1) as u64));
            at += end + 1;
        }
        Ok(out)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn io(&self, path: &Path, source: io::Error) -> OutboxError {
        OutboxError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// A handle that appends to the log.
    pub fn writer(&self) -> Result<LogWriter, OutboxError> {
        let path = self.log_path();
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|e| self.io(&path, e))?;
        Ok(LogWriter {
            file,
            path,
            budget: self.budget.clone(),
        })
    }

    pub fn log_len(&self) -> Result<u64, OutboxError> {
        let path = self.log_path();
        fs::metadata(&path)
            .map(|m| m.len())
            .map_err(|e| self.io(&path, e))
    }

    pub fn acked(&self) -> Result<u64, OutboxError> {
        let path = self.path("acked");
        match fs::read_to_string(&path) {
            Ok(text) => text.trim().parse().map_err(|_| OutboxError::Corrupt {
                path,
                message: format!("not an offset: {text:?}"),
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(0),
            Err(e) => Err(self.io(&path, e)),
        }
    }

    fn set_acked(&self, offset: u64) -> Result<(), OutboxError> {
        self.write_atomic("acked", offset.to_string().as_bytes())
    }

    /// Up to `max` bytes of log text from `offset`, cut at a character boundary; empty at the end.
    pub fn read_log(&self, offset: u64, max: usize) -> Result<String, OutboxError> {
        let path = self.log_path();
        let mut file = File::open(&path).map_err(|e| self.io(&path, e))?;
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| self.io(&path, e))?;
        let mut buf = Vec::with_capacity(max.min(64 << 10));
        file.take(max as u64)
            .read_to_end(&mut buf)
            .map_err(|e| self.io(&path, e))?;
        match String::from_utf8(buf) {
            Ok(s) => Ok(s),
            Err(e) => {
                // A character cut by `max`: stop before it, it goes with the next chunk.
                let valid = e.utf8_error().valid_up_to();
                let mut buf = e.into_bytes();
                buf.truncate(valid);
                String::from_utf8(buf).map_err(|e| OutboxError::Corrupt {
                    path,
                    message: e.to_string(),
                })
            }
        }
    }

    pub fn set_start(&self, req: &StartRequest) -> Result<(), OutboxError> {
        self.write_json("start.json", req)
    }

    pub fn pending_start(&self) -> Result<Option<StartRequest>, OutboxError> {
        self.read_json("start.json")
    }

    /// Records the end of the run; the log must be complete by now.
    pub fn set_finish(&self, finish: &Finish) -> Result<(), OutboxError> {
        self.write_json("finish.json", finish)
    }

    pub fn pending_finish(&self) -> Result<Option<Finish>, OutboxError> {
        self.read_json("finish.json")
    }

    /// Nothing more to send, and why.
    pub fn close(&self, note: &str) -> Result<(), OutboxError> {
        self.write_atomic("closed", format!("{note}\n").as_bytes())
    }

    pub fn is_closed(&self) -> bool {
        self.path("closed").exists()
    }

    fn remove(&self, name: &str) -> Result<(), OutboxError> {
        let path = self.path(name);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(self.io(&path, e)),
            _ => Ok(()),
        }
    }

    fn write_json<T: serde::Serialize>(&self, name: &str, value: &T) -> Result<(), OutboxError> {
        let text = serde_json::to_vec_pretty(value).map_err(|e| OutboxError::Corrupt {
            path: self.path(name),
            message: e.to_string(),
        })?;
        self.write_atomic(name, &text)
    }

    fn read_json<T: serde::de::DeserializeOwned>(
        &self,
        name: &str,
    ) -> Result<Option<T>, OutboxError> {
        let path = self.path(name);
        match fs::read(&path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes)
                    .map(Some)
                    .map_err(|e| OutboxError::Corrupt {
                        path,
                        message: e.to_string(),
                    })
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.io(&path, e)),
        }
    }

    /// Write to a temporary file, flush it to disk, rename over: a crash leaves the old
    /// content or the new, never half of one.
    pub(crate) fn write_atomic(&self, name: &str, bytes: &[u8]) -> Result<(), OutboxError> {
        let path = self.path(name);
        let tmp = self.path(&format!("{name}.tmp"));
        let write = || -> io::Result<()> {
            let mut f = File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            fs::rename(&tmp, &path)
        };
        write().map_err(|e| self.io(&path, e))
    }
}

/// The bytes the growing files of an outbox directory hold now.
fn held_bytes(dir: &Path) -> u64 {
    GROWING
        .iter()
        .filter_map(|name| fs::metadata(dir.join(name)).ok())
        .map(|m| m.len())
        .sum()
}

/// Appends lines to a job's log, within the outbox's cap.
pub struct LogWriter {
    file: File,
    path: PathBuf,
    budget: Arc<Budget>,
}

impl LogWriter {
    /// Appends a line of output; when the outbox is full the line is dropped and the answer
    /// says whether this is the first line dropped (the caller notes it in the log).
    pub fn append_line(&mut self, line: &str) -> Result<Grant, OutboxError> {
        let grant = self.budget.take(line.len() as u64 + 1);
        if grant == Grant::Granted {
            self.write(line)?;
        }
        Ok(grant)
    }

    /// Appends a line of the agent's own, from the reserve kept for them once output is
    /// refused; false when even that is spent (the line is dropped).
    pub fn append_note(&mut self, line: &str) -> Result<bool, OutboxError> {
        if !self.budget.take_note(line.len() as u64 + 1) {
            return Ok(false);
        }
        self.write(line).map(|()| true)
    }

    fn write(&mut self, line: &str) -> Result<(), OutboxError> {
        let mut buf = String::with_capacity(line.len() + 1);
        buf.push_str(line);
        buf.push('\n');
        self.file
            .write_all(buf.as_bytes())
            .map_err(|source| OutboxError::Io {
                path: self.path.clone(),
                source,
            })
    }
}

/// Why one pass of sending stopped.
enum Stop {
    /// Try again after a backoff.
    Retry(ClientError),
    /// The server refused: give up on this job.
    Refused(String),
    /// The token was refused.
    Auth(String),
    /// A full disk may clear up; a corrupt file will not, but retrying is harmless.
    Disk(OutboxError),
    /// Closed from the agent's side meanwhile.
    Closed,
}

impl Stop {
    fn is_transient(&self) -> bool {
        matches!(self, Stop::Retry(_) | Stop::Disk(_))
    }
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::Retry(e) => e.fmt(f),
            Stop::Refused(why) | Stop::Auth(why) => f.write_str(why),
            Stop::Disk(e) => e.fmt(f),
            Stop::Closed => f.write_str("the outbox was closed"),
        }
    }
}

impl From<OutboxError> for Stop {
    fn from(e: OutboxError) -> Stop {
        Stop::Disk(e)
    }
}

/// `name<TAB>size<TAB>mtime-nanos`.
fn parse_file_line(line: &str) -> Option<(&str, u64, u128)> {
    let mut parts = line.rsplitn(3, '\t');
    let nanos = parts.next()?.parse().ok()?;
    let size = parts.next()?.parse().ok()?;
    Some((parts.next()?, size, nanos))
}

fn classify(what: &str, e: ClientError) -> Stop {
    if e.is_retryable() {
        Stop::Retry(e)
    } else if e.is_auth() {
        Stop::Auth(format!("{what}: {e}"))
    } else {
        Stop::Refused(format!("{what}: {e}"))
    }
}

/// Sends everything pending until the finish is acknowledged (or the server refuses the job).
/// `wake` is notified after new log text and after the finish is written. Failures that may
/// pass (the server away, a full disk) are retried ([`retry`]) for as long as it takes.
pub async fn deliver<U: Uplink>(outbox: &Outbox, uplink: &U, wake: &Notify) -> Delivery {
    // Files that changed under an upload, by name: how many times (each is re-read).
    let changed: Mutex<HashMap<String, u32>> = Mutex::new(HashMap::new());
    let what = format!("job {}: report", outbox.job);
    loop {
        let pass = retry(&what, Limit::Forever, Stop::is_transient, || {
            one_pass(outbox, uplink, &changed)
        })
        .await;
        match pass {
            Ok(Pass::More) => {}
            Ok(Pass::Done) => {
                if let Err(e) = outbox.close("delivered") {
                    tracing::warn!(job = %outbox.job, "{e}");
                }
                return Delivery::Delivered;
            }
            Ok(Pass::Idle) => {
                wake.notified().await;
                if !matches!(outbox.pending_finish(), Ok(Some(_))) {
                    tokio::time::sleep(BATCH).await;
                }
            }
            Err(Stop::Closed) => return Delivery::Abandoned,
            Err(Stop::Refused(why)) => {
                tracing::warn!(job = %outbox.job, "server refused the job's report: {why}");
                if let Err(e) = outbox.close(&format!("refused: {why}")) {
                    tracing::warn!(job = %outbox.job, "{e}");
                }
                return Delivery::Refused(why);
            }
            Err(Stop::Auth(why)) => {
                tracing::error!(job = %outbox.job, "{why}; the report stays in {} for the next start",
                    outbox.dir.display());
                return Delivery::Deferred(why);
            }
            // Never: `retry` keeps trying these.
            Err(e @ (Stop::Retry(_) | Stop::Disk(_))) => {
                tracing::warn!(job = %outbox.job, "{e}");
            }
        }
    }
}

/// One pass: the start, the log, the test records, one queued file (so a big file does not
/// hold the live log back for long), and the finish once all else is in.
async fn one_pass<U: Uplink>(
    outbox: &Outbox,
    uplink: &U,
    changed: &Mutex<HashMap<String, u32>>,
) -> Result<Pass, Stop> {
    if outbox.is_closed() {
        return Err(Stop::Closed);
    }
    // Read before sending the log: once a finish exists, the log is complete.
    let finish = outbox.pending_finish()?;
    send_start(outbox, uplink).await?;
    send_log(outbox, uplink).await?;
    send_tests(outbox, uplink).await?;
    // Taken out for the pass (one pass at a time; no lock is held across an await).
    let lock = || changed.lock().unwrap_or_else(|p| p.into_inner());
    let mut files_changed = std::mem::take(&mut *lock());
    let more = send_one_file(outbox, uplink, &mut files_changed).await;
    *lock() = files_changed;
    if more? {
        // More files wait: go round again at once (the log goes first each time).
        return Ok(Pass::More);
    }
    if let Some(finish) = &finish {
        uplink
            .finish(outbox.job, finish)
            .await
            .map_err(|e| classify("finish", e))?;
        outbox.remove("finish.json")?;
    }
    Ok(if finish.is_some() {
        Pass::Done
    } else {
        Pass::Idle
    })
}

enum Pass {
    /// Everything is delivered.
    Done,
    /// Nothing more to send now: wait for news.
    Idle,
    /// More to send at once.
    More,
}

/// Sends the test records queued since the last acknowledged offset, in batches.
async fn send_tests<U: Uplink>(outbox: &Outbox, uplink: &U) -> Result<(), Stop> {
    loop {
        let from = outbox.offset("tests.acked")?;
        let lines = outbox.lines_from("tests.jsonl", from, MAX_TESTS_PER_UPLOAD)?;
        let Some((_, end)) = lines.last().cloned() else {
            return Ok(());
        };
        let tests: Vec<TestRecord> = lines
            .iter()
            .filter_map(|(l, _)| serde_json::from_str(l).ok())
            .collect();
        if !tests.is_empty() {
            uplink
                .tests(outbox.job, &TestsUpload { tests })
                .await
                .map_err(|e| classify("tests", e))?;
        }
        outbox.write_atomic("tests.acked", end.to_string().as_bytes())?;
    }
}

/// How often a file that keeps changing under its upload is tried before it is left out.
const CHANGED_TRIES: u32 = 3;

/// Files sent at once: a result directory is mostly small files, each a round trip or two
/// to the server; a few in flight keep the link busy (measured: `cargo xtask bench results`).
pub const FILES_IN_FLIGHT: usize = 4;

/// What became of one file's upload.
enum Sent {
    /// Stored, or left out for good (too big, a bad name, gone): move past it.
    Done,
    /// It changed while being read: try it again.
    Again,
    Stop(Stop),
}

async fn send_file<U: Uplink>(outbox: &Outbox, uplink: &U, name: &str, tries: u32) -> Sent {
    match upload(uplink, outbox.job, &outbox.result_dir(), name).await {
        Ok(_) => Sent::Done,
        Err(UploadError::Client(e)) if e.is_retryable() || e.is_auth() => {
            Sent::Stop(classify(&format!("file {name}"), e))
        }
        // The job is gone or no longer this agent's: nothing more will be taken.
        Err(UploadError::Client(
            e @ ClientError::Status {
                status: 404 | 409, ..
            },
        )) => Sent::Stop(classify(&format!("file {name}"), e)),
        Err(UploadError::Changed { .. }) if tries < CHANGED_TRIES => Sent::Again,
        Err(e) => {
            tracing::warn!(job = %outbox.job, "file {name} not sent: {e}");
            Sent::Done
        }
    }
}

/// Uploads the next queued files: small ones in batches, big ones alone, [`FILES_IN_FLIGHT`]
/// requests at once; the acknowledged offset moves past those done, in queue order. True
/// when more are queued.
async fn send_one_file<U: Uplink>(
    outbox: &Outbox,
    uplink: &U,
    changed: &mut HashMap<String, u32>,
) -> Result<bool, Stop> {
    let from = outbox.offset("files.acked")?;
    let lines = outbox.lines_from("files.jsonl", from, FILES_IN_FLIGHT * BATCH_FILES + 1)?;
    if lines.is_empty() {
        return Ok(false);
    }
    let units = units_of(&lines, changed);
    let taken: usize = units.iter().map(|u| u.len()).sum();
    let sends = units.iter().map(|unit| async {
        let names: Vec<String> = unit.iter().filter_map(|(n, _)| n.clone()).collect();
        let alone = names.first().is_some_and(|n| changed.contains_key(n));
        if unit.len() == 1 && (unit[0].1 >= BATCHED_BELOW || alone) {
            let name = names.first().cloned().unwrap_or_default();
            let tries = changed.get(&name).copied().unwrap_or(0);
            return vec![(
                Some(name.clone()),
                send_file(outbox, uplink, &name, tries).await,
            )];
        }
        match upload_batch(uplink, outbox.job, &outbox.result_dir(), &names).await {
            Ok(each) => each
                .into_iter()
                .map(|(name, r)| {
                    let sent = match r {
                        Ok(()) => Sent::Done,
                        Err(e) => {
                            tracing::warn!(job = %outbox.job, "file {name} not sent: {e}");
                            Sent::Done
                        }
                    };
                    (Some(name), sent)
                })
                .collect(),
            Err(UploadError::Client(e)) => {
                let stop =
                    if e.is_retryable() || e.is_auth() || matches!(e.status(), Some(404 | 409)) {
                        classify("files", e)
                    } else {
                        // A batch refused whole (too big after the files grew, say): send them
                        // alone.
                        return names.into_iter().map(|n| (Some(n), Sent::Again)).collect();
                    };
                vec![(None, Sent::Stop(stop))]
            }
            Err(e) => vec![(None, Sent::Stop(Stop::Refused(e.to_string())))],
        }
    });
    let outcomes: Vec<(Option<String>, Sent)> = futures::future::join_all(sends)
        .await
        .into_iter()
        .flatten()
        .collect();
    let mut stop = None;
    let mut blocked = false;
    let mut again = Vec::new();
    for (name, sent) in outcomes {
        match sent {
            Sent::Done => {}
            Sent::Again => {
                again.extend(name);
                blocked = true;
            }
            Sent::Stop(s) => {
                blocked = true;
                stop.get_or_insert(s);
            }
        }
    }
    for n in &again {
        *changed.entry(n.clone()).or_default() += 1;
    }
    if !blocked {
        let end = lines.get(taken - 1).map_or(from, |(_, e)| *e);
        outbox.write_atomic("files.acked", end.to_string().as_bytes())?;
    }
    match stop {
        Some(s) => Err(s),
        None => Ok(lines.len() > taken || blocked),
    }
}

/// The next requests to make: each a batch of small files or one big file, as
/// (name, size) of the queued lines, in queue order.
fn units_of(
    lines: &[(String, u64)],
    changed: &HashMap<String, u32>,
) -> Vec<Vec<(Option<String>, u64)>> {
    let mut units: Vec<Vec<(Option<String>, u64)>> = Vec::new();
    let mut batch: Vec<(Option<String>, u64)> = Vec::new();
    let mut batch_bytes = 0u64;
    for (line, _) in lines {
        if units.len() >= FILES_IN_FLIGHT {
            break;
        }
        let (name, size) = match parse_file_line(line) {
            Some((n, size, _)) => (Some(n.to_string()), size),
            None => (None, 0),
        };
        // A file that upset a batch before goes alone from now on.
        let alone = name.as_ref().is_some_and(|n| changed.contains_key(n));
        if size >= BATCHED_BELOW || alone {
            if !batch.is_empty() {
                units.push(std::mem::take(&mut batch));
                batch_bytes = 0;
                if units.len() >= FILES_IN_FLIGHT {
                    break;
                }
            }
            units.push(vec![(name, size)]);
            continue;
        }
        if batch.len() >= BATCH_FILES || batch_bytes + size > FILE_PART_BYTES {
            units.push(std::mem::take(&mut batch));
            batch_bytes = 0;
            if units.len() >= FILES_IN_FLIGHT {
                break;
            }
        }
        batch_bytes += size;
        batch.push((name, size));
    }
    if !batch.is_empty() && units.len() < FILES_IN_FLIGHT {
        units.push(batch);
    }
    units
}

async fn send_start<U: Uplink>(outbox: &Outbox, uplink: &U) -> Result<(), Stop> {
    if let Some(req) = outbox.pending_start()? {
        uplink
            .start(outbox.job, &req)
            .await
            .map_err(|e| classify("start", e))?;
        outbox.remove("start.json")?;
    }
    Ok(())
}

/// Appends from the acknowledged offset to the end of the log, chunk by chunk.
async fn send_log<U: Uplink>(outbox: &Outbox, uplink: &U) -> Result<(), Stop> {
    loop {
        let len = outbox.log_len()?;
        let offset = outbox.acked()?.min(len);
        if offset >= len {
            return Ok(());
        }
        let text = outbox.read_log(offset, CHUNK_BYTES)?;
        if text.is_empty() {
            // Only possible mid-character, i.e. the server's offset is not ours: skip the
            // byte rather than stall the job's report forever.
            outbox.set_acked(offset + 1)?;
            continue;
        }
        let sent = text.len() as u64;
        let append = LogAppend { offset, text };
        let next = match uplink.log(outbox.job, &append).await {
            // Past the cap the server acknowledges without moving: count it as taken.
            Ok(LogOutcome::Acked(next)) if next <= offset => offset + sent,
            Ok(LogOutcome::Acked(next)) => next,
            Ok(LogOutcome::Gap(next)) if next < offset => next,
            Ok(LogOutcome::Gap(next)) => {
                return Err(Stop::Refused(format!(
                    "log: the server asks for offset {next} after refusing offset {offset}"
                )))
            }
            Err(e) => return Err(classify("log", e)),
        };
        outbox.set_acked(next.min(len))?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use labrelay_api::agents::{FinishStatus, Summary};
    use std::sync::{Arc, Mutex};

    /// An in-memory server with the real log semantics, and a switch to fail calls.
    #[derive(Default)]
    struct FakeServer {
        state: Mutex<State>,
    }

    #[derive(Default)]
    struct State {
        log: String,
        starts: u32,
        finishes: Vec<FinishStatus>,
        /// Calls left to fail with a 503 before doing anything.
        down: u32,
        /// Appends left that are stored but answered with a 503 (the answer is lost).
        lose_acks: u32,
        appends: u32,
        tests: Vec<u64>,
        files: Vec<(String, Vec<u8>)>,
    }

    fn unavailable() -> ClientError {
        ClientError::Status {
            status: 503,
            message: "down".into(),
        }
    }

    impl FakeServer {
        fn state(&self) -> std::sync::MutexGuard<'_, State> {
            self.state.lock().unwrap_or_else(|e| e.into_inner())
        }

        fn outage(&self) -> Result<(), ClientError> {
            let mut s = self.state();
            if s.down > 0 {
                s.down -= 1;
                return Err(unavailable());
            }
            Ok(())
        }
    }

    impl Uplink for FakeServer {
        async fn start(&self, _job: Id, _req: &StartRequest) -> Result<(), ClientError> {
            self.outage()?;
            self.state().starts += 1;
            Ok(())
        }

        async fn log(&self, _job: Id, a: &LogAppend) -> Result<LogOutcome, ClientError> {
            self.outage()?;
            let mut s = self.state();
            s.appends += 1;
            let end = s.log.len() as u64;
            if a.offset > end {
                return Ok(LogOutcome::Gap(end));
            }
            let skip = (end - a.offset) as usize;
            if skip < a.text.len() {
                let tail = a.text[skip..].to_string();
                s.log.push_str(&tail);
            }
            if s.lose_acks > 0 {
                s.lose_acks -= 1;
                return Err(unavailable());
            }
            Ok(LogOutcome::Acked(s.log.len() as u64))
        }

        async fn finish(&self, _job: Id, f: &Finish) -> Result<(), ClientError> {
            self.outage()?;
            self.state().finishes.push(f.status);
            Ok(())
        }

        async fn tests(&self, _job: Id, t: &TestsUpload) -> Result<(), ClientError> {
            self.outage()?;
            self.state().tests.extend(t.tests.iter().map(|r| r.seq));
            Ok(())
        }

        async fn file_state(
            &self,
            _job: Id,
            name: &str,
            size: u64,
            sha256: &str,
        ) -> Result<labrelay_api::results::FileState, ClientError> {
            self.outage()?;
            Ok(labrelay_api::results::FileState {
                name: name.into(),
                size,
                sha256: sha256.into(),
                ..Default::default()
            })
        }

        async fn file_batch(
            &self,
            _job: Id,
            body: Vec<u8>,
        ) -> Result<Vec<labrelay_api::results::BatchOutcome>, ClientError> {
            self.outage()?;
            let nl = body.iter().position(|b| *b == b'\n').unwrap_or(0);
            let manifest: labrelay_api::results::BatchManifest =
                serde_json::from_slice(&body[..nl]).unwrap_or_default();
            let mut rest = &body[nl + 1..];
            let mut out = Vec::new();
            for f in manifest.files {
                let (bytes, tail) = rest.split_at(f.size as usize);
                rest = tail;
                self.state().files.push((f.name.clone(), bytes.to_vec()));
                out.push(labrelay_api::results::BatchOutcome {
                    name: f.name.clone(),
                    state: Some(labrelay_api::results::FileState {
                        name: f.name,
                        size: f.size,
                        sha256: f.sha256,
                        complete: true,
                        ..Default::default()
                    }),
                    error: None,
                    status: 200,
                });
            }
            Ok(out)
        }

        async fn file_part(
            &self,
            _job: Id,
            name: &str,
            size: u64,
            sha256: &str,
            _part: u32,
            _part_sha256: &str,
            bytes: Vec<u8>,
        ) -> Result<labrelay_api::results::FileState, ClientError> {
            self.outage()?;
            self.state().files.push((name.to_string(), bytes));
            Ok(labrelay_api::results::FileState {
                name: name.into(),
                size,
                sha256: sha256.into(),
                complete: true,
                ..Default::default()
            })
        }
    }

    fn finish() -> Finish {
        Finish {
            status: FinishStatus::Completed,
            exit_code: Some(0),
            summary: Summary::default(),
            reason: String::new(),
        }
    }

    fn lines(w: &mut LogWriter, from: usize, to: usize) {
        for i in from..to {
            w.append_line(&format!("line {i} ✓ {}", "x".repeat(i % 7)))
                .expect("append");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_outage_loses_nothing_and_doubles_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let job_dir = dir.path().join("job-7");
        let ob = Outbox::create(&job_dir, Id(7)).expect("outbox");
        let server = Arc::new(FakeServer::default());
        let wake = Arc::new(Notify::new());
        ob.set_start(&StartRequest {
            result_id: Some("20260102030405".into()),
        })
        .expect("start");
        let mut w = ob.writer().expect("writer");

        // Up: the first lines go through.
        lines(&mut w, 0, 10);
        server.state().lose_acks = 2; // two appends are stored, their answers lost
        let task = {
            let (ob, server, wake) = (ob.clone(), server.clone(), wake.clone());
            tokio::spawn(async move { deliver(&ob, &*server, &wake).await })
        };
        wake.notify_one();
        tokio::time::sleep(Duration::from_secs(5)).await;

        // Down for a while, as the run goes on and ends.
        server.state().down = 6;
        lines(&mut w, 10, 5000);
        wake.notify_one();
        tokio::time::sleep(Duration::from_secs(1)).await;
        lines(&mut w, 5000, 6000);
        ob.set_finish(&finish()).expect("finish");
        wake.notify_one();

        assert_eq!(task.await.expect("join"), Delivery::Delivered);
        let local = fs::read_to_string(ob.log_path()).expect("log");
        let s = server.state();
        assert_eq!(
            s.log, local,
            "the server's log is the agent's, byte for byte"
        );
        assert!(s.appends > 3, "several appends: {}", s.appends);
        assert_eq!(s.starts, 1);
        assert_eq!(s.finishes, [FinishStatus::Completed]);
        assert!(ob.is_closed());
        assert!(ob.pending_finish().expect("read").is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_restarted_agent_resumes_from_the_acknowledged_offset() {
        let dir = tempfile::tempdir().expect("tempdir");
        let job_dir = dir.path().join("job-9");
        let server = FakeServer::default();
        let wake = Notify::new();
        {
            let ob = Outbox::create(&job_dir, Id(9)).expect("outbox");
            let mut w = ob.writer().expect("writer");
            lines(&mut w, 0, 100);
            // The first pass sends everything, then the agent "dies" waiting for more.
            let first = tokio::time::timeout(Duration::from_secs(2), deliver(&ob, &server, &wake));
            assert!(first.await.is_err(), "still waiting for the finish");
            lines(&mut w, 100, 200);
            ob.set_finish(&finish()).expect("finish");
        }
        // The server lost its last append's worth; the new agent is told so by a 409.
        {
            let mut s = server.state();
            let keep = s.log.len() - 30;
            s.log.truncate(keep);
        }
        let ob = Outbox::open(&job_dir).expect("reopened");
        assert_eq!(ob.job(), Id(9));
        assert!(ob.acked().expect("acked") > 0);
        assert_eq!(deliver(&ob, &server, &wake).await, Delivery::Delivered);
        let local = fs::read_to_string(ob.log_path()).expect("log");
        assert_eq!(server.state().log, local);
        assert_eq!(server.state().finishes.len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn test_records_and_files_go_before_the_finish_once_each() {
        let dir = tempfile::tempdir().expect("tempdir");
        let job_dir = dir.path().join("job-5");
        let ob = Outbox::create(&job_dir, Id(5)).expect("outbox");
        fs::create_dir_all(ob.result_dir()).expect("result dir");
        fs::write(ob.result_dir().join("start.txt"), "hello\n").expect("file");
        fs::write(ob.result_dir().join("a b.cap"), [0u8, 1, 2]).expect("file");
        let server = FakeServer::default();
        for seq in [1, 2, 1] {
            ob.append_test(&TestRecord {
                seq,
                name: format!("t{seq}"),
                result: "pass".into(),
                ..TestRecord::default()
            })
            .expect("test");
        }
        let now = SystemTime::now();
        ob.queue_file("start.txt", 6, now).expect("queue");
        ob.queue_file("a b.cap", 3, now).expect("queue");
        ob.queue_file("gone.txt", 1, now).expect("queue");
        ob.set_finish(&finish()).expect("finish");
        server.state().down = 3;
        let wake = Notify::new();
        assert_eq!(deliver(&ob, &server, &wake).await, Delivery::Delivered);
        let s = server.state();
        assert_eq!(s.tests, [1, 2, 1]);
        let names: Vec<&str> = s.files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            ["start.txt", "a b.cap"],
            "a vanished file is skipped"
        );
        assert_eq!(s.files[1].1, [0u8, 1, 2]);
        assert_eq!(s.finishes.len(), 1);
        let queued = ob.queued_files().expect("queued");
        assert_eq!(queued.get("a b.cap").map(|q| q.0), Some(3));
    }

    #[test]
    fn chunks_end_on_character_boundaries() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ob = Outbox::create(&dir.path().join("job-1"), Id(1)).expect("outbox");
        ob.writer()
            .expect("writer")
            .append_line("aé")
            .expect("append");
        assert_eq!(ob.read_log(0, 2).expect("read"), "a");
        assert_eq!(ob.read_log(1, 2).expect("read"), "é");
        assert_eq!(ob.read_log(0, 100).expect("read"), "aé\n");
        assert_eq!(ob.read_log(4, 100).expect("read"), "");
    }

    #[test]
    fn the_outbox_never_grows_past_its_cap() {
        let dir = tempfile::tempdir().expect("tempdir");
        let job_dir = dir.path().join("job-2");
        let cap = budget::NOTE_RESERVE + 10_000;
        let ob = Outbox::create(&job_dir, Id(2))
            .expect("outbox")
            .with_max_bytes(cap);
        let mut w = ob.writer().expect("writer");
        let line = "x".repeat(99);
        let mut granted = 0;
        let mut first_refusals = 0;
        for _ in 0..1_000 {
            match w.append_line(&line).expect("append") {
                Grant::Granted => granted += 1,
                Grant::Refused { first: true } => {
                    first_refusals += 1;
                    assert!(w.append_note("[note] the outbox is full").expect("note"));
                }
                Grant::Refused { first: false } => {}
            }
        }
        assert_eq!(granted, 100, "output stops short of the reserve");
        assert_eq!(first_refusals, 1, "the first refusal is said once");
        // Records and queued files count too, and are refused the same way.
        assert!(matches!(
            ob.append_test(&TestRecord::default()),
            Err(OutboxError::Full { cap: c }) if c == cap
        ));
        assert!(ob.queue_file("a.txt", 1, SystemTime::now()).is_err());
        // Notes fill the reserve and no more.
        while w.append_note(&line).expect("note") {}
        let held = fs::metadata(ob.log_path()).expect("log").len();
        assert!(held <= cap, "{held} > {cap}");
        assert!(held > cap - 200, "the reserve was used: {held}");
        let log = fs::read_to_string(ob.log_path()).expect("log");
        assert_eq!(log.lines().filter(|l| l.starts_with("[note]")).count(), 1);

        // Reopened (an agent restart), it counts what it holds: still full.
        let again = Outbox::open(&job_dir)
            .expect("reopened")
            .with_max_bytes(cap);
        assert_eq!(again.budget().used(), held);
        assert!(again.append_test(&TestRecord::default()).is_err());
    }

    #[test]
    fn only_job_directories_have_outboxes() {
        let dir = tempfile::tempdir().expect("tempdir");
        Outbox::create(&dir.path().join("job-3"), Id(3)).expect("outbox");
        fs::create_dir_all(dir.path().join("job-3.prev-1/outbox")).expect("mkdir");
        assert!(Outbox::open(&dir.path().join("job-3")).is_some());
        assert!(Outbox::open(&dir.path().join("job-3.prev-1")).is_none());
        assert!(Outbox::open(&dir.path().join("job-4")).is_none());
    }
}
