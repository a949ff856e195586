//! While a job runs, heartbeats renew its lease with the progress, every `heartbeat_secs`
//! of the lease (never more than the lease less [`LEASE_MARGIN`]), and report a stop request
//! or a lost lease to the run. An unreachable server does not stop the run.

use super::StopReason;
use crate::client::{Client, ClientError};
use labrelay_api::agents::{Heartbeat, Lease, Progress};
use labrelay_api::Id;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// A heartbeat comes at least this long before the lease would run out.
pub const LEASE_MARGIN: Duration = Duration::from_secs(10);

/// Time between heartbeats: the server's; at least a second, and the lease less
/// [`LEASE_MARGIN`] at most.
pub fn interval(lease: &Lease) -> Duration {
    let most = lease.ttl_secs.saturating_sub(LEASE_MARGIN.as_secs()).max(1);
    Duration::from_secs(lease.heartbeat_secs.clamp(1, most))
}

fn lease_lost(e: &ClientError) -> bool {
    matches!(e.status(), Some(404 | 409))
}

/// Renews the lease with the progress; reports a stop request or a lost lease. An
/// unreachable server does not stop the run.
pub async fn heartbeats(
    client: Client,
    job: Id,
    lease: Lease,
    progress: watch::Receiver<Progress>,
    events: mpsc::Sender<StopReason>,
) {
    let mut every = interval(&lease);
    let mut stop_sent = false;
    loop {
        tokio::time::sleep(every).await;
        let hb = Heartbeat {
            progress: Some(progress.borrow().clone()),
        };
        match client.heartbeat(job, &hb).await {
            Ok(reply) => {
                every = interval(&reply.lease);
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
        let secs = |l: Lease| interval(&l).as_secs();
        assert_eq!(secs(lease(60, 10)), 10);
        assert_eq!(secs(lease(60, 600)), 50, "the lease less 10 s");
        assert_eq!(secs(lease(60, 0)), 1);
        assert_eq!(secs(lease(5, 10)), 1);
    }
}
