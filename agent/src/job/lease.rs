//! While a job runs, two conversations with the server about it, each reporting a stop
//! request or a lost lease to the run:
//! - heartbeats renew the lease with the progress, every `heartbeat_secs` of the lease (or
//!   `--heartbeat-secs`; never more than the lease less [`LEASE_MARGIN`]);
//! - the stop long-poll (`GET agent/jobs/{id}/stop?wait=S`) is answered the moment a user
//!   stops the job, so a stop reaches cdrouter-cli within a round trip, not a heartbeat.
//!
//! An unreachable server stops neither the run nor these: they retry ([`retry`]).

use super::StopReason;
use crate::client::{Client, ClientError};
use crate::retry::{retry, Limit};
use labrelay_api::agents::{Heartbeat, Lease, Progress};
use labrelay_api::Id;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// A heartbeat comes at least this long before the lease would run out.
pub const LEASE_MARGIN: Duration = Duration::from_secs(10);
/// How long the server holds each stop long-poll.
pub const STOP_WAIT_SECS: u64 = 25;

/// Time between heartbeats: ours when set, else the server's; at least a second, and the
/// lease less [`LEASE_MARGIN`] at most.
pub fn interval(lease: &Lease, ours: Option<u64>) -> Duration {
    let most = lease.ttl_secs.saturating_sub(LEASE_MARGIN.as_secs()).max(1);
    let secs = ours.unwrap_or(lease.heartbeat_secs).clamp(1, most);
    Duration::from_secs(secs)
}

/// The server's word that this run is not the agent's any more: the job is gone or taken
/// (404, 409), or the agent's token is refused (401, 403: the agent or its lab was deleted,
/// so nothing the run produces could be delivered).
fn lease_lost(e: &ClientError) -> bool {
    matches!(e.status(), Some(404 | 409)) || e.is_auth()
}

/// Renews the lease with the progress; reports a stop request or a lost lease. An
/// unreachable server does not stop the run.
pub async fn heartbeats(
    client: Client,
    job: Id,
    lease: Lease,
    ours: Option<u64>,
    progress: watch::Receiver<Progress>,
    events: mpsc::Sender<StopReason>,
) {
    let mut every = interval(&lease, ours);
    let mut stop_sent = false;
    loop {
        tokio::time::sleep(every).await;
        let hb = Heartbeat {
            progress: Some(progress.borrow().clone()),
        };
        match client.heartbeat(job, &hb).await {
            Ok(reply) => {
                every = interval(&reply.lease, ours);
                if reply.stop && !stop_sent {
                    stop_sent = true;
                    tracing::info!(job = %job, "the server asks to stop the job (heartbeat)");
                    let _ = events.send(StopReason::User).await;
                }
            }
            Err(e) if lease_lost(&e) => {
                tracing::warn!(job = %job, "lease lost: {e}");
                let _ = events.send(StopReason::LeaseLost(e.to_string())).await;
                return;
            }
            Err(e) => tracing::warn!(job = %job, "heartbeat: {e}; the run goes on"),
        }
    }
}

/// Long-polls for a stop of the job for as long as it runs; reports a stop request or a lost
/// lease (409, or a refused token). A server without the long-poll (405, 404) leaves stops
/// to the heartbeats.
pub async fn stop_poll(client: Client, job: Id, events: mpsc::Sender<StopReason>) {
    let what = format!("job {job}: stop long-poll");
    loop {
        let answer = retry(&what, Limit::Forever, ClientError::is_retryable, || {
            client.stop_wait(job, STOP_WAIT_SECS)
        })
        .await;
        match answer {
            Ok(false) => {}
            Ok(true) => {
                tracing::info!(job = %job, "the server asks to stop the job (stop long-poll)");
                let _ = events.send(StopReason::User).await;
                return;
            }
            // The server's word that the job is not this agent's to run any more, or that
            // the agent's token is refused (a 404 may also be a server without the
            // long-poll: the heartbeats judge that).
            Err(e) if e.status() == Some(409) || e.is_auth() => {
                tracing::warn!(job = %job, "lease lost: {e}");
                let _ = events.send(StopReason::LeaseLost(e.to_string())).await;
                return;
            }
            Err(e) => {
                tracing::warn!(job = %job, "{what}: {e}; stops come with the heartbeats");
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease(ttl_secs: u64, heartbeat_secs: u64) -> Lease {
        Lease {
            expires_at: labrelay_api::Timestamp(0),
            ttl_secs,
            heartbeat_secs,
        }
    }

    #[test]
    fn heartbeats_come_as_asked_but_always_within_the_lease() {
        let secs = |l: Lease, ours| interval(&l, ours).as_secs();
        assert_eq!(secs(lease(60, 10), None), 10);
        assert_eq!(secs(lease(60, 10), Some(45)), 45);
        assert_eq!(secs(lease(60, 10), Some(600)), 50, "the lease less 10 s");
        assert_eq!(secs(lease(60, 0), None), 1);
        assert_eq!(secs(lease(5, 10), None), 1);
    }
}
