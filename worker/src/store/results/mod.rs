//! Results, CDRouter-shaped: one per job run, with its tests, captures and the files of its
//! result directory (`labrelay_api::results` has the wire types and the endpoints).
//!
//! Route table of `/api/v1/results/...` in the store (file bytes — downloads, archives, a
//! test's parsed log — are served by the entry worker, `crate::files`, which asks the store
//! where they are through the `internal` calls routed at the bottom):
//!
//! | route | what |
//! |---|---|
//! | `GET results/` | list (paging, filter, sort) |
//! | `GET results/{id}/` | one result (`?updates=N`: see `Store::updates`) |
//! | `PATCH results/{id}/` | `starred`, `archived`, `note`, `tags`, `locked` |
//! | `DELETE results/{id}/` | delete (not while running, not when locked) |
//! | `GET results/{id}/tests/`, `tests/{seq}/` | tests |
//! | `GET results/{id}/tests/{seq}/captures/[{interface}/]` | captures |
//! | `GET results/{id}/logdir/` | the result directory's files |
//! | `GET results/{id}/metrics/`, `tests/{seq}/metrics/` | performance metrics (`metrics.rs`) |

pub mod files;
pub mod junit;
pub mod lifecycle;
pub mod metrics;
mod rows;
pub mod stats;
mod test_records;

use crate::error::now;
use crate::store::auth::require_owner_of;
use crate::store::db::{json_string, us, Db};
use crate::store::http::{self, parse_id, Caller, Ctx, Reply};
use crate::store::list::{self, Table};
use labrelay_api::error::ApiError;
use labrelay_api::query::ListQuery;
use labrelay_api::results::{Update, RESULT_SCHEMA};
use labrelay_api::Id;
pub use rows::ResultRow;
use rows::{TestRow, TEST_COLUMNS};
use serde::Deserialize;

const TABLE: Table = Table {
    name: "results",
    columns: rows::RESULT_COLUMNS,
    indexed: &[],
};

/// Longest note and tag stored on a result.
const MAX_NOTE: usize = 10_000;
const MAX_TAGS: usize = 100;

/// A result of the caller's (any, for an admin), by the path's id.
fn owned(db: &Db, caller: &Caller, id: &str) -> Result<Id, ApiError> {
    let id = parse_id(id, "result")?;
    require_owner_of(db, caller, "results", id, "result")?;
    Ok(id)
}

pub fn get(db: &Db, id: Id) -> Result<Reply, ApiError> {
    http::data(&lifecycle::find(db, id)?.to_wire(true, us(now()))?)
}

/// Whether the result's run is still going (404 when there is no such result).
pub fn is_running(db: &Db, id: Id) -> Result<bool, ApiError> {
    Ok(lifecycle::find(db, id)?.status() == labrelay_api::results::ResultStatus::Running)
}

/// `POST results/{id}/lock/` and `unlock/`: as `PATCH {"locked": ...}`.
pub fn set_locked(db: &Db, caller: &Caller, id: &str, locked: bool) -> Result<Reply, ApiError> {
    let id = owned(db, caller, id)?;
    db.exec(
        "UPDATE results SET locked = ?, updated = ? WHERE id = ?",
        vec![
            i64::from(locked).into(),
            us(now()).into(),
            id.as_i64().into(),
        ],
    )?;
    get(db, id)
}

/// The job a result of the caller's (any, for an admin) belongs to.
pub fn job_of(db: &Db, caller: &Caller, id: &str) -> Result<Id, ApiError> {
    let id = owned(db, caller, id)?;
    Ok(Id(lifecycle::find(db, id)?.job_id.max(0) as u64))
}

pub fn delete(db: &Db, caller: &Caller, id: &str) -> Result<Reply, ApiError> {
    lifecycle::delete(db, owned(db, caller, id)?)?;
    Ok(Reply::NoContent)
}

pub use files::logdir;
pub use test_records::{captures, get as test, list as tests};

pub fn list(db: &Db, ctx: &Ctx) -> Result<Reply, ApiError> {
    let csv = http::wants_csv(ctx)?;
    let q = ListQuery::parse(&ctx.query, &RESULT_SCHEMA)?;
    let (rows, links) =
        list::page::<ResultRow>(db, &TABLE, &q.plan(), &q.order_by_sql("id ASC"), &q.page)?;
    let t = us(now());
    let items = rows
        .iter()
        .map(|r| r.to_wire(q.detailed, t))
        .collect::<Result<Vec<_>, _>>()?;
    if csv {
        return http::csv(&items, &RESULT_SCHEMA);
    }
    http::list(&items, &links)
}

#[derive(Deserialize, Default)]
struct ResultEdit {
    #[serde(default)]
    starred: Option<bool>,
    #[serde(default)]
    archived: Option<bool>,
    #[serde(default)]
    locked: Option<bool>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    tags: Option<Vec<String>>,
}

/// CDRouter lets users star, archive, lock, note and tag a result.
pub fn edit(db: &Db, ctx: &Ctx, caller: &Caller, id: &str) -> Result<Reply, ApiError> {
    let id = owned(db, caller, id)?;
    let e: ResultEdit = ctx.json()?;
    let row = lifecycle::find(db, id)?;
    if e.note.as_ref().is_some_and(|n| n.len() > MAX_NOTE) {
        return Err(ApiError::invalid(format!(
            "note is at most {MAX_NOTE} bytes"
        )));
    }
    if e.tags
        .as_ref()
        .is_some_and(|t| t.len() > MAX_TAGS || t.iter().any(|x| x.len() > 200))
    {
        return Err(ApiError::invalid("at most 100 tags of at most 200 bytes"));
    }
    let flag = |v: Option<bool>, was: i64| i64::from(v.map_or(was != 0, |b| b));
    db.exec(
        "UPDATE results SET starred = ?, archived = ?, locked = ?, note = ?, tags = ? WHERE id = ?",
        vec![
            flag(e.starred, row.starred).into(),
            flag(e.archived, row.archived).into(),
            flag(e.locked, row.locked).into(),
            e.note.unwrap_or(row.note).into(),
            e.tags.map_or(row.tags, |t| json_string(&t)).into(),
            id.as_i64().into(),
        ],
    )?;
    lifecycle::bump(db, id.as_i64(), us(now()))?;
    http::data(&lifecycle::find(db, id)?.to_wire(true, us(now()))?)
}

/// `?updates=N` of a result: its `update_seq` when it moved past `after` (`None`: now).
pub fn update_seq(db: &Db, id: Id) -> Result<i64, ApiError> {
    Ok(lifecycle::find(db, id)?.update_seq)
}

/// What changed in a result since update `after` (-1: everything): the result itself and
/// the tests that changed, the running test and the progress.
pub fn updates_since(db: &Db, id: Id, after: i64) -> Result<Update, ApiError> {
    let row = lifecycle::find(db, id)?;
    let t = us(now());
    let changed: Vec<TestRow> = db.rows(
        &format!(
            "SELECT {TEST_COLUMNS} FROM result_tests WHERE result_id = ? AND update_seq > ?
             ORDER BY seq LIMIT 1000"
        ),
        vec![id.as_i64().into(), after.into()],
    )?;
    let running: Option<TestRow> = db.first(
        &format!(
            "SELECT {TEST_COLUMNS} FROM result_tests WHERE result_id = ? AND result = 'running'
             ORDER BY seq DESC LIMIT 1"
        ),
        vec![id.as_i64().into()],
    )?;
    let mut updates = Vec::new();
    if row.update_seq > after {
        updates.push(serde_json::to_value(row.to_wire(true, t)?).map_err(crate::error::internal)?);
    }
    for test in &changed {
        updates.push(serde_json::to_value(test.to_wire()).map_err(crate::error::internal)?);
    }
    Ok(Update {
        id: Id(row.update_seq.max(0) as u64),
        timestamp: now(),
        progress: Some(row.progress()),
        running: running.map(|r| r.to_wire()),
        updates,
    })
}

pub use test_records::upsert as upsert_tests;
