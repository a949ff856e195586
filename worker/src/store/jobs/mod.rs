//! Jobs: launch (one, or in bulk, all-or-nothing), list, get, edit while pending, stop,
//! delete (never a running one), and the interface preview (`?process=interfaces`).

use super::auth::{owned_only, require_owner_of};
use super::crud::bulk_selection;
use super::db::{json_text, us, Db};
use super::http::{self, parse_id, Caller, Ctx, Reply};
use super::list;
use super::packages::PACKAGE_SCHEMA;
use crate::error::now;
use labrelay_api::error::ApiError;
use labrelay_api::jobs::{BulkLaunch, JobInput, JobStatus, JOB_SCHEMA};
use labrelay_api::query::{FilterSet, ListQuery};
use labrelay_api::Id;

pub mod insert;
pub mod launch;
mod resolve;
pub mod row;

use insert::{insert, insert_many};
use resolve::{resolve, resolve_in, Lookup, FIELD_COLUMNS};
use row::{find, JobRow, KIND};

/// A job of the caller's (any job, for an admin), by the path's id.
fn owned(db: &Db, caller: &Caller, id: &str) -> Result<Id, ApiError> {
    let id = parse_id(id, "job")?;
    require_owner_of(db, caller, "jobs", id, "job")?;
    Ok(id)
}

/// `?process=` with something jobs cannot preview.
pub fn unsupported_process(ctx: &Ctx) -> Result<Reply, ApiError> {
    let other = ctx.param("process").unwrap_or_default();
    Err(ApiError::invalid(format!(
        "unsupported process \"{other}\""
    )))
}

pub fn list(db: &Db, ctx: &Ctx, look: &super::queue::Look) -> Result<Reply, ApiError> {
    let q = ListQuery::parse(&ctx.query, &JOB_SCHEMA)?;
    let (rows, links) = list::page::<JobRow>(
        db,
        &KIND.table,
        &q.plan(),
        &q.order_by_sql("id ASC"),
        &q.page,
    )?;
    let mut items = rows
        .iter()
        .map(JobRow::to_wire)
        .collect::<Result<Vec<_>, _>>()?;
    super::queue::annotate(db, look, &rows, &mut items)?;
    http::list(&items, &links)
}

/// `POST /jobs/`: one job launched, answered as `GET` would.
pub fn launch(
    db: &Db,
    ctx: &Ctx,
    caller: &Caller,
    look: &super::queue::Look,
) -> Result<Reply, ApiError> {
    let input: JobInput = ctx.json()?;
    labrelay_api::limits::check_job(&input).map_err(ApiError::Invalid)?;
    let resolved = resolve(db, &input, None)?;
    let id = insert(db, &resolved, caller)?;
    answer(db, look, id)
}

/// One job as the API answers it: with why it waits, when it does.
pub fn answer(db: &Db, look: &super::queue::Look, id: Id) -> Result<Reply, ApiError> {
    let row = find(db, id)?;
    let mut wire = [row.to_wire()?];
    super::queue::annotate(db, look, std::slice::from_ref(&row), &mut wire)?;
    http::data(&wire[0])
}

pub fn preview_interfaces(db: &Db, ctx: &Ctx) -> Result<Reply, ApiError> {
    let input: JobInput = ctx.json()?;
    labrelay_api::limits::check_job(&input).map_err(ApiError::Invalid)?;
    http::data(&resolve(db, &input, None)?.interfaces)
}

/// All-or-nothing: every entry is resolved before the first one is stored.
pub fn bulk_launch(db: &Db, ctx: &Ctx, caller: &Caller) -> Result<Reply, ApiError> {
    let body: BulkLaunch = ctx.json()?;
    let all = match ctx.param("all") {
        Some(v) => labrelay_api::query::parse_bool("all", v)?,
        None => false,
    };
    let filters = FilterSet::parse(&ctx.query, &PACKAGE_SCHEMA)?;
    let inputs: Vec<JobInput> = if let Some(jobs) = body.jobs.filter(|j| !j.is_empty()) {
        jobs
    } else if all || !filters.filters.is_empty() {
        let fields = body.fields.unwrap_or_default();
        list::matching_ids(db, "packages", &filters.plan(), "id ASC")?
            .into_iter()
            .map(|pid| JobInput {
                package_id: Some(Id(pid as u64)),
                ..fields.clone()
            })
            .collect()
    } else {
        return Err(ApiError::invalid(
            "nothing to launch: give jobs, a package filter, or all=true",
        ));
    };
    if inputs.len() > labrelay_api::limits::MAX_BULK {
        return Err(ApiError::invalid(format!(
            "{} jobs: at most {} in one bulk launch",
            inputs.len(),
            labrelay_api::limits::MAX_BULK
        )));
    }
    for (i, input) in inputs.iter().enumerate() {
        labrelay_api::limits::check_job(input)
            .map_err(|e| ApiError::invalid(format!("jobs[{i}]: {e}")))?;
    }
    let mut lookup = Lookup::default();
    let resolved = inputs
        .iter()
        .enumerate()
        .map(|(i, input)| {
            resolve_in(db, &mut lookup, input, None).map_err(|e| match e {
                ApiError::Internal(_) => e,
                other => ApiError::invalid(format!("jobs[{i}]: {other}")),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let ids = insert_many(db, &resolved, caller)?;
    // The new jobs read back in one query, in launch order.
    let jobs = list::rows_by_id::<JobRow>(db, &KIND.table, &ids, "id ASC")?
        .iter()
        .map(JobRow::to_wire)
        .collect::<Result<Vec<_>, _>>()?;
    http::data(&jobs)
}

/// `PATCH /jobs/{id}`: a pending job of the caller's changed, answered as `GET` would.
pub fn edit(
    db: &Db,
    ctx: &Ctx,
    caller: &Caller,
    id: &str,
    look: &super::queue::Look,
) -> Result<Reply, ApiError> {
    let id = owned(db, caller, id)?;
    let input: JobInput = ctx.json()?;
    labrelay_api::limits::check_job(&input).map_err(ApiError::Invalid)?;
    let job = find(db, id)?;
    if job.status() != JobStatus::Pending {
        return Err(ApiError::Conflict(format!(
            "job is {}: only a pending job can be edited",
            job.status
        )));
    }
    let resolved = resolve(db, &input, Some(&job))?;
    let mut binds = resolved.binds();
    binds.extend([us(now()).into(), id.as_i64().into()]);
    let sets: Vec<String> = FIELD_COLUMNS
        .split(", ")
        .map(|c| format!("{} = ?", c.trim()))
        .collect();
    db.exec(
        &format!(
            "UPDATE jobs SET {}, updated = ? WHERE id = ?",
            sets.join(", ")
        ),
        binds,
    )?;
    answer(db, look, id)
}

pub fn delete(db: &Db, caller: &Caller, id: &str) -> Result<Reply, ApiError> {
    let id = owned(db, caller, id)?;
    let job = find(db, id)?;
    if job.status() == JobStatus::Running {
        return Err(ApiError::Conflict("job is running".into()));
    }
    db.exec("DELETE FROM jobs WHERE id = ?", vec![id.as_i64().into()])?;
    db.exec(
        "DELETE FROM job_logs WHERE job_id = ?",
        vec![id.as_i64().into()],
    )?;
    super::results::lifecycle::delete_where(db, "job_id = ?", id.as_i64().into())?;
    Ok(Reply::NoContent)
}

/// Running jobs are never deleted, whatever the selection says; nor anyone else's (unless the
/// caller is an admin).
pub fn bulk_delete(db: &Db, ctx: &Ctx, caller: &Caller) -> Result<Reply, ApiError> {
    let ids = owned_only(db, caller, "jobs", bulk_selection(db, ctx, &KIND)?)?;
    db.exec(
        "DELETE FROM jobs WHERE status != 'running' AND id IN (SELECT value FROM json_each(?))",
        vec![json_text(&ids)],
    )?;
    db.exec(
        "DELETE FROM job_logs WHERE job_id IN (SELECT value FROM json_each(?))
         AND job_id NOT IN (SELECT id FROM jobs)",
        vec![json_text(&ids)],
    )?;
    super::results::lifecycle::delete_where(
        db,
        "job_id IN (SELECT value FROM json_each(?)) AND job_id NOT IN (SELECT id FROM jobs)",
        json_text(&ids),
    )?;
    Ok(Reply::NoContent)
}

/// A pending job stops at once; a running one is flagged for its agent, which stops
/// cdrouter-cli and finishes the job as `stopped`.
pub fn stop(db: &Db, caller: &Caller, id: &str) -> Result<Reply, ApiError> {
    let id = owned(db, caller, id)?;
    let job = find(db, id)?;
    match job.status() {
        JobStatus::Pending => db.exec(
            "UPDATE jobs SET status = 'stopped', updated = ? WHERE id = ?",
            vec![us(now()).into(), id.as_i64().into()],
        )?,
        JobStatus::Running => db.exec(
            "UPDATE jobs SET stop_requested = 1, updated = ? WHERE id = ?",
            vec![us(now()).into(), id.as_i64().into()],
        )?,
        done => {
            return Err(ApiError::Conflict(format!(
                "job has already finished: {}",
                done.as_str()
            )))
        }
    }
    http::data(&find(db, id)?.to_wire()?)
}
