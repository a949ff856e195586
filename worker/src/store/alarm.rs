//! When a lab's object next has something to do on its own, for its alarm: a queued job's
//! `run_at`, a lease or a reservation running out, a schedule's tick, a webhook delivery.

use super::db::{us, Db};
use crate::error::now;
use labrelay_api::error::ApiError;

/// When the store next has something to do on its own: the earliest future `run_at` of a
/// queued job, the earliest lease or reservation to run out, or a schedule's next tick
/// (microseconds).
pub fn next_wakeup(db: &Db) -> Result<Option<i64>, ApiError> {
    let t = us(now());
    let run_at = db.int(
        "SELECT coalesce(min(run_at), 0) FROM jobs
         WHERE status = 'pending' AND agent_id = 0 AND run_at > ?",
        vec![t.into()],
    )?;
    let lease = db.int(
        "SELECT coalesce(min(lease_expires), 0) FROM jobs
         WHERE status IN ('pending', 'running') AND agent_id != 0",
        vec![],
    )?;
    let tick = super::schedule::next_due(db)?.unwrap_or(0);
    let reservation_end = super::reservations::next_end(db)?.unwrap_or(0);
    // A webhook delivery due (events not yet turned into deliveries are due now).
    let delivery = if super::webhooks::events::pending(db)? {
        t
    } else {
        super::webhooks::deliver::next_due(db)?.unwrap_or(0)
    };
    Ok([run_at, lease, tick, reservation_end, delivery]
        .into_iter()
        .filter(|&v| v > 0)
        .min())
}
