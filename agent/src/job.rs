//! One job: its directory, the cdrouter-cli command line, the run (output streamed into the
//! job log, progress from `PASS:`/`FAIL:` lines, heartbeats, stop requests) and its finish.
//!
//! `<work-dir>/job-<id>/` holds `testlist.log` (one test per line), the config
//! (`<config_name>.conf`), cdrouter-cli's own output (`-logdir`) and the [`Outbox`].
//!
//! Testvars: `set-testvar` becomes `-testvar name=value` (`-testvar group.name=value` inside a
//! group; `main` is the top level). The other actions have no command-line form, so they
//! edit the config file the run reads: `delete-testvar` removes the testvar's line (CDRouter
//! then uses its default, as `-testvar name=` could not: that would set it empty),
//! `delete-group` removes the `testvar_group` block and `create-group` adds an empty one.

use crate::client::{Client, ClientError, Uplink};
use crate::config::RunSettings;
use crate::outbox::{Outbox, OutboxError};
use crate::process::{self, ProcessGroup};
use crate::progress::{self, Tally};
use crate::retry::Backoff;
use labrelay_api::agents::{Claim, Finish, FinishStatus, Heartbeat, Progress, StartRequest};
use labrelay_api::interfaces::{Testvar, TestvarAction};
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

/// `config_name` made safe as a file name, ending in `.conf`.
pub fn config_file_name(config_name: &str) -> String {
    let mut name: String = config_name
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    name = name.trim_start_matches('.').to_string();
    if let Some(stem) = name.strip_suffix(".conf") {
        name = stem.to_string();
    }
    if name.is_empty() {
        name = "config".into();
    }
    format!("{name}.conf")
}

fn is_top_level(group: &str) -> bool {
    group.is_empty() || group == "main"
}

/// The `-testvar` arguments of the job's `set-testvar` entries, in order.
pub fn testvar_args(testvars: &[Testvar]) -> Vec<String> {
    let mut args = Vec::new();
    for tv in testvars {
        if tv.action != TestvarAction::SetTestvar || tv.name.is_empty() {
            continue;
        }
        args.push("-testvar".to_string());
        if is_top_level(&tv.group) {
            args.push(format!("{}={}", tv.name, tv.value));
        } else {
            args.push(format!("{}.{}={}", tv.group, tv.name, tv.value));
        }
    }
    args
}

/// The config text with the job's delete-testvar, delete-group and create-group applied.
pub fn edit_config(config: &str, testvars: &[Testvar]) -> String {
    let mut text = config.to_string();
    for tv in testvars {
        let group = if is_top_level(&tv.group) {
            ""
        } else {
            tv.group.as_str()
        };
        match tv.action {
            TestvarAction::SetTestvar => {}
            TestvarAction::DeleteTestvar => text = remove_lines(&text, group, Some(&tv.name)),
            TestvarAction::DeleteGroup if !group.is_empty() => {
                text = remove_lines(&text, group, None)
            }
            TestvarAction::DeleteGroup => {}
            TestvarAction::CreateGroup => {
                if !group.is_empty() && !has_group(&text, group) {
                    if !text.is_empty() && !text.ends_with('\n') {
                        text.push('\n');
                    }
                    text.push_str(&format!("testvar_group {group} {{\n}}\n"));
                }
            }
        }
    }
    text
}

/// The group a `testvar_group <name> {` line opens.
fn opens_group(line: &str) -> Option<&str> {
    let mut words = line.split_whitespace();
    match (words.next(), words.next()) {
        (Some("testvar_group"), Some(name)) => Some(name.trim_end_matches('{')),
        _ => None,
    }
}

fn has_group(text: &str, group: &str) -> bool {
    text.lines().any(|l| opens_group(l.trim()) == Some(group))
}

/// Drops the lines of testvar `name` in `group` ("" = top level), or with `name` `None` the
/// whole `testvar_group` block.
fn remove_lines(text: &str, group: &str, name: Option<&str>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut current = String::new();
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        let drop = if let Some(g) = opens_group(trimmed) {
            current = g.to_string();
            name.is_none() && current == group
        } else if trimmed == "}" {
            let closing = name.is_none() && current == group;
            current.clear();
            closing
        } else if current == group {
            match name {
                None => true,
                Some(name) => {
                    let mut words = trimmed.split_whitespace();
                    words.next() == Some("testvar") && words.next() == Some(name)
                }
            }
        } else {
            false
        };
        if !drop {
            out.push_str(line);
        }
    }
    out
}

/// The full cdrouter-cli command line (without the program).
pub fn command_args(
    run: &RunSettings,
    claim: &Claim,
    dir: &Path,
    config_file: &Path,
) -> Result<Vec<String>, JobError> {
    let opts = &claim.job.options;
    let mut args = vec![
        "-execute".to_string(),
        format!("@{}", dir.join("testlist.log").display()),
        "-config".into(),
        config_file.display().to_string(),
        "-logdir".into(),
        dir.display().to_string(),
        "-testpath".into(),
        run.testpath.display().to_string(),
    ];
    args.extend(testvar_args(&opts.testvars));
    if !opts.begin_at.is_empty() {
        args.extend([run.flags.begin.clone(), opts.begin_at.clone()]);
    }
    if !opts.end_at.is_empty() {
        args.extend([run.flags.end.clone(), opts.end_at.clone()]);
    }
    for test in opts.skip_tests.iter().filter(|t| !t.is_empty()) {
        args.extend([run.flags.skip.clone(), test.clone()]);
    }
    for (what, extra) in [
        ("package extra_cli_args", &claim.package_extra_cli_args),
        ("job extra_cli_args", &opts.extra_cli_args),
    ] {
        let words = shell_words::split(extra).map_err(|e| JobError::CliArgs {
            what,
            message: format!("{e} in {extra:?}"),
        })?;
        args.extend(words);
    }
    Ok(args)
}

/// A CDRouter result id for now (UTC).
pub fn result_id_now() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
    Timestamp(nanos).compact()
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
    let written = std::fs::write(job.dir.join("testlist.log"), testlist).and_then(|()| {
        std::fs::write(
            &config_file,
            edit_config(&claim.config, &claim.job.options.testvars),
        )
    });
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
                    if tally.observe(&line).is_some() {
                        progress_tx.send_replace(tally.progress());
                    }
                    log.line(&line);
                }
                None => lines_open = false,
            },
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
    let summary = tally.summary();
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
    use crate::config::Flags;
    use labrelay_api::agents::Lease;
    use labrelay_api::jobs::{Job, JobOptions, JobStatus};

    fn claim(options: JobOptions, package_args: &str) -> Claim {
        Claim {
            job: Job {
                id: Id(42),
                active: true,
                status: JobStatus::Running,
                options,
                package_id: Id(1),
                package_name: "pkg".into(),
                device_id: Id(2),
                device_name: "dut".into(),
                config_id: Id(3),
                config_name: "cfg".into(),
                result_id: None,
                user_id: Id(1),
                created: Timestamp(0),
                updated: Timestamp(0),
                automatic: false,
                run_at: Timestamp(0),
                interfaces: vec![],
                interface_names: vec![],
                uses_wireless: false,
                uses_ics: false,
                ics_interface_name: String::new(),
            },
            testlist: vec!["a".into(), "b".into()],
            package_extra_cli_args: package_args.into(),
            config_name: "cfg".into(),
            config: String::new(),
            device: None,
            lease: Lease {
                expires_at: Timestamp(0),
                ttl_secs: 30,
                heartbeat_secs: 10,
            },
        }
    }

    fn tv(group: &str, name: &str, value: &str, action: TestvarAction) -> Testvar {
        Testvar {
            group: group.into(),
            name: name.into(),
            value: value.into(),
            action,
        }
    }

    #[test]
    fn the_command_line_has_files_testvars_flags_and_extra_args_in_order() {
        let options = JobOptions {
            begin_at: "b1".into(),
            end_at: "e1".into(),
            skip_tests: vec!["s1".into(), "s 2".into()],
            extra_cli_args: r#"-testvar 'wanMode=DHCP client' -trace "two words""#.into(),
            testvars: vec![
                tv("", "lanIp", "192.168.1.1", TestvarAction::SetTestvar),
                tv("main", "wanMode", "static", TestvarAction::SetTestvar),
                tv("lan2", "lanInterface", "eth3", TestvarAction::SetTestvar),
                tv("", "gone", "", TestvarAction::DeleteTestvar),
                tv("g", "", "", TestvarAction::CreateGroup),
            ],
            ..JobOptions::default()
        };
        let run = RunSettings {
            testpath: "/t".into(),
            flags: Flags {
                begin: "-begin".into(),
                end: "-end".into(),
                skip: "-skip".into(),
            },
            ..RunSettings::default()
        };
        let c = claim(options, "-noclean -testvar x=1");
        let args = command_args(
            &run,
            &c,
            Path::new("/w/job-42"),
            Path::new("/w/job-42/cfg.conf"),
        )
        .expect("args");
        assert_eq!(
            args,
            [
                "-execute",
                "@/w/job-42/testlist.log",
                "-config",
                "/w/job-42/cfg.conf",
                "-logdir",
                "/w/job-42",
                "-testpath",
                "/t",
                "-testvar",
                "lanIp=192.168.1.1",
                "-testvar",
                "wanMode=static",
                "-testvar",
                "lan2.lanInterface=eth3",
                "-begin",
                "b1",
                "-end",
                "e1",
                "-skip",
                "s1",
                "-skip",
                "s 2",
                "-noclean",
                "-testvar",
                "x=1",
                "-testvar",
                "wanMode=DHCP client",
                "-trace",
                "two words",
            ]
        );
    }

    #[test]
    fn empty_options_add_nothing() {
        let c = claim(JobOptions::default(), "  ");
        let args = command_args(
            &RunSettings::default(),
            &c,
            Path::new("/w"),
            Path::new("/w/c.conf"),
        )
        .expect("args");
        assert_eq!(args.len(), 8);
        assert_eq!(args[7], "/usr/cdrouter/tests");
    }

    #[test]
    fn unbalanced_quotes_in_extra_args_are_an_error() {
        let options = JobOptions {
            extra_cli_args: "-testvar 'open".into(),
            ..JobOptions::default()
        };
        let err = command_args(
            &RunSettings::default(),
            &claim(options, ""),
            Path::new("/w"),
            Path::new("/c"),
        )
        .expect_err("bad quoting");
        assert!(err.to_string().contains("job extra_cli_args"), "{err}");
        let err = command_args(
            &RunSettings::default(),
            &claim(JobOptions::default(), "\"x"),
            Path::new("/w"),
            Path::new("/c"),
        )
        .expect_err("bad quoting");
        assert!(err.to_string().contains("package extra_cli_args"), "{err}");
    }

    #[test]
    fn config_names_become_safe_file_names() {
        assert_eq!(config_file_name("lab 1/main"), "lab_1_main.conf");
        assert_eq!(config_file_name("basic.conf"), "basic.conf");
        assert_eq!(config_file_name("../../etc/passwd"), "_.._etc_passwd.conf");
        assert_eq!(config_file_name("..."), "config.conf");
        assert_eq!(config_file_name(""), "config.conf");
        assert_eq!(config_file_name("Ünï"), "_n_.conf");
    }

    #[test]
    fn delete_and_group_actions_edit_the_config() {
        let config = "testvar lanIp 1.1.1.1\n\
                      testvar wanMode DHCP\n\
                      testvar_group lan2 {\n  testvar lanIp 2.2.2.2\n  testvar wanMode x\n}\n\
                      testvar_group old {\n  testvar a b\n}\n";
        let edited = edit_config(
            config,
            &[
                tv("", "lanIp", "", TestvarAction::DeleteTestvar),
                tv("lan2", "wanMode", "", TestvarAction::DeleteTestvar),
                tv("old", "", "", TestvarAction::DeleteGroup),
                tv("new", "", "", TestvarAction::CreateGroup),
                tv("lan2", "", "", TestvarAction::CreateGroup),
                tv("", "ignored", "v", TestvarAction::SetTestvar),
            ],
        );
        assert_eq!(
            edited,
            "testvar wanMode DHCP\n\
             testvar_group lan2 {\n  testvar lanIp 2.2.2.2\n}\n\
             testvar_group new {\n}\n"
        );
    }

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
