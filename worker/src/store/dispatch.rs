//! Which pending job goes to which agent, and when. A job is dispatchable to an agent when it
//! is pending and unclaimed, its `run_at` has come, its package's `agent_id` is 0 or this
//! agent, every one of its interfaces is among the agent's, and none of them is in use by a
//! job that agent already holds (CDRouter's own queue rule); its device is ready and healthy
//! and neither it nor the agent is reserved by someone else; the highest priority first. A claim happens inside one
//! synchronous stretch of the Durable Object, so each job goes to exactly one agent.
//!
//! The whole rule is one SQL query (`labrelay_api::claim_sql::CLAIM_SQL`, held to the rule in
//! Rust by a property test there): however many jobs no agent can run wait ahead of a
//! runnable one (pinned elsewhere, needing absent interfaces), the runnable one is found.

use super::configs;
use super::db::{json_string, us, Db};
use super::effective::Effective;
use super::jobs::row::{find as find_job, JobRow};
use super::lease::{lease, lease_end};
use crate::error::now;
use labrelay_api::agents::Claim;
use labrelay_api::error::ApiError;
use labrelay_api::Id;
use serde::Deserialize;

#[derive(Deserialize)]
struct Candidate {
    id: i64,
}

#[derive(Deserialize)]
struct HeldRow {
    interface_names: String,
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
        labrelay_api::claim_sql::CLAIM_SQL,
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
    let job = find_job(db, Id(pick.id as u64))?;
    claim_for(db, &job, expires).map(Some)
}

fn names(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
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
