//! A result's life with its job: created when the agent starts the job (its id becomes the
//! job's `result_id`), progress from heartbeats, counts from the test records, its end when
//! the job ends (finish, stop, lost agent), and its deletion (with its job, or alone), which
//! queues its files' R2 objects for deletion.
//!
//! Every change bumps the result's `update_seq`: what `?updates=N` follows.

use super::rows::ResultRow;
use crate::store::db::{json_string, Db};
use crate::store::jobs::row::JobRow;
use labrelay_api::error::ApiError;
use labrelay_api::jobs::{JobOptions, JobStatus};
use labrelay_api::Id;

/// Result ids are CDRouter's `YYYYMMDDHHMMSS`; a taken one moves on a second at a time.
const MAX_ID_TRIES: i64 = 1000;

pub fn find(db: &Db, id: Id) -> Result<ResultRow, ApiError> {
    db.first(
        "SELECT * FROM results WHERE id = ?",
        vec![id.as_i64().into()],
    )?
    .ok_or(ApiError::NotFound("result"))
}

/// Creates the result of a job that starts now; returns its id. `proposed` is the agent's
/// `YYYYMMDDHHMMSS`; `fallback` the server's (used when the agent's is not that shape).
pub fn create(
    db: &Db,
    job: &JobRow,
    agent: Id,
    proposed: Option<&str>,
    fallback: &str,
    now_us: i64,
    total: i64,
) -> Result<i64, ApiError> {
    let parse = |s: &str| -> Option<i64> {
        (s.len() == 14 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let mut id = proposed
        .and_then(parse)
        .or_else(|| parse(fallback))
        .ok_or_else(|| ApiError::Internal(format!("bad result id {fallback}")))?;
    let mut tries = 0;
    while db.int("SELECT count(*) FROM results WHERE id = ?", vec![id.into()])? > 0 {
        tries += 1;
        if tries > MAX_ID_TRIES {
            return Err(ApiError::Conflict("no free result id: try again".into()));
        }
        id = next_second(id);
    }
    let agent_name: Vec<Vec<labrelay_api::query::Scalar>> = db.scalars(
        "SELECT name FROM agents WHERE id = ?",
        vec![agent.as_i64().into()],
    )?;
    let agent_name = match agent_name.first().and_then(|r| r.first()) {
        Some(labrelay_api::query::Scalar::Text(n)) => n.clone(),
        _ => String::new(),
    };
    let options: JobOptions = serde_json::from_str(&job.options).unwrap_or_default();
    // The config and device the run uses (a job's 0 is its package's own).
    let used = crate::store::effective::Effective::of(db, job)?;
    db.exec(
        "INSERT INTO results (id, job_id, status, created, updated, agent_name, package_id,
         package_name, device_id, device_name, config_id, config_name, user_id, tags, options,
         interfaces, progress_total)
         VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            id.into(),
            job.id.into(),
            now_us.into(),
            now_us.into(),
            agent_name.into(),
            job.package_id.into(),
            job.package_name.clone().into(),
            used.device_id.into(),
            used.device.map(|d| d.name).unwrap_or_default().into(),
            used.config_id.into(),
            used.config_name.into(),
            job.user_id.into(),
            json_string(&options.tags).into(),
            job.options.clone().into(),
            job.interfaces.clone().into(),
            total.into(),
        ],
    )?;
    Ok(id)
}

/// `YYYYMMDDHHMMSS` plus one second (minutes, hours and days roll over; a month end rolls
/// into the next day 01 of the next month, which is good enough for a unique id).
fn next_second(id: i64) -> i64 {
    let (date, time) = (id / 1_000_000, id % 1_000_000);
    let (h, m, s) = (time / 10_000, (time / 100) % 100, time % 100);
    let secs = h * 3600 + m * 60 + s + 1;
    if secs < 86_400 {
        date * 1_000_000 + (secs / 3600) * 10_000 + ((secs / 60) % 60) * 100 + secs % 60
    } else {
        (date + 1) * 1_000_000
    }
}

/// The next `update_seq` of a result.
pub fn bump(db: &Db, id: i64, now_us: i64) -> Result<i64, ApiError> {
    db.exec(
        "UPDATE results SET update_seq = update_seq + 1, updated = ? WHERE id = ?",
        vec![now_us.into(), id.into()],
    )?;
    db.int(
        "SELECT update_seq FROM results WHERE id = ?",
        vec![id.into()],
    )
}

/// Progress from a heartbeat; a change bumps the result.
pub fn progress(db: &Db, job: &JobRow, done: i64, total: i64, now_us: i64) -> Result<(), ApiError> {
    let Some(id) = result_id_of(job) else {
        return Ok(());
    };
    let changed = db.int(
        "SELECT count(*) FROM results WHERE id = ? AND (progress_done < ? OR (? > 0 AND progress_total != ?))",
        vec![id.into(), done.into(), total.into(), total.into()],
    )?;
    if changed > 0 {
        db.exec(
            "UPDATE results SET progress_done = max(progress_done, ?),
             progress_total = CASE WHEN ? > 0 THEN ? ELSE progress_total END WHERE id = ?",
            vec![done.into(), total.into(), total.into(), id.into()],
        )?;
        bump(db, id, now_us)?;
    }
    Ok(())
}

/// Counts, test cases and progress recomputed from the test records.
pub fn recount(db: &Db, id: i64, now_us: i64) -> Result<i64, ApiError> {
    let phase = "name NOT IN ('start', 'final')";
    db.exec(
        &format!(
            "UPDATE results SET
             tests = (SELECT count(*) FROM result_tests WHERE result_id = ?),
             pass = (SELECT count(*) FROM result_tests WHERE result_id = ? AND result = 'pass' AND {phase}),
             fail = (SELECT count(*) FROM result_tests WHERE result_id = ? AND result = 'fail' AND {phase}),
             testcases = (SELECT coalesce(json_group_array(name), '[]') FROM
                 (SELECT DISTINCT name FROM result_tests WHERE result_id = ?
                  AND result NOT IN ('pending', 'skipped') ORDER BY name)),
             progress_done = max(progress_done, (SELECT count(*) FROM result_tests
                 WHERE result_id = ? AND result IN ('pass', 'fail', 'fatal') AND {phase}))
             WHERE id = ?"
        ),
        vec![id.into(), id.into(), id.into(), id.into(), id.into(), id.into()],
    )?;
    bump(db, id, now_us)
}

fn result_id_of(job: &JobRow) -> Option<i64> {
    job.result_id.as_deref().and_then(|r| r.parse().ok())
}

/// CDRouter's words for how a run ended.
fn outcome_text(status: JobStatus, reason: &str) -> String {
    let base = match status {
        JobStatus::Completed => "The package completed successfully",
        JobStatus::Stopped => "The package was stopped",
        _ => "CDRouter was interrupted while package was running",
    };
    if reason.is_empty() || status == JobStatus::Completed {
        format!("{base}.")
    } else {
        format!("{base}: {reason}.")
    }
}

/// Ends the results of jobs that are no longer running (a finish, a stop before start, a
/// lost lease): status and words from the job; counts from the summary when the agent sent
/// no test records.
pub fn settle(db: &Db, now_us: i64) -> Result<(), ApiError> {
    #[derive(serde::Deserialize)]
    struct Open {
        id: i64,
        job_status: String,
        reason: String,
        passed: i64,
        failed: i64,
        finished: Option<i64>,
    }
    let open: Vec<Open> = db.rows(
        "SELECT r.id AS id, j.status AS job_status, j.reason AS reason, j.passed AS passed,
                j.failed AS failed, j.finished AS finished
         FROM results r JOIN jobs j ON j.id = r.job_id
         WHERE r.status = 'running' AND j.status != 'running'",
        vec![],
    )?;
    for r in open {
        let status = JobStatus::parse(&r.job_status).unwrap_or(JobStatus::Error);
        let finished = r.finished.unwrap_or(now_us);
        db.exec(
            "UPDATE results SET status = ?, result = ?, finished = ?,
             duration = max(0, (? - created) / 1000000),
             pass = CASE WHEN tests = 0 THEN ? ELSE pass END,
             fail = CASE WHEN tests = 0 THEN ? ELSE fail END
             WHERE id = ?",
            vec![
                status.as_str().into(),
                outcome_text(status, &r.reason).into(),
                finished.into(),
                finished.into(),
                r.passed.into(),
                r.failed.into(),
                r.id.into(),
            ],
        )?;
        bump(db, r.id, now_us)?;
    }
    Ok(())
}

/// Deletes results (with their tests and files); their R2 objects wait in `r2_garbage`.
/// `where_sql` selects rows of `results` (one `?` bind).
pub fn delete_where(
    db: &Db,
    where_sql: &str,
    bind: worker::SqlStorageValue,
) -> Result<(), ApiError> {
    let ids = format!("SELECT id FROM results WHERE {where_sql}");
    db.exec(
        &format!(
            "INSERT OR IGNORE INTO r2_garbage (key, upload_id)
             SELECT key, coalesce(upload_id, '') FROM result_files WHERE result_id IN ({ids})"
        ),
        vec![bind.clone()],
    )?;
    db.exec(
        &format!("DELETE FROM result_files WHERE result_id IN ({ids})"),
        vec![bind.clone()],
    )?;
    db.exec(
        &format!("DELETE FROM result_tests WHERE result_id IN ({ids})"),
        vec![bind.clone()],
    )?;
    db.exec(
        &format!("DELETE FROM results WHERE {where_sql}"),
        vec![bind],
    )
}

/// Deletes one result; a running one is refused.
pub fn delete(db: &Db, id: Id) -> Result<(), ApiError> {
    let row = find(db, id)?;
    if row.status == "running" {
        return Err(ApiError::Conflict(
            "result is running: stop its job first".into(),
        ));
    }
    if row.locked != 0 {
        return Err(ApiError::Conflict("cannot delete locked result".into()));
    }
    delete_where(db, "id = ?", id.as_i64().into())
}

/// R2 objects waiting to be deleted: (key, multipart upload id or "").
pub fn garbage(db: &Db, limit: i64) -> Result<Vec<(String, String)>, ApiError> {
    #[derive(serde::Deserialize)]
    struct G {
        key: String,
        upload_id: String,
    }
    Ok(db
        .rows::<G>(
            "SELECT key, upload_id FROM r2_garbage LIMIT ?",
            vec![limit.into()],
        )?
        .into_iter()
        .map(|g| (g.key, g.upload_id))
        .collect())
}

pub fn garbage_done(db: &Db, done: &[(String, String)]) -> Result<(), ApiError> {
    for (key, upload_id) in done {
        db.exec(
            "DELETE FROM r2_garbage WHERE key = ? AND upload_id = ?",
            vec![key.clone().into(), upload_id.clone().into()],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::next_second;

    #[test]
    fn ids_move_on_a_second_at_a_time() {
        assert_eq!(next_second(20220821222306), 20220821222307);
        assert_eq!(next_second(20220821222359), 20220821222400);
        assert_eq!(next_second(20220821235959), 20220822000000);
    }
}
