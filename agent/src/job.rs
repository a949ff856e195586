//! One job: its directory, the cdrouter-cli command line, the run (output streamed into the
//! job log, progress from test verdict lines, heartbeats, stop requests, the result
//! directory watched and uploaded) and its finish.
//!
//! `<work-dir>/job-<id>/` holds `testlist.log` (one test per line), the config
//! (`<config_name>.conf`), cdrouter-cli's result directory (`result/`, its `-logdir`) and the
//! [`Outbox`].
//! The command line and the config edits for testvars are in [`command`].

mod command;

pub use command::{command_args, config_file_name, edit_config, testvar_args};

use crate::client::{Client, ClientError, Uplink};
use crate::config::RunSettings;
use crate::outbox::{Outbox, OutboxError};
use crate::process::{self, ProcessGroup};
use crate::progress::{self, Tally};
use crate::results::Watcher;
use crate::retry::Backoff;
use labrelay_api::agents::{Claim, Finish, FinishStatus, Heartbeat, Progress, StartRequest};
use labrelay_api::{Id, Timestamp};
use nix::sys::signal::Signal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::{mpsc, watch, Notify};
use tokio::time::Instant;

/// How long to keep trying the start call before running anyway with the start buffered:
/// half a lease, so a short blip does not leave the server without the result id.
const START_PATIENCE: Duration = Duration::from_secs(15);
/// After cdrouter-cli exits, how long its output pipes may stay open (a grandchild that
/// escaped the group holding them) before the log is closed without them.
const DRAIN: Duration = Duration::from_secs(5);
/// A line longer than this is cut: output without newlines must not grow memory.
const MAX_LINE: usize = 64 << 10;
/// Marks the agent's own lines in a job log.
const PREFIX: &str = "[labrelay-agent]";
/// How often the result directory is looked at while a test runs (a verdict line makes it
/// look at once): new tests show up within this.
const SCAN_EVERY: Duration = Duration::from_millis(500);

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("cannot prepare {path}: {source}")]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    #[error("invalid {what}: {message}")]
    CliArgs { what: &'static str, message: String },
}

/// A claimed job with its directory and outbox in place.
pub struct Prepared {
    pub claim: Claim,
    pub dir: PathBuf,
    pub outbox: Outbox,
    /// Wakes the outbox's delivery after new log text or the finish.
    pub wake: Arc<Notify>,
}

/// Why a run was stopped before it ended by itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// The server relayed a user's stop.
    User,
    /// The agent is shutting down.
    Shutdown,
    /// The server no longer holds the lease for this agent.
    LeaseLost(String),
}

/// How a job ended, for the agent's own log.
#[derive(Debug, PartialEq, Eq)]
pub enum JobEnd {
    Finished(FinishStatus),
    /// The server refused the start: nothing was run.
    Refused(String),
    LeaseLost(String),
}

pub fn job_dir(work_dir: &Path, job: Id) -> PathBuf {
    work_dir.join(format!("job-{job}"))
}

/// Creates `job-<id>/` and its outbox. A directory left by an earlier attempt at the same job
/// is moved aside to `job-<id>.prev-<unix time>`.
pub fn prepare(work_dir: &Path, claim: Claim) -> Result<Prepared, JobError> {
    let dir = job_dir(work_dir, claim.job.id);
    let dir_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| JobError::Dir { path, source }
    };
    if dir.exists() {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let aside = work_dir.join(format!("job-{}.prev-{secs}", claim.job.id));
        std::fs::rename(&dir, &aside).map_err(dir_err(&dir))?;
    }
    std::fs::create_dir_all(&dir).map_err(dir_err(&dir))?;
    let outbox = Outbox::create(&dir, claim.job.id)?;
    Ok(Prepared {
        claim,
        dir,
        outbox,
        wake: Arc::new(Notify::new()),
    })
}

/// A CDRouter result id for now (UTC).
pub fn result_id_now() -> String {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_millis() as f64);
    Timestamp::from_millis(millis).compact()
}

/// Runs a prepared job to its end. The outbox's delivery (run beside this by the caller)
/// reports the log and the finish.
pub async fn run(
    job: Prepared,
    client: Client,
    settings: RunSettings,
    hard_stop: watch::Receiver<bool>,
) -> JobEnd {
    let id = job.claim.job.id;
    let mut log = JobLog::new(&job);
    if let Err(why) = start(&client, &job.outbox, id).await {
        tracing::error!(job = %id, "the server refused the start: {why}");
        log.close(&format!("refused: start: {why}"));
        return JobEnd::Refused(why);
    }
    let outcome = execute(&job, &client, &settings, hard_stop, &mut log).await;
    let finish = match outcome {
        Outcome::LeaseLost(why) => {
            log.line(&format!(
                "{PREFIX} the server no longer holds this job's lease: {why}"
            ));
            log.close(&format!("lease lost: {why}"));
            return JobEnd::LeaseLost(why);
        }
        Outcome::Finish(f) => f,
    };
    log.line(&format!(
        "{PREFIX} finished: {}{}",
        serde_json::to_string(&finish.status).unwrap_or_default(),
        if finish.reason.is_empty() {
            String::new()
        } else {
            format!(" ({})", finish.reason)
        }
    ));
    let status = finish.status;
    if let Err(e) = job.outbox.set_finish(&finish) {
        tracing::error!(job = %id, "cannot buffer the finish ({e}); sending it directly");
        send_finish_directly(&client, id, &finish).await;
    }
    job.wake.notify_one();
    JobEnd::Finished(status)
}

/// Calls start, retrying for a while; when the server stays unreachable the start is left
/// in the outbox (sent before the log) and the job runs anyway. Err: the server refused.
async fn start(client: &Client, outbox: &Outbox, id: Id) -> Result<(), String> {
    let req = StartRequest {
        result_id: Some(result_id_now()),
    };
    let give_up_at = Instant::now() + START_PATIENCE;
    let mut backoff = Backoff::default();
    loop {
        match client.start(id, &req).await {
            Ok(()) => return Ok(()),
            Err(e) if !e.is_retryable() => return Err(e.to_string()),
            Err(e) if Instant::now() >= give_up_at => {
                tracing::warn!(job = %id, "{e}; running anyway, the start is buffered");
                return outbox.set_start(&req).map_err(|e| e.to_string());
            }
            Err(e) => {
                let delay = backoff.next_delay();
                tracing::warn!(job = %id, "start: {e}; retrying in {:.1} s", delay.as_secs_f64());
                tokio::time::sleep(delay).await;
            }
        }
    }
}

async fn send_finish_directly(client: &Client, id: Id, finish: &Finish) {
    let mut backoff = Backoff::default();
    for _ in 0..5 {
        match client.finish(id, finish).await {
            Ok(()) => return,
            Err(e) if e.is_retryable() => tokio::time::sleep(backoff.next_delay()).await,
            Err(e) => {
                tracing::error!(job = %id, "finish: {e}");
                return;
            }
        }
    }
}

/// The job log: each line goes to the outbox file and wakes the delivery.
struct JobLog {
    job: Id,
    outbox: Outbox,
    writer: Option<crate::outbox::LogWriter>,
    wake: Arc<Notify>,
    failed: bool,
}

impl JobLog {
    fn new(job: &Prepared) -> JobLog {
        let writer = job
            .outbox
            .writer()
            .map_err(|e| tracing::error!(job = %job.claim.job.id, "{e}"))
            .ok();
        JobLog {
            job: job.claim.job.id,
            outbox: job.outbox.clone(),
            failed: writer.is_none(),
            writer,
            wake: job.wake.clone(),
        }
    }

    fn line(&mut self, line: &str) {
        let Some(w) = &mut self.writer else { return };
        match w.append_line(line) {
            Ok(()) => self.wake.notify_one(),
            Err(e) if !self.failed => {
                self.failed = true;
                tracing::error!(job = %self.job, "{e}: the job log loses lines");
            }
            Err(_) => {}
        }
    }

    /// Nothing more will be reported for this job.
    fn close(&mut self, note: &str) {
        if let Err(e) = self.outbox.close(note) {
            tracing::warn!(job = %self.job, "{e}");
        }
        self.wake.notify_one();
    }
}

enum Outcome {
    Finish(Finish),
    LeaseLost(String),
}

fn error_finish(reason: String, summary: labrelay_api::agents::Summary) -> Outcome {
    Outcome::Finish(Finish {
        status: FinishStatus::Error,
        exit_code: None,
        summary,
        reason,
    })
}

/// Writes the job's files, runs cdrouter-cli and turns how it ended into a finish.
async fn execute(
    job: &Prepared,
    client: &Client,
    settings: &RunSettings,
    mut hard_stop: watch::Receiver<bool>,
    log: &mut JobLog,
) -> Outcome {
    let claim = &job.claim;
    let id = claim.job.id;
    let mut tally = Tally::new(progress::planned_total(&claim.testlist, &claim.job.options));
    let config_file = job.dir.join(config_file_name(&claim.config_name));
    let mut testlist = claim.testlist.join("\n");
    testlist.push('\n');
    let written = std::fs::write(job.dir.join("testlist.log"), testlist)
        .and_then(|()| {
            std::fs::write(
                &config_file,
                edit_config(&claim.config, &claim.job.options.testvars),
            )
        })
        .and_then(|()| std::fs::create_dir_all(job.outbox.result_dir()));
    if let Err(e) = written {
        let reason = format!("cannot write the job's files in {}: {e}", job.dir.display());
        log.line(&format!("{PREFIX} {reason}"));
        return error_finish(reason, tally.summary());
    }
    let args = match command_args(settings, claim, &job.dir, &config_file) {
        Ok(a) => a,
        Err(e) => {
            log.line(&format!("{PREFIX} {e}"));
            return error_finish(e.to_string(), tally.summary());
        }
    };
    let program = settings.cdrouter_cli.display().to_string();
    log.line(&format!(
        "{PREFIX} job {id}: {}",
        shell_words::join(std::iter::once(&program).chain(&args))
    ));
    let (mut group, output) = match ProcessGroup::spawn(&settings.cdrouter_cli, &args, &job.dir) {
        Ok(g) => g,
        Err(e) => {
            let reason = format!("cannot start {program}: {e}");
            log.line(&format!("{PREFIX} {reason}"));
            return error_finish(reason, tally.summary());
        }
    };
    tracing::info!(job = %id, pgid = group.pgid(), "cdrouter-cli started");

    let (line_tx, mut lines) = mpsc::channel::<String>(256);
    let readers = [
        AbortOnDrop(tokio::spawn(read_lines(output.stdout, line_tx.clone()))),
        AbortOnDrop(tokio::spawn(read_lines(output.stderr, line_tx))),
    ];
    let mut watcher = Watcher::new(
        &job.outbox.result_dir(),
        job.outbox.clone(),
        progress::planned(&claim.testlist, &claim.job.options),
        settings.results_max_bytes,
    );
    let mut scan_tick = tokio::time::interval(SCAN_EVERY);
    scan_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let (progress_tx, progress_rx) = watch::channel(tally.progress());
    let (event_tx, mut events) = mpsc::channel(4);
    let every = Duration::from_secs(claim.lease.heartbeat_secs.max(1));
    let _heartbeats = AbortOnDrop(tokio::spawn(heartbeats(
        client.clone(),
        id,
        every,
        progress_rx,
        event_tx,
    )));

    let far = || Instant::now() + Duration::from_secs(365 * 24 * 3600);
    let mut status = None;
    let mut lines_open = true;
    let mut events_open = true;
    let mut hard_stop_open = true;
    let mut stop: Option<StopReason> = None;
    let mut kill_at: Option<Instant> = None;
    let mut drain_until: Option<Instant> = None;
    if *hard_stop.borrow() {
        stop = Some(StopReason::Shutdown);
        group.signal(Signal::SIGTERM);
        kill_at = Some(Instant::now() + settings.stop_grace);
    }
    while status.is_none() || lines_open {
        let mut request = None;
        tokio::select! {
            line = lines.recv(), if lines_open => match line {
                Some(line) => {
                    log.line(&line);
                    if tally.observe(&line).is_some() {
                        progress_tx.send_replace(tally.progress());
                        // A test ended: its log and captures can go now.
                        scan(&mut watcher, log, &job.wake);
                    }
                }
                None => lines_open = false,
            },
            _ = scan_tick.tick() => scan(&mut watcher, log, &job.wake),
            st = group.wait(), if status.is_none() => {
                status = Some(st);
                drain_until = Some(Instant::now() + DRAIN);
            }
            _ = tokio::time::sleep_until(drain_until.unwrap_or_else(far)), if drain_until.is_some() => {
                tracing::warn!(job = %id, "cdrouter-cli's output stayed open after it exited");
                break;
            }
            _ = tokio::time::sleep_until(kill_at.unwrap_or_else(far)), if kill_at.is_some() && status.is_none() => {
                log.line(&format!("{PREFIX} still running after {} s: SIGKILL", settings.stop_grace.as_secs()));
                group.signal(Signal::SIGKILL);
                kill_at = None;
            }
            ev = events.recv(), if events_open && status.is_none() => match ev {
                Some(reason) => request = Some(reason),
                None => events_open = false,
            },
            changed = hard_stop.changed(), if hard_stop_open && status.is_none() => match changed {
                Ok(()) if *hard_stop.borrow() => request = Some(StopReason::Shutdown),
                Ok(()) => {}
                Err(_) => hard_stop_open = false,
            },
        }
        if let Some(reason) = request {
            let lease_lost = matches!(reason, StopReason::LeaseLost(_));
            if stop.is_none() || lease_lost {
                if stop.is_none() {
                    log.line(&format!(
                        "{PREFIX} stopping cdrouter-cli ({}): SIGTERM, SIGKILL after {} s",
                        describe_stop(&reason),
                        settings.stop_grace.as_secs()
                    ));
                    group.signal(Signal::SIGTERM);
                    kill_at = Some(Instant::now() + settings.stop_grace);
                }
                stop = Some(reason);
            }
        }
    }
    drop(readers);
    // The synopsis in final.txt is the authority on verdicts; without one (a run cut
    // short), the verdicts seen so far.
    let summary = match watcher.finish() {
        Ok(s) => s,
        Err(e) => {
            log.line(&format!(
                "{PREFIX} the result directory could not be read whole: {e}"
            ));
            tally.summary()
        }
    };
    for note in watcher.notes() {
        log.line(&format!("{PREFIX} {note}"));
    }
    job.wake.notify_one();
    let status = match status {
        Some(Ok(st)) => Ok(st),
        Some(Err(e)) => Err(e.to_string()),
        None => Err("lost track of cdrouter-cli".to_string()),
    };
    if let Ok(st) = &status {
        log.line(&format!(
            "{PREFIX} cdrouter-cli {}: {} tests, {} passed, {} failed",
            process::describe(st),
            summary.tests,
            summary.passed,
            summary.failed
        ));
    }
    let exit_code = status.as_ref().ok().and_then(|s| s.code());
    match (stop, status) {
        (Some(StopReason::LeaseLost(why)), _) => Outcome::LeaseLost(why),
        (Some(reason), _) => Outcome::Finish(Finish {
            status: FinishStatus::Stopped,
            exit_code,
            summary,
            reason: describe_stop(&reason),
        }),
        (None, Ok(st)) if matches!(st.code(), Some(0 | 1)) => Outcome::Finish(Finish {
            status: FinishStatus::Completed,
            exit_code,
            summary,
            reason: String::new(),
        }),
        (None, Ok(st)) => Outcome::Finish(Finish {
            status: FinishStatus::Error,
            exit_code,
            summary,
            reason: format!("cdrouter-cli {}", process::describe(&st)),
        }),
        (None, Err(e)) => error_finish(format!("waiting for cdrouter-cli failed: {e}"), summary),
    }
}

/// One look at the result directory; queued files wake the delivery.
fn scan(watcher: &mut Watcher, log: &mut JobLog, wake: &Notify) {
    if let Err(e) = watcher.scan() {
        tracing::warn!("result directory: {e}");
    }
    for note in watcher.notes() {
        log.line(&format!("{PREFIX} {note}"));
    }
    wake.notify_one();
}

fn describe_stop(reason: &StopReason) -> String {
    match reason {
        StopReason::User => "stopped by a user".into(),
        StopReason::Shutdown => "the agent was shut down".into(),
        StopReason::LeaseLost(why) => format!("lease lost: {why}"),
    }
}

/// Aborts a task when dropped.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Splits a stream into lines (lossy UTF-8, without the line end); a line longer than
/// `MAX_LINE` is cut in pieces.
async fn read_lines<R: AsyncRead + Unpin>(mut reader: R, tx: mpsc::Sender<String>) {
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 8 << 10];
    loop {
        let n = match reader.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        let mut start = 0;
        while let Some(pos) = buf[start..].iter().position(|&b| b == b'\n') {
            let end = start + pos;
            if tx.send(line_text(&buf[start..end])).await.is_err() {
                return;
            }
            start = end + 1;
        }
        buf.drain(..start);
        if buf.len() >= MAX_LINE {
            let rest = std::mem::take(&mut buf);
            if tx.send(line_text(&rest)).await.is_err() {
                return;
            }
        }
    }
    if !buf.is_empty() {
        let _ = tx.send(line_text(&buf)).await;
    }
}

fn line_text(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.strip_suffix('\r').unwrap_or(&text).to_string()
}

/// Renews the lease with the progress every `every` (as the server asks); reports a stop
/// request or a lost lease. An unreachable server does not stop the run.
async fn heartbeats(
    client: Client,
    job: Id,
    mut every: Duration,
    progress: watch::Receiver<Progress>,
    events: mpsc::Sender<StopReason>,
) {
    let mut stop_sent = false;
    loop {
        tokio::time::sleep(every).await;
        let hb = Heartbeat {
            progress: Some(progress.borrow().clone()),
        };
        match client.heartbeat(job, &hb).await {
            Ok(reply) => {
                every = Duration::from_secs(reply.lease.heartbeat_secs.max(1));
                if reply.stop && !stop_sent {
                    stop_sent = true;
                    tracing::info!(job = %job, "the server asks to stop the job");
                    let _ = events.send(StopReason::User).await;
                }
            }
            Err(
                e @ ClientError::Status {
                    status: 404 | 409, ..
                },
            ) => {
                tracing::warn!(job = %job, "lease lost: {e}");
                let _ = events.send(StopReason::LeaseLost(e.to_string())).await;
                return;
            }
            Err(e) => tracing::warn!(job = %job, "heartbeat: {e}; the run goes on"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_ids_look_like_cdrouters() {
        let id = result_id_now();
        assert_eq!(id.len(), 14);
        assert!(
            id.starts_with("20") && id.chars().all(|c| c.is_ascii_digit()),
            "{id}"
        );
    }

    #[tokio::test]
    async fn lines_are_split_decoded_and_capped() {
        let input: &[u8] = b"one\r\ntwo \xff\n\nlast";
        let (tx, mut rx) = mpsc::channel(16);
        read_lines(input, tx).await;
        let mut got = Vec::new();
        while let Some(l) = rx.recv().await {
            got.push(l);
        }
        assert_eq!(got, ["one", "two \u{fffd}", "", "last"]);

        let long = vec![b'x'; MAX_LINE * 2 + 10];
        let (tx, mut rx) = mpsc::channel(16);
        read_lines(&long[..], tx).await;
        let mut total = 0;
        while let Some(l) = rx.recv().await {
            assert!(l.len() <= MAX_LINE + (8 << 10));
            total += l.len();
        }
        assert_eq!(total, long.len());
    }
}
