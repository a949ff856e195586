//! The run itself: cdrouter-cli started (through the supervisor when the agent has one), its
//! output streamed into the job log with progress from verdict lines, the result directory
//! watched, heartbeats and the stop long-poll beside it, until it ends or is stopped.
//! Stopping it is [`ProcessGroup::wait_or_stop`]'s: this loop only says when.

use super::log::JobLog;
use super::{lease, Prepared, StopReason};
use crate::client::Client;
use crate::config::RunSettings;
use crate::process::{Ended, Output, ProcessGroup};
use crate::progress::Tally;
use crate::results::Watcher;
use labrelay_api::agents::Progress;
use labrelay_api::Id;
use std::future::Future;
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

/// What a run left for its outcome. The process group and the lease's tasks live on until
/// it is dropped: the heartbeats go on while the result directory is read to its end.
pub(super) struct Ran {
    /// How cdrouter-cli ended; `None`: the agent lost track of it.
    pub ended: Option<io::Result<Ended>>,
    /// Why it was stopped, when it was.
    pub stop: Option<StopReason>,
    pub watcher: Watcher,
    pub tally: Tally,
    _group: ProcessGroup,
    _lease: [AbortOnDrop<()>; 2],
}

/// Starts cdrouter-cli with `args` and follows it to its end; Err: why it could not start
/// (said in the job log already).
pub(super) async fn run(
    job: &Prepared,
    client: &Client,
    settings: &RunSettings,
    args: &[String],
    planned: Vec<String>,
    hard_stop: watch::Receiver<bool>,
    log: &mut JobLog,
) -> Result<Ran, String> {
    let id = job.claim.job.id;
    let (mut group, output) = spawn(job, settings, args, log).await?;
    tracing::info!(job = %id, pgid = group.pgid(), "cdrouter-cli started");
    let (line_tx, lines) = mpsc::channel::<String>(256);
    let readers = [
        AbortOnDrop(tokio::spawn(read_lines(output.stdout, line_tx.clone()))),
        AbortOnDrop(tokio::spawn(read_lines(output.stderr, line_tx))),
    ];
    let tally = Tally::new(planned.len() as u64);
    let watcher = Watcher::new(
        &job.outbox.result_dir(),
        job.outbox.clone(),
        planned,
        settings.results_max_bytes,
    );
    let (progress, progress_rx) = watch::channel(tally.progress());
    let (event_tx, events) = mpsc::channel(4);
    let lease_tasks = lease_tasks(job, client, settings, progress_rx, event_tx);
    // The run ends by itself, or is stopped once `stop_now` fires.
    let (stop_now, stop_rx) = oneshot::channel::<()>();
    let stop_fired = async move {
        if stop_rx.await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let process = group.wait_or_stop(stop_fired, settings.stop_grace);
    let mut session = Session {
        id,
        log: &mut *log,
        settings,
        wake: &job.wake,
        tally,
        progress,
        watcher,
        stop_now: Some(stop_now),
        stop: None,
    };
    let ended = session.follow(process, lines, events, hard_stop).await;
    drop(readers);
    let Session {
        tally,
        watcher,
        stop,
        ..
    } = session;
    Ok(Ran {
        ended,
        stop,
        watcher,
        tally,
        _group: group,
        _lease: lease_tasks,
    })
}

/// Starts cdrouter-cli, supervised when the agent has a supervisor; Err: why not, noted.
async fn spawn(
    job: &Prepared,
    settings: &RunSettings,
    args: &[String],
    log: &mut JobLog,
) -> Result<(ProcessGroup, Output), String> {
    let spawned = match &settings.supervisor {
        Some(supervisor) => {
            ProcessGroup::spawn_supervised(
                supervisor,
                settings.stop_grace,
                &settings.cdrouter_cli,
                args,
                &job.dir,
            )
            .await
        }
        None => ProcessGroup::spawn(&settings.cdrouter_cli, args, &job.dir),
    };
    spawned.map_err(|e| {
        let program = settings.cdrouter_cli.display();
        let reason = format!("cannot start {program}: {e}");
        log.note(&reason);
        reason
    })
}

/// The heartbeats and the stop long-poll, each reporting a stop or a lost lease to `events`.
fn lease_tasks(
    job: &Prepared,
    client: &Client,
    settings: &RunSettings,
    progress: watch::Receiver<Progress>,
    events: mpsc::Sender<StopReason>,
) -> [AbortOnDrop<()>; 2] {
    let id = job.claim.job.id;
    let heartbeats = lease::heartbeats(
        client.clone(),
        id,
        job.claim.lease.clone(),
        settings.heartbeat_secs,
        progress,
        events.clone(),
    );
    [
        AbortOnDrop(tokio::spawn(heartbeats)),
        AbortOnDrop(tokio::spawn(lease::stop_poll(client.clone(), id, events))),
    ]
}

/// A run under way: its log, its progress, and whether (and why) it is being stopped.
struct Session<'a> {
    id: Id,
    log: &'a mut JobLog,
    settings: &'a RunSettings,
    wake: &'a Notify,
    tally: Tally,
    progress: watch::Sender<Progress>,
    watcher: Watcher,
    /// Fires the stop of the process group; taken when it does.
    stop_now: Option<oneshot::Sender<()>>,
    stop: Option<StopReason>,
}

impl Session<'_> {
    /// Follows the run until the process ended and its output is read (or stayed open past
    /// [`DRAIN`]), stopping it when asked.
    async fn follow(
        &mut self,
        process: impl Future<Output = io::Result<Ended>>,
        mut lines: mpsc::Receiver<String>,
        mut events: mpsc::Receiver<StopReason>,
        mut hard_stop: watch::Receiver<bool>,
    ) -> Option<io::Result<Ended>> {
        tokio::pin!(process);
        let mut scan_tick = tokio::time::interval(SCAN_EVERY);
        scan_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let far = || Instant::now() + Duration::from_secs(365 * 24 * 3600);
        let mut ended: Option<io::Result<Ended>> = None;
        let (mut lines_open, mut events_open, mut hard_stop_open) = (true, true, true);
        let mut drain_until: Option<Instant> = None;
        let mut request = hard_stop.borrow().then_some(StopReason::Shutdown);
        loop {
            if let Some(reason) = request.take() {
                self.request(reason);
            }
            if ended.is_some() && !lines_open {
                break;
            }
            tokio::select! {
                line = lines.recv(), if lines_open => match line {
                    Some(line) => self.line(&line),
                    None => lines_open = false,
                },
                _ = scan_tick.tick() => self.scan(),
                end = &mut process, if ended.is_none() => {
                    ended = Some(end);
                    drain_until = Some(Instant::now() + DRAIN);
                }
                _ = tokio::time::sleep_until(drain_until.unwrap_or_else(far)), if drain_until.is_some() => {
                    tracing::warn!(job = %self.id, "cdrouter-cli's output stayed open after it exited");
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
        ended
    }

    /// A stop asked for: the first stops the run; a lost lease overrides any other reason.
    fn request(&mut self, reason: StopReason) {
        let lease_lost = matches!(reason, StopReason::LeaseLost(_));
        if self.stop.is_none() || lease_lost {
            if let Some(now) = self.stop_now.take() {
                self.log.note(&format!(
                    "stopping cdrouter-cli ({}): SIGTERM, SIGKILL after {} s",
                    reason.describe(),
                    self.settings.stop_grace.as_secs()
                ));
                let _ = now.send(());
            }
            self.stop = Some(reason);
        }
    }

    /// A line of output: into the log; a verdict moves the progress on.
    fn line(&mut self, line: &str) {
        self.log.output(line);
        if self.tally.observe(line).is_some() {
            self.progress.send_replace(self.tally.progress());
            // A test ended: its log and captures can go now.
            self.scan();
        }
    }

    /// One look at the result directory; queued files wake the delivery.
    fn scan(&mut self) {
        if let Err(e) = self.watcher.scan() {
            self.log.outbox_error(&e);
            tracing::warn!("result directory: {e}");
        }
        for note in self.watcher.notes() {
            self.log.note(&note);
        }
        self.wake.notify_one();
    }
}

/// Aborts a task when dropped.
pub(super) struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

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
