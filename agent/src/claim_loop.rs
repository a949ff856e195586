//! The agent loop: replay what earlier runs left in the outboxes, long-poll claims with the
//! free capacity, start each job beside its outbox delivery, and shut down on signals.
//!
//! Claims: a 204 is re-issued at once (the server held it already); other failures back off
//! with full jitter ([`retry`]), reset by any answer; 401/403 end the agent.
//!
//! Runs are started through the agent's own binary as their supervisor
//! ([`crate::supervise`]), found once at start ([`process::own_binary`]).
//!
//! Signals (SIGTERM or SIGINT): the first stops claiming and lets running jobs finish; the
//! second stops them (SIGTERM to the group, grace, SIGKILL) and reports them `stopped`. Then
//! the outboxes get [`FLUSH_ON_EXIT`] to deliver; what is left stays on disk for the next
//! start. A third signal skips that wait.

use crate::client::{Client, ClientError};
use crate::config::Settings;
use crate::job::{self, JobEnd};
use crate::outbox::{self, Delivery, Outbox};
use crate::process;
use crate::progress::Tally;
use crate::results::Watcher;
use crate::retention;
use crate::retry::{retry, Limit};
use labrelay_api::agents::{Claim, ClaimRequest, Finish, FinishStatus};
use labrelay_api::Id;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::watch;
use tokio::task::{AbortHandle, JoinSet};

/// How long a shutting-down agent keeps delivering job reports: enough for a reachable
/// server by far, short enough for systemd's default 90 s stop timeout.
pub const FLUSH_ON_EXIT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("cannot use the work directory {path}: {source}")]
    WorkDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the server refused the agent's token ({0}): check --token / LABRELAY_TOKEN")]
    Auth(ClientError),
    #[error("cannot set up the HTTP client: {0}")]
    Client(ClientError),
    #[error("cannot listen for signals: {0}")]
    Signals(std::io::Error),
}

struct Agent {
    settings: Settings,
    client: Client,
    jobs: JoinSet<(Id, JobEnd)>,
    uplinks: JoinSet<(Id, Delivery)>,
    /// Deliveries replayed from an earlier agent run, by job: a new claim of the same job
    /// supersedes them.
    replays: HashMap<Id, AbortHandle>,
    hard_stop: watch::Sender<bool>,
}

pub async fn run(mut settings: Settings) -> Result<(), AgentError> {
    settings.run.supervisor = process::own_binary();
    if settings.run.supervisor.is_none() {
        tracing::warn!(
            "cannot find the agent's own binary (no /proc, no path to it): runs start \
             without their supervisor, and what cdrouter-cli starts may outlive an agent \
             killed with SIGKILL"
        );
    }
    std::fs::create_dir_all(&settings.work_dir).map_err(|source| AgentError::WorkDir {
        path: settings.work_dir.clone(),
        source,
    })?;
    let client = Client::trusting(&settings.server, &settings.token, &settings.trust)
        .map_err(AgentError::Client)?;
    let mut signals = shutdown_requests().map_err(AgentError::Signals)?;
    let mut agent = Agent {
        client,
        jobs: JoinSet::new(),
        uplinks: JoinSet::new(),
        replays: HashMap::new(),
        hard_stop: watch::channel(false).0,
        settings,
    };
    tracing::info!(
        server = %agent.settings.server,
        interfaces = %agent.settings.interfaces.join(","),
        concurrency = agent.settings.concurrency,
        "labrelay-agent {} started",
        env!("CARGO_PKG_VERSION")
    );
    retention::sweep_in_background(&agent.settings.work_dir, agent.settings.retention);
    agent.replay_outboxes();
    let fatal = agent.claim_loop(&mut signals).await;
    agent.drain(&mut signals, fatal.is_some()).await;
    agent.flush(&mut signals).await;
    match fatal {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Counts SIGTERM and SIGINT.
fn shutdown_requests() -> std::io::Result<watch::Receiver<u32>> {
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let (tx, rx) = watch::channel(0u32);
    tokio::spawn(async move {
        loop {
            tokio::select! {
                Some(()) = term.recv() => {}
                Some(()) = int.recv() => {}
                else => break,
            }
            tx.send_modify(|n| *n += 1);
        }
    });
    Ok(rx)
}

impl Agent {
    /// Claims until a signal (None) or a refused token (Some).
    async fn claim_loop(&mut self, signals: &mut watch::Receiver<u32>) -> Option<AgentError> {
        loop {
            self.reap();
            if *signals.borrow_and_update() > 0 {
                return None;
            }
            let running = u32::try_from(self.jobs.len()).unwrap_or(u32::MAX);
            if running >= self.settings.concurrency {
                tokio::select! {
                    Some(done) = self.jobs.join_next() => log_job(done),
                    _ = signals.changed() => {}
                }
                continue;
            }
            let req = ClaimRequest {
                interfaces: self.settings.interfaces.clone(),
                capacity: self.settings.concurrency - running,
                version: env!("CARGO_PKG_VERSION").to_string(),
                host: self.settings.host.clone(),
                wait_secs: self.settings.claim_wait,
            };
            // Anything but a refused token is tried again: a server that refuses claims
            // now (an upgrade under way, a bad request from an older agent) may not later.
            let client = &self.client;
            let claim = retry(
                "claim",
                Limit::Forever,
                |e: &ClientError| !e.is_auth(),
                || client.claim(&req),
            );
            let answer = tokio::select! {
                answer = claim => answer,
                _ = signals.changed() => return None,
            };
            match answer {
                Ok(Some(claim)) => self.launch(claim),
                Ok(None) => {}
                Err(e) => return Some(AgentError::Auth(e)),
            }
        }
    }

    /// Collects ended jobs and deliveries without waiting.
    fn reap(&mut self) {
        while let Some(done) = self.jobs.try_join_next() {
            log_job(done);
        }
        while let Some(done) = self.uplinks.try_join_next() {
            if let Ok((id, _)) = &done {
                self.replays.remove(id);
            }
            log_delivery(done);
        }
    }

    fn launch(&mut self, claim: Claim) {
        let id = claim.job.id;
        tracing::info!(job = %id, tests = claim.testlist.len(), "claimed");
        if let Some(replay) = self.replays.remove(&id) {
            replay.abort();
        }
        let prepared = match job::prepare(
            &self.settings.work_dir,
            claim,
            self.settings.run.outbox_max_bytes,
        ) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(job = %id, "{e}");
                let client = self.client.clone();
                let finish = Finish {
                    status: FinishStatus::Error,
                    exit_code: None,
                    summary: Default::default(),
                    reason: format!("the agent could not prepare the job: {e}"),
                };
                self.uplinks
                    .spawn(async move { (id, job::finish_directly(&client, id, &finish).await) });
                return;
            }
        };
        let (ob, wake, client) = (
            prepared.outbox.clone(),
            prepared.wake.clone(),
            self.client.clone(),
        );
        self.uplinks
            .spawn(async move { (id, outbox::deliver(&ob, &client, &wake).await) });
        let run = job::run(
            prepared,
            self.client.clone(),
            self.settings.run.clone(),
            self.hard_stop.subscribe(),
        );
        self.jobs.spawn(async move { (id, run.await) });
        // At each new job: the runs before it are mostly delivered by now; old ones make room.
        retention::sweep_in_background(&self.settings.work_dir, self.settings.retention);
    }

    /// Starts delivering what earlier agent runs left behind. A job that has no finish was
    /// cut short by the agent's end: it is reported as an error.
    fn replay_outboxes(&mut self) {
        for ob in pending_outboxes(&self.settings.work_dir) {
            let ob = ob.with_max_bytes(self.settings.run.outbox_max_bytes);
            let id = ob.job();
            match ob.pending_finish() {
                Ok(Some(_)) => {}
                Ok(None) => {
                    // What the run left in its result directory goes up with the report.
                    let mut results = Watcher::new(
                        &ob.result_dir(),
                        ob.clone(),
                        Vec::new(),
                        self.settings.run.results_max_bytes,
                    );
                    let summary = match results.finish() {
                        Ok(s) if results.tests_begun() > 0 => s,
                        _ => summary_from_log(&ob.log_path()),
                    };
                    let finish = Finish {
                        status: FinishStatus::Error,
                        exit_code: None,
                        summary,
                        reason: "the agent stopped while the job was running".into(),
                    };
                    if let Err(e) = ob.set_finish(&finish) {
                        tracing::error!(job = %id, "{e}");
                        continue;
                    }
                }
                Err(e) => {
                    tracing::error!(job = %id, "{e}");
                    continue;
                }
            }
            tracing::info!(job = %id, "replaying the job's report from {}", ob.log_path().display());
            let client = self.client.clone();
            let handle = self.uplinks.spawn(async move {
                let wake = tokio::sync::Notify::new();
                (id, outbox::deliver(&ob, &client, &wake).await)
            });
            self.replays.insert(id, handle);
        }
    }

    /// Waits for the running jobs; stops them on the next signal (or at once after a fatal
    /// error).
    async fn drain(&mut self, signals: &mut watch::Receiver<u32>, stop_now: bool) {
        let mut stopping = false;
        if !self.jobs.is_empty() {
            tracing::info!(
                "shutting down: no new claims; waiting for {} running job(s) (signal again to stop them)",
                self.jobs.len()
            );
        }
        loop {
            if !stopping && (stop_now || *signals.borrow_and_update() >= 2) {
                stopping = true;
                if !self.jobs.is_empty() {
                    tracing::warn!("stopping {} running job(s)", self.jobs.len());
                }
                self.hard_stop.send_replace(true);
            }
            tokio::select! {
                done = self.jobs.join_next() => match done {
                    Some(done) => log_job(done),
                    None => return,
                },
                _ = signals.changed() => {}
            }
        }
    }

    /// Gives the deliveries a last chance; what is left stays on disk.
    async fn flush(&mut self, signals: &mut watch::Receiver<u32>) {
        self.reap();
        if self.uplinks.is_empty() {
            return;
        }
        tracing::info!(
            "sending {} job report(s) before exiting",
            self.uplinks.len()
        );
        let deadline = tokio::time::sleep(FLUSH_ON_EXIT);
        tokio::pin!(deadline);
        let seen = *signals.borrow_and_update();
        loop {
            tokio::select! {
                done = self.uplinks.join_next() => match done {
                    Some(done) => log_delivery(done),
                    None => return,
                },
                _ = &mut deadline => break,
                _ = signals.changed() => if *signals.borrow_and_update() > seen { break },
            }
        }
        tracing::warn!(
            "{} job report(s) not delivered: they stay in {} and are sent at the next start",
            self.uplinks.len(),
            self.settings.work_dir.display()
        );
        self.uplinks.shutdown().await;
    }
}

/// Outboxes under `work_dir` with something left to send.
pub fn pending_outboxes(work_dir: &Path) -> Vec<Outbox> {
    let Ok(entries) = std::fs::read_dir(work_dir) else {
        return Vec::new();
    };
    let mut out: Vec<Outbox> = entries
        .filter_map(Result::ok)
        .filter_map(|e| Outbox::open(&e.path()))
        .filter(|ob| !ob.is_closed())
        .collect();
    out.sort_by_key(|ob| ob.job());
    out
}

/// The verdicts counted in a log written by an earlier run.
fn summary_from_log(path: &Path) -> labrelay_api::agents::Summary {
    let mut tally = Tally::new(0);
    if let Ok(text) = std::fs::read_to_string(path) {
        for line in text.lines() {
            tally.observe(line);
        }
    }
    tally.summary()
}

fn log_job(done: Result<(Id, JobEnd), tokio::task::JoinError>) {
    match done {
        Ok((id, JobEnd::Finished(status))) => tracing::info!(job = %id, ?status, "job ended"),
        Ok((id, end)) => tracing::warn!(job = %id, "job ended: {end:?}"),
        Err(e) if e.is_cancelled() => {}
        Err(e) => tracing::error!("a job task failed: {e}"),
    }
}

fn log_delivery(done: Result<(Id, Delivery), tokio::task::JoinError>) {
    match done {
        Ok((id, Delivery::Delivered)) => tracing::info!(job = %id, "job report delivered"),
        Ok((id, d)) => tracing::warn!(job = %id, "job report: {d:?}"),
        Err(e) if e.is_cancelled() => {}
        Err(e) => tracing::error!("a delivery task failed: {e}"),
    }
}
