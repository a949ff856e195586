//! One job: its directory, the checks of what the server sent, the cdrouter-cli command line,
//! the run (output streamed into the job log, progress from test verdict lines, heartbeats
//! and stop requests, the result directory watched and uploaded) and its finish.
//!
//! `<work-dir>/job-<id>/` holds `testlist.log` (one test per line), the config
//! (`<config_name>.conf`), cdrouter-cli's result directory (`result/`, its `-logdir`) and the
//! [`Outbox`]. The parts: [`checks`] (what may reach cdrouter-cli), [`command`] (the command
//! line and the config edits for testvars), [`execute`] (the run: prepare, `run`,
//! `outcome`), [`lease`] (heartbeats and the stop long-poll), [`log`] (the job log).

mod checks;
mod command;
mod execute;
#[cfg(test)]
mod fixture;
mod lease;
mod log;
mod outcome;
mod run;

pub use checks::{check_claim, check_written_config};
pub use command::{command_args, config_file_name, edit_config, testvar_args};
pub use lease::{interval as heartbeat_interval, STOP_WAIT_SECS};
pub use log::PREFIX;

use crate::client::{Client, ClientError, Uplink};
use crate::config::RunSettings;
use crate::outbox::{Delivery, Outbox, OutboxError};
use crate::retry::{retry, Limit};
use labrelay_api::agents::{Claim, Finish, FinishStatus, StartRequest};
use labrelay_api::{Id, Timestamp};
use log::JobLog;
use outcome::Outcome;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{watch, Notify};

/// How long to keep trying the start call before running anyway with the start buffered:
/// half a lease, so a short blip does not leave the server without the result id.
const START_PATIENCE: Duration = Duration::from_secs(15);
/// How many times a finish that no outbox could hold is tried.
const DIRECT_FINISH_TRIES: u32 = 6;

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

impl StopReason {
    /// In words, for the job log and the finish's reason.
    pub fn describe(&self) -> String {
        match self {
            StopReason::User => "stopped by a user".into(),
            StopReason::Shutdown => "the agent was shut down".into(),
            StopReason::LeaseLost(why) => format!("lease lost: {why}"),
        }
    }
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

/// Creates `job-<id>/` and its outbox, capped at `outbox_max_bytes`. A directory left by an
/// earlier attempt at the same job is moved aside to `job-<id>.prev-<unix time>`.
pub fn prepare(work_dir: &Path, claim: Claim, outbox_max_bytes: u64) -> Result<Prepared, JobError> {
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
    let outbox = Outbox::create(&dir, claim.job.id)?.with_max_bytes(outbox_max_bytes);
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
    let outcome = execute::execute(&job, &client, &settings, hard_stop, &mut log).await;
    let finish = match outcome {
        Outcome::LeaseLost(why) => {
            log.note(&format!(
                "the server no longer holds this job's lease: {why}"
            ));
            log.close(&format!("lease lost: {why}"));
            return JobEnd::LeaseLost(why);
        }
        Outcome::Finish(f) => f,
    };
    log.note(&format!(
        "finished: {}{}",
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
        finish_directly(&client, id, &finish).await;
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
    let what = format!("job {id}: start");
    let limit = Limit::For(START_PATIENCE);
    match retry(&what, limit, ClientError::is_retryable, || {
        client.start(id, &req)
    })
    .await
    {
        Ok(()) => Ok(()),
        Err(e) if e.is_retryable() => {
            tracing::warn!(job = %id, "{e}; running anyway, the start is buffered");
            outbox.set_start(&req).map_err(|e| e.to_string())
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Sends a finish straight to the server, when no outbox can hold it: a few tries.
pub async fn finish_directly(client: &Client, id: Id, finish: &Finish) -> Delivery {
    let what = format!("job {id}: finish");
    let limit = Limit::Tries(DIRECT_FINISH_TRIES);
    match retry(&what, limit, ClientError::is_retryable, || {
        client.finish(id, finish)
    })
    .await
    {
        Ok(()) => Delivery::Delivered,
        Err(e) => {
            tracing::error!(job = %id, "finish: {e}");
            Delivery::Refused(e.to_string())
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
}
