//! Which pending job goes to which agent, and when. A job is dispatchable to an agent when it
//! is pending and unclaimed, its `run_at` has come, its package's `agent_id` is 0 or this
//! agent, every one of its interfaces is among the agent's, and none of them is in use by a
//! job that agent already holds (CDRouter's own queue rule); its device is ready and healthy
//! and neither it nor the agent is reserved by someone else; the highest priority first. A claim happens inside one
//! synchronous stretch of the Durable Object, so each job goes to exactly one agent.
//!
//! The whole rule is one SQL query (`labrelay_api::dispatch::CLAIM_SQL`, held to the rule in
//! Rust by a property test there): however many jobs no agent can run wait ahead of a
//! runnable one (pinned elsewhere, needing absent interfaces), the runnable one is found.

use super::db::{json_string, us, Db};
use super::jobs::{self, JobRow};
use super::{configs, devices, packages};
use crate::error::now;
use labrelay_api::agents::{Claim, Lease, HEARTBEAT_SECS, LEASE_SECS};
use labrelay_api::error::ApiError;
use labrelay_api::{Id, Timestamp};
use serde::Deserialize;

#[derive(Deserialize)]
struct Candidate {
    id: i64,
}

#[derive(Deserialize)]
struct HeldRow {
    interface_names: String,
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
    let held: Vec<HeldRow> = db.rows(
        "SELECT interface_names FROM jobs WHERE agent_id = ? AND status IN ('pending', 'running')",
        vec![agent.as_i64().into()],
    )?;
    let mut busy: Vec<String> = Vec::new();
    for h in &held {
        busy.extend(names(&h.interface_names));
    }
    // A device whose health is unknown gets its check queued first (it then runs first).
    super::health::ensure_checks(db)?;
    let t = us(now());
    let pick: Option<Candidate> = db.first(
        labrelay_api::dispatch::CLAIM_SQL,
        vec![
            t.into(),
            agent.as_i64().into(),
            t.into(),
            t.into(),
            agent.as_i64().into(),
            json_string(&interfaces).into(),
            json_string(&busy).into(),
        ],
    )?;
    let Some(pick) = pick else {
        return Ok(None);
    };
    let expires = lease_end();
    db.exec(
        "UPDATE jobs SET agent_id = ?1,
                agent_name = coalesce((SELECT name FROM agents WHERE id = ?1), ''),
                lease_expires = ?2, updated = ?3
         WHERE id = ?4 AND agent_id = 0 AND status = 'pending'",
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
/// What a job runs with, its package's own config and device standing in for a 0.
pub struct Effective {
    pub package: Option<packages::PackageRow>,
    pub config_id: i64,
    pub config_name: String,
    pub device_id: i64,
    pub device: Option<labrelay_api::resources::Device>,
}

impl Effective {
    pub fn of(db: &Db, job: &JobRow) -> Result<Effective, ApiError> {
        let package = match packages::find(db, Id(job.package_id as u64)) {
            Ok(p) => Some(p),
            Err(ApiError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        let own_or_package = |own: i64, of_package: fn(&packages::PackageRow) -> i64| {
            if own != 0 {
                own
            } else {
                package.as_ref().map_or(0, of_package)
            }
        };
        let config_id = own_or_package(job.config_id, |p| p.config_id);
        let device_id = own_or_package(job.device_id, |p| p.device_id);
        let device = match devices::find(db, Id(device_id as u64)) {
            Ok(d) => Some(d.to_wire()?),
            Err(ApiError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        let config_name = match configs::find(db, Id(config_id as u64)) {
            Ok(c) => c.name,
            Err(ApiError::NotFound(_)) => String::new(),
            Err(e) => return Err(e),
        };
        Ok(Effective {
            package,
            config_id,
            config_name,
            device_id,
            device,
        })
    }
}

fn claim_for(db: &Db, job: &JobRow, expires: i64) -> Result<Claim, ApiError> {
    let e = Effective::of(db, job)?;
    let (testlist, package_args) = match &e.package {
        Some(p) => (p.testlist()?, p.extra_cli_args.clone()),
        None => (Vec::new(), String::new()),
    };
    Ok(Claim {
        job: job.to_wire()?,
        testlist,
        package_extra_cli_args: package_args,
        config: configs::contents(db, Id(e.config_id as u64))?,
        config_name: e.config_name,
        device: e.device,
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
        "UPDATE jobs SET agent_id = 0, agent_name = '', lease_expires = NULL, updated = ?
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
    Ok([run_at, lease, tick, reservation_end]
        .into_iter()
        .filter(|&v| v > 0)
        .min())
}
