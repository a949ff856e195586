//! One run of cdrouter-cli: the job's files written (after [`checks`](super::checks)), the
//! process started (through the supervisor when the agent has one), its output streamed into
//! the job log with progress from verdict lines, the result directory watched, heartbeats and
//! the stop long-poll beside it, and how it ended turned into a finish. Stopping it is
//! [`ProcessGroup::wait_or_stop`]'s: this loop only says when.

use super::log::JobLog;
use super::{checks, command, lease, Prepared, StopReason};
use crate::client::Client;
use crate::config::RunSettings;
use crate::outbox::OutboxError;
use crate::process::{self, Ended, ProcessGroup};
use crate::progress::Tally;
use crate::results::Watcher;
use labrelay_api::agents::{Finish, FinishStatus, Summary};
use std::io;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::{mpsc, oneshot, watch, Notify};
use tokio::time::Instant;

/// After cdrouter-cli exits, how long its output pipes may stay open (a grandchild that
/// escaped the group holding them) before the log is closed without them.
const DRAIN: Duration = Duration::from_secs(5);
/// A line longer than this is cut: output without newlines must not grow memory.
const MAX_LINE: usize = 64 << 10;
/// How often the result directory is looked at while a test runs (a verdict line makes it
/// look at once): new tests show up within this.
const SCAN_EVERY: Duration = Duration::from_millis(500);

pub enum Outcome {
    Finish(Finish),
    LeaseLost(String),
}

fn error_finish(reason: String, summary: Summary) -> Outcome {
    Outcome::Finish(Finish {
        status: FinishStatus::Error,
        exit_code: None,
        summary,
        reason,
    })
}

/// Writes the job's files, runs cdrouter-cli and turns how it ended into a finish.
pub async fn execute(
    job: &Prepared,
    client: &Client,
    settings: &RunSettings,
    mut hard_stop: watch::Receiver<bool>,
    log: &mut JobLog,
) -> Outcome {
    let claim = &job.claim;
    let id = claim.job.id;
    let planned: Vec<String> = claim
        .job
        .options
        .planned(&claim.testlist)
        .into_iter()
        .cloned()
        .collect();
    let mut tally = Tally::new(planned.len() as u64);
    let config_text = command::edit_config(&claim.config, &claim.job.options.testvars);
    let checked =
        checks::check_claim(claim).and_then(|()| checks::check_written_config(&config_text));
    if let Err(why) = checked {
        let reason = format!("the agent refused the job: {why}");
        tracing::error!(job = %id, "{reason}");
        log.note(&reason);
        return error_finish(reason, tally.summary());
    }
    let config_file = job.dir.join(command::config_file_name(&claim.config_name));
    let mut testlist = claim.testlist.join("\n");
    testlist.push('\n');
    let written = std::fs::write(job.dir.join("testlist.log"), testlist)
        .and_then(|()| std::fs::write(&config_file, &config_text))
        .and_then(|()| std::fs::create_dir_all(job.outbox.result_dir()));
    if let Err(e) = written {
        let reason = format!("cannot write the job's files in {}: {e}", job.dir.display());
        log.note(&reason);
        return error_finish(reason, tally.summary());
    }
    let args = match command::command_args(settings, claim, &job.dir, &config_file) {
        Ok(a) => a,
        Err(e) => {
            log.note(&e.to_string());
            return error_finish(e.to_string(), tally.summary());
        }
    };
    let program = settings.cdrouter_cli.display().to_string();
    log.note(&format!(
        "job {id}: {}",
        shell_words::join(std::iter::once(&program).chain(&args))
    ));
    let spawned = match &settings.supervisor {
        Some(supervisor) => {
            ProcessGroup::spawn_supervised(
                supervisor,
                settings.stop_grace,
                &settings.cdrouter_cli,
                &args,
                &job.dir,
            )
            .await
        }
        None => ProcessGroup::spawn(&settings.cdrouter_cli, &args, &job.dir),
    };
    let (mut group, output) = match spawned {
        Ok(g) => g,
        Err(e) => {
            let reason = format!("cannot start {program}: {e}");
            log.note(&reason);
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
        planned,
        settings.results_max_bytes,
    );
    let mut scan_tick = tokio::time::interval(SCAN_EVERY);
    scan_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let (progress_tx, progress_rx) = watch::channel(tally.progress());
    let (event_tx, mut events) = mpsc::channel(4);
    let _heartbeats = AbortOnDrop(tokio::spawn(lease::heartbeats(
        client.clone(),
        id,
        claim.lease.clone(),
        settings.heartbeat_secs,
        progress_rx,
        event_tx.clone(),
    )));
    let _stop_poll = AbortOnDrop(tokio::spawn(lease::stop_poll(client.clone(), id, event_tx)));

    // The run ends by itself, or is stopped once `stop_now` fires.
    let (stop_now, stop_rx) = oneshot::channel::<()>();
    let mut stop_now = Some(stop_now);
    let stop_fired = async move {
        if stop_rx.await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let process = group.wait_or_stop(stop_fired, settings.stop_grace);
    tokio::pin!(process);

    let far = || Instant::now() + Duration::from_secs(365 * 24 * 3600);
    let mut ended: Option<io::Result<Ended>> = None;
    let mut lines_open = true;
    let mut events_open = true;
    let mut hard_stop_open = true;
    let mut stop: Option<StopReason> = None;
    let mut drain_until: Option<Instant> = None;
    let mut request = hard_stop.borrow().then_some(StopReason::Shutdown);
    loop {
        if let Some(reason) = request.take() {
            let lease_lost = matches!(reason, StopReason::LeaseLost(_));
            if stop.is_none() || lease_lost {
                if let Some(now) = stop_now.take() {
                    log.note(&format!(
                        "stopping cdrouter-cli ({}): SIGTERM, SIGKILL after {} s",
                        describe_stop(&reason),
                        settings.stop_grace.as_secs()
                    ));
                    let _ = now.send(());
                }
                stop = Some(reason);
            }
        }
        if ended.is_some() && !lines_open {
            break;
        }
        tokio::select! {
            line = lines.recv(), if lines_open => match line {
                Some(line) => {
                    log.output(&line);
                    if tally.observe(&line).is_some() {
                        progress_tx.send_replace(tally.progress());
                        // A test ended: its log and captures can go now.
                        scan(&mut watcher, log, &job.wake);
                    }
                }
                None => lines_open = false,
            },
            _ = scan_tick.tick() => scan(&mut watcher, log, &job.wake),
            end = &mut process, if ended.is_none() => {
                ended = Some(end);
                drain_until = Some(Instant::now() + DRAIN);
            }
            _ = tokio::time::sleep_until(drain_until.unwrap_or_else(far)), if drain_until.is_some() => {
                tracing::warn!(job = %id, "cdrouter-cli's output stayed open after it exited");
                break;
            }
            ev = events.recv(), if events_open && ended.is_none() => match ev {
                Some(reason) => request = Some(reason),
                None => events_open = false,
            },
            changed = hard_stop.changed(), if hard_stop_open && ended.is_none() => match changed {
                Ok(()) if *hard_stop.borrow() => request = Some(StopReason::Shutdown),
                Ok(()) => {}
                Err(_) => hard_stop_open = false,
            },
        }
    }
    drop(readers);
    if let Some(Ok(Ended { killed: true, .. })) = &ended {
        log.note(&format!(
            "still running after {} s: SIGKILL",
            settings.stop_grace.as_secs()
        ));
    }
    // The synopsis in final.txt is the authority on verdicts; without one (a run cut
    // short), the verdicts seen so far.
    let summary = match watcher.finish() {
        Ok(s) => s,
        Err(e) => {
            note_outbox_error(log, &e);
            log.note(&format!(
                "the result directory could not be read whole: {e}"
            ));
            tally.summary()
        }
    };
    for note in watcher.notes() {
        log.note(&note);
    }
    job.wake.notify_one();
    let status = match ended {
        Some(Ok(e)) => Ok(e.status),
        Some(Err(e)) => Err(e.to_string()),
        None => Err("lost track of cdrouter-cli".to_string()),
    };
    if let Ok(st) = &status {
        log.note(&format!(
            "cdrouter-cli {}: {} tests, {} passed, {} failed",
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
        note_outbox_error(log, &e);
        tracing::warn!("result directory: {e}");
    }
    for note in watcher.notes() {
        log.note(&note);
    }
    wake.notify_one();
}

/// A full outbox is said once in the job log.
fn note_outbox_error(log: &mut JobLog, e: &OutboxError) {
    if matches!(e, OutboxError::Full { .. }) {
        log.outbox_full();
    }
}

pub fn describe_stop(reason: &StopReason) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

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
