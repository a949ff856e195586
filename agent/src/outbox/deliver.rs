//! Delivery: sends what an outbox holds to the server in order (start, log, test records,
//! files, finish), retrying what may pass, and closes it once all is in or the server
//! refuses the job.

use super::disk::{parse_file_line, Outbox, OutboxError};
use crate::client::{ClientError, LogOutcome, Uplink};
use crate::results::upload::{upload, upload_batch, UploadError, BATCHED_BELOW};
use crate::retry::{retry, Limit};
use labrelay_api::agents::LogAppend;
use labrelay_api::results::{
    TestRecord, TestsUpload, BATCH_FILES, FILE_PART_BYTES, MAX_TESTS_PER_UPLOAD,
};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::Notify;

/// Largest log append: the server takes 1 MiB bodies and JSON escaping can grow control
/// characters sixfold (`\u0000`), so 128 KiB always fits.
pub const CHUNK_BYTES: usize = 128 << 10;
/// After new log text, wait this long so one append carries many lines.
pub const BATCH: Duration = Duration::from_millis(250);

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
    let what = format!("job {}: report", outbox.job());
    loop {
        let pass = retry(&what, Limit::Forever, Stop::is_transient, || {
            one_pass(outbox, uplink, &changed)
        })
        .await;
        match pass {
            Ok(Pass::More) => {}
            Ok(Pass::Done) => {
                if let Err(e) = outbox.close("delivered") {
                    tracing::warn!(job = %outbox.job(), "{e}");
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
                tracing::warn!(job = %outbox.job(), "server refused the job's report: {why}");
                if let Err(e) = outbox.close(&format!("refused: {why}")) {
                    tracing::warn!(job = %outbox.job(), "{e}");
                }
                return Delivery::Refused(why);
            }
            Err(Stop::Auth(why)) => {
                tracing::error!(job = %outbox.job(), "{why}; the report stays in {} for the next start",
                    outbox.dir().display());
                return Delivery::Deferred(why);
            }
            // Never: `retry` keeps trying these.
            Err(e @ (Stop::Retry(_) | Stop::Disk(_))) => {
                tracing::warn!(job = %outbox.job(), "{e}");
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
            .finish(outbox.job(), finish)
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
                .tests(outbox.job(), &TestsUpload { tests })
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
    match upload(uplink, outbox.job(), &outbox.result_dir(), name).await {
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
            tracing::warn!(job = %outbox.job(), "file {name} not sent: {e}");
            Sent::Done
        }
    }
}

/// The files of one request, as (name, size) of their queued lines, in queue order.
type Unit = Vec<(Option<String>, u64)>;

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
    let taken: usize = units.iter().map(Vec::len).sum();
    let seen: &HashMap<String, u32> = changed;
    let sends = units
        .iter()
        .map(|unit| send_unit(outbox, uplink, unit, seen));
    let outcomes: Vec<(Option<String>, Sent)> = futures::future::join_all(sends)
        .await
        .into_iter()
        .flatten()
        .collect();
    let (blocked, stop) = settle(outcomes, changed);
    if !blocked {
        let end = lines.get(taken - 1).map_or(from, |(_, e)| *e);
        outbox.write_atomic("files.acked", end.to_string().as_bytes())?;
    }
    match stop {
        Some(s) => Err(s),
        None => Ok(lines.len() > taken || blocked),
    }
}

/// One request: a big file (or one that changed under an earlier try) alone, else a batch.
async fn send_unit<U: Uplink>(
    outbox: &Outbox,
    uplink: &U,
    unit: &Unit,
    changed: &HashMap<String, u32>,
) -> Vec<(Option<String>, Sent)> {
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
    match upload_batch(uplink, outbox.job(), &outbox.result_dir(), &names).await {
        Ok(each) => each
            .into_iter()
            .map(|(name, r)| {
                if let Err(e) = r {
                    tracing::warn!(job = %outbox.job(), "file {name} not sent: {e}");
                }
                (Some(name), Sent::Done)
            })
            .collect(),
        Err(UploadError::Client(e))
            if e.is_retryable() || e.is_auth() || matches!(e.status(), Some(404 | 409)) =>
        {
            vec![(None, Sent::Stop(classify("files", e)))]
        }
        // A batch refused whole (too big after the files grew, say): send them alone.
        Err(UploadError::Client(_)) => names.into_iter().map(|n| (Some(n), Sent::Again)).collect(),
        Err(e) => vec![(None, Sent::Stop(Stop::Refused(e.to_string())))],
    }
}

/// Whether anything held the queue back, and the first reason to stop; files to try again
/// are counted in `changed`.
fn settle(
    outcomes: Vec<(Option<String>, Sent)>,
    changed: &mut HashMap<String, u32>,
) -> (bool, Option<Stop>) {
    let mut stop = None;
    let mut blocked = false;
    for (name, sent) in outcomes {
        match sent {
            Sent::Done => {}
            Sent::Again => {
                if let Some(n) = name {
                    *changed.entry(n).or_default() += 1;
                }
                blocked = true;
            }
            Sent::Stop(s) => {
                blocked = true;
                stop.get_or_insert(s);
            }
        }
    }
    (blocked, stop)
}

/// The next requests to make: each a batch of small files or one big file, as
/// (name, size) of the queued lines, in queue order.
fn units_of(lines: &[(String, u64)], changed: &HashMap<String, u32>) -> Vec<Unit> {
    let mut units: Vec<Unit> = Vec::new();
    let mut batch: Unit = Vec::new();
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
            .start(outbox.job(), &req)
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
        let next = match uplink.log(outbox.job(), &append).await {
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
