//! Which pending job goes to which agent, and when. A job is dispatchable to an agent when it
//! is pending and unclaimed, its `run_at` has come, its package's `agent_id` is 0 or this
//! agent, every one of its interfaces is among the agent's, and none of them is in use by a
//! job that agent already holds (CDRouter's own queue rule). A claim happens inside one
//! synchronous stretch of the Durable Object, so each job goes to exactly one agent.

use super::db::{us, Db};
use super::jobs::{self, JobRow};
use super::{configs, devices, packages};
use crate::error::now;
use labrelay_api::agents::{Claim, Lease, HEARTBEAT_SECS, LEASE_SECS};
use labrelay_api::error::ApiError;
use labrelay_api::{Id, Timestamp};
use serde::Deserialize;
use std::collections::HashSet;

/// How many due jobs one claim looks at; the queue is ordered by run_at, then id.
const SCAN: i64 = 500;

#[derive(Deserialize)]
struct Candidate {
    id: i64,
    interface_names: String,
    pin: i64,
}

pub fn lease(expires_us: i64) -> Lease {
    Lease {
        expires_at: Timestamp(expires_us),
        ttl_secs: LEASE_SECS,
        heartbeat_secs: HEARTBEAT_SECS,
    }
}

pub fn lease_end() -> i64 {
    us(now()) + LEASE_SECS as i64 * 1_000_000
}

/// Claims the first job this agent can run now, if any.
pub fn try_claim(
    db: &Db,
    agent: Id,
    interfaces: &[String],
    capacity: u32,
) -> Result<Option<Claim>, ApiError> {
    if capacity == 0 {
        return Ok(None);
    }
    let mine: HashSet<&str> = interfaces.iter().map(String::as_str).collect();
    let held: Vec<Candidate> = db.rows(
        "SELECT id, interface_names, 0 AS pin FROM jobs
         WHERE agent_id = ? AND status IN ('pending', 'running')",
        vec![agent.as_i64().into()],
    )?;
    let mut busy: HashSet<String> = HashSet::new();
    for h in &held {
        busy.extend(names(&h.interface_names));
    }
    let t = us(now());
    let candidates: Vec<Candidate> = db.rows(
        "SELECT j.id AS id, j.interface_names AS interface_names,
                coalesce(p.agent_id, 0) AS pin
         FROM jobs j LEFT JOIN packages p ON p.id = j.package_id
         WHERE j.status = 'pending' AND j.agent_id = 0 AND j.run_at <= ?
         ORDER BY j.run_at, j.id LIMIT ?",
        vec![t.into(), SCAN.into()],
    )?;
    let fits = |c: &Candidate| {
        (c.pin == 0 || c.pin == agent.as_i64())
            && names(&c.interface_names)
                .iter()
                .all(|n| mine.contains(n.as_str()) && !busy.contains(n))
    };
    let Some(pick) = candidates.iter().find(|c| fits(c)) else {
        return Ok(None);
    };
    let expires = lease_end();
    db.exec(
        "UPDATE jobs SET agent_id = ?, lease_expires = ?, updated = ?
         WHERE id = ? AND agent_id = 0 AND status = 'pending'",
        vec![
            agent.as_i64().into(),
            expires.into(),
            t.into(),
            pick.id.into(),
        ],
    )?;
    let job = jobs::find(db, Id(pick.id as u64))?;
    claim_for(db, &job, expires).map(Some)
}

fn names(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

/// What the run needs: the job, its testlist, the effective config text, the device.
fn claim_for(db: &Db, job: &JobRow, expires: i64) -> Result<Claim, ApiError> {
    let (testlist, package_args) = match packages::find(db, Id(job.package_id as u64)) {
        Ok(p) => (p.testlist()?, p.extra_cli_args),
        Err(ApiError::NotFound(_)) => (Vec::new(), String::new()),
        Err(e) => return Err(e),
    };
    let device = match devices::find(db, Id(job.device_id as u64)) {
        Ok(d) => Some(d.to_wire()?),
        Err(ApiError::NotFound(_)) => None,
        Err(e) => return Err(e),
    };
    Ok(Claim {
        job: job.to_wire()?,
        testlist,
        package_extra_cli_args: package_args,
        config_name: job.config_name.clone(),
        config: configs::contents(db, Id(job.config_id as u64))?,
        device,
        lease: lease(expires),
    })
}

/// Leases that ran out: a claimed job that never started goes back to the queue; a running
/// one ends as `error` ("agent lost"): a half-run hardware test is never rerun silently.
/// Returns whether anything changed.
pub fn expire_leases(db: &Db) -> Result<bool, ApiError> {
    let t = us(now());
    let due = db.int(
        "SELECT count(*) FROM jobs WHERE status IN ('pending', 'running') AND agent_id != 0
         AND lease_expires < ?",
        vec![t.into()],
    )?;
    if due == 0 {
        return Ok(false);
    }
    db.exec(
        "UPDATE jobs SET agent_id = 0, lease_expires = NULL, updated = ?
         WHERE status = 'pending' AND agent_id != 0 AND lease_expires < ?",
        vec![t.into(), t.into()],
    )?;
    db.exec(
        "UPDATE jobs SET status = 'error', reason = 'agent lost', finished = ?, updated = ?,
         lease_expires = NULL WHERE status = 'running' AND lease_expires < ?",
        vec![t.into(), t.into(), t.into()],
    )?;
    super::results::lifecycle::settle(db, t)?;
    Ok(true)
}

/// When the store next has something to do on its own: the earliest future `run_at` of a
/// queued job, or the earliest lease to run out (microseconds).
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
    Ok([run_at, lease].into_iter().filter(|&v| v > 0).min())
}
