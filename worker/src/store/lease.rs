//! The lease: a claimed job's life on its agent. Its term (`lease`, `lease_end`), start
//! (running, result id), heartbeat (renews the lease, reports progress, carries the stop
//! request), finish (outcome and summary), and expiry (a lost agent). Start and finish are
//! idempotent, so an agent replaying after an outage does no harm.

use super::db::{parse_json, us, Db};
use super::http::{self, Ctx, Reply};
use super::jobs::row::{find as find_job, JobRow};
use crate::error::now;
use labrelay_api::agents::{
    Finish, FinishStatus, Heartbeat, HeartbeatReply, Lease, StartRequest, HEARTBEAT_SECS,
    LEASE_SECS,
};
use labrelay_api::error::ApiError;
use labrelay_api::jobs::{JobOptions, JobStatus};
use labrelay_api::{Id, Timestamp};

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

/// The job, if this agent holds it.
pub fn held(db: &Db, agent: Id, job: Id) -> Result<JobRow, ApiError> {
    let row = find_job(db, job)?;
    if row.agent_id != agent.as_i64() {
        return Err(ApiError::Conflict("job is not leased to this agent".into()));
    }
    Ok(row)
}

pub fn start(db: &Db, ctx: &Ctx, agent: Id, id: Id) -> Result<Reply, ApiError> {
    let req: StartRequest = ctx.json()?;
    let job = held(db, agent, id)?;
    match job.status() {
        JobStatus::Running => {}
        JobStatus::Pending => {
            let t = now();
            // The tests this run executes (skipped ones and those outside begin/end left
            // out): what the agent counts against, so a short run that ends before its
            // first heartbeat still reads done/total.
            let options: JobOptions = parse_json(&job.options)?;
            let total = super::packages::find(db, Id(job.package_id as u64))
                .and_then(|p| p.testlist())
                .map(|l| options.planned(&l).len() as i64)
                .unwrap_or(0);
            // The run's result: the agent's id when free (it names the run's directory on
            // the lab machine), the next free second otherwise.
            let result_id = super::results::lifecycle::create(
                db,
                &job,
                agent,
                req.result_id.as_deref(),
                &t.compact(),
                us(t),
                total,
            )?
            .to_string();
            db.exec(
                "UPDATE jobs SET status = 'running', result_id = ?, started = ?, updated = ?,
                 lease_expires = ?, progress_total = ? WHERE id = ?",
                vec![
                    result_id.into(),
                    us(t).into(),
                    us(t).into(),
                    lease_end().into(),
                    total.into(),
                    id.as_i64().into(),
                ],
            )?;
        }
        done => {
            return Err(ApiError::Conflict(format!(
                "job has already finished: {}",
                done.as_str()
            )))
        }
    }
    http::data(&find_job(db, id)?.to_wire()?)
}

pub fn heartbeat(db: &Db, ctx: &Ctx, agent: Id, id: Id) -> Result<Reply, ApiError> {
    let req: Heartbeat = ctx.json()?;
    let job = held(db, agent, id)?;
    if job.status().is_finished() {
        return Err(ApiError::Conflict(format!(
            "lease lost: job is {}",
            job.status
        )));
    }
    let expires = lease_end();
    let p = req.progress.unwrap_or_default();
    db.exec(
        "UPDATE jobs SET lease_expires = ?,
         progress_done = max(progress_done, ?), progress_total = CASE WHEN ? > 0 THEN ? ELSE progress_total END,
         passed = max(passed, ?), failed = max(failed, ?) WHERE id = ?",
        vec![
            expires.into(),
            (p.done as i64).into(),
            (p.total as i64).into(),
            (p.total as i64).into(),
            (p.passed as i64).into(),
            (p.failed as i64).into(),
            id.as_i64().into(),
        ],
    )?;
    super::results::lifecycle::progress(db, &job, p.done as i64, p.total as i64, us(now()))?;
    http::data(&HeartbeatReply {
        stop: job.stop_requested != 0,
        lease: lease(expires),
    })
}

pub fn finish(db: &Db, ctx: &Ctx, agent: Id, id: Id) -> Result<Reply, ApiError> {
    let req: Finish = ctx.json()?;
    let job = held(db, agent, id)?;
    let status = match req.status {
        FinishStatus::Completed => JobStatus::Completed,
        FinishStatus::Error => JobStatus::Error,
        FinishStatus::Stopped => JobStatus::Stopped,
    };
    if !job.status().is_finished() {
        let t = us(now());
        let s = &req.summary;
        db.exec(
            "UPDATE jobs SET status = ?, exit_code = ?, reason = ?, passed = ?, failed = ?,
             progress_done = max(progress_done, ?), finished = ?, updated = ?,
             lease_expires = NULL, stop_requested = 0 WHERE id = ?",
            vec![
                status.as_str().into(),
                req.exit_code.map(|c| c as i64).into(),
                req.reason.clone().into(),
                (s.passed as i64).into(),
                (s.failed as i64).into(),
                (s.tests as i64).into(),
                t.into(),
                t.into(),
                id.as_i64().into(),
            ],
        )?;
        super::results::lifecycle::settle(db, t)?;
        // A health check's verdict, or a run that ended in error: the device's health.
        super::health::after_finish(db, &find_job(db, id)?)?;
    }
    http::data(&find_job(db, id)?.to_wire()?)
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
