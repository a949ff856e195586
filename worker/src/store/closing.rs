//! A lab's object when its lab is deleted (the directory's calls, `crate::internal::LAB_*`):
//! closed, it ends its unfinished jobs as `stopped` and from then on refuses every call
//! (users 404, agents 401) while keeping its records for a restore; reopened, it serves
//! again; purged, its result files leave R2 a batch at a time and then every record goes.

use super::db::{us, Db};
use crate::error::now;
use labrelay_api::error::ApiError;

/// Why the jobs a deleted lab had not finished ended.
pub const REASON: &str = "the lab was deleted";

/// Whether the lab was deleted (its object keeps the mark until it is restored or purged).
pub fn is_closed(db: &Db) -> Result<bool, ApiError> {
    Ok(db.int("SELECT count(*) FROM meta WHERE key = 'closed'", vec![])? > 0)
}

/// Closes the lab: the mark, then every pending or running job ends as `stopped` (its agent
/// is refused from now on, so no finish would come) and their results with them.
pub fn close(db: &Db) -> Result<(), ApiError> {
    let t = us(now());
    db.exec(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('closed', ?)",
        vec![t.to_string().into()],
    )?;
    db.exec(
        "UPDATE jobs SET status = 'stopped', reason = ?, finished = coalesce(finished, ?),
         updated = ?, lease_expires = NULL WHERE status IN ('pending', 'running')",
        vec![REASON.into(), t.into(), t.into()],
    )?;
    super::results::lifecycle::settle(db, t)?;
    Ok(())
}

/// Opens a closed lab again (a restore); its jobs stay as they ended.
pub fn reopen(db: &Db) -> Result<(), ApiError> {
    db.exec("DELETE FROM meta WHERE key = 'closed'", vec![])
}

/// Files a purge step moves to the garbage at most.
pub const CONDEMN_BATCH: i64 = 1000;

/// A purge step's first part: up to [`CONDEMN_BATCH`] result files become garbage, for
/// `collect_garbage` to delete from R2. Refused unless the lab is closed (a purge never
/// touches a live lab).
pub fn condemn_files(db: &Db) -> Result<(), ApiError> {
    if !is_closed(db)? {
        return Err(ApiError::Conflict("the lab is not deleted".into()));
    }
    let cut = db.int(
        "SELECT coalesce(max(id), 0) FROM (SELECT id FROM result_files ORDER BY id LIMIT ?)",
        vec![CONDEMN_BATCH.into()],
    )?;
    db.exec(
        "INSERT OR IGNORE INTO r2_garbage (key, upload_id)
         SELECT key, coalesce(upload_id, '') FROM result_files WHERE id <= ?",
        vec![cut.into()],
    )?;
    db.exec("DELETE FROM result_files WHERE id <= ?", vec![cut.into()])
}

/// Result files and R2 objects a purge has still to delete.
pub fn left(db: &Db) -> Result<i64, ApiError> {
    db.int(
        "SELECT (SELECT count(*) FROM result_files) + (SELECT count(*) FROM r2_garbage)",
        vec![],
    )
}

/// Whether this object is a purged lab's tombstone.
pub fn is_purged(db: &Db) -> Result<bool, ApiError> {
    let has_meta = db.int(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
        vec![],
    )? > 0;
    Ok(has_meta && db.int("SELECT count(*) FROM meta WHERE key = 'purged'", vec![])? > 0)
}

/// What a closed lab answers: its agents are no longer known (401), for everyone else the
/// lab is gone (404).
pub fn refusal(ctx: &super::http::Ctx) -> ApiError {
    let first = ctx
        .path
        .trim_start_matches("/api/v1")
        .split('/')
        .find(|s| !s.is_empty());
    let agent = first == Some("agent") || crate::internal::AGENT_CALLS.contains(&ctx.path.as_str());
    if agent {
        ApiError::InvalidToken
    } else {
        ApiError::NotFound("lab")
    }
}

#[derive(serde::Deserialize)]
struct Table {
    name: String,
}

/// After a purge: whatever table storage's `deleteAll` left is dropped, and only the marks
/// stay (a few hundred bytes), so a late request can never bring the lab back as an empty
/// one (a fresh object would make its whole schema again).
pub fn tombstone(db: &Db) -> Result<(), ApiError> {
    let tables: Vec<Table> = db.rows(
        "SELECT name FROM sqlite_master WHERE type = 'table'
         AND name NOT LIKE 'sqlite%' AND substr(name, 1, 4) != '_cf_'",
        vec![],
    )?;
    for t in tables {
        db.exec(&format!("DROP TABLE IF EXISTS \"{}\"", t.name), vec![])?;
    }
    let t = us(now()).to_string();
    db.exec(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        vec![],
    )?;
    db.exec(
        "INSERT INTO meta (key, value) VALUES ('closed', ?), ('purged', ?)",
        vec![t.clone().into(), t.into()],
    )
}
