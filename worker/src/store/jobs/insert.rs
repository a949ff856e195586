//! Storing launched jobs: one at a time (a launch, a schedule's tick, a health check), or
//! a bulk launch's many in a few statements, each row's values sent as one JSON bind.

use super::resolve::{Resolved, FIELD_COLUMNS};
use crate::error::now;
use crate::store::db::{us, Db};
use crate::store::http::Caller;
use labrelay_api::error::ApiError;
use labrelay_api::Id;
use serde_json::Value;
use worker::SqlStorageValue;

/// Who launched a job: a person, a package's schedule, or a device's health check.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Launched {
    ByHand,
    Schedule,
    HealthCheck,
}

/// The columns every insert writes after `FIELD_COLUMNS`.
const TAIL_COLUMNS: &str = "status, user_id, created, updated, automatic, health_check";

pub(super) fn insert(db: &Db, r: &Resolved, caller: &Caller) -> Result<Id, ApiError> {
    insert_as(db, r, caller.user_id, Launched::ByHand)
}

pub(super) fn insert_as(db: &Db, r: &Resolved, user: Id, how: Launched) -> Result<Id, ApiError> {
    let t = us(now());
    let mut binds = r.binds();
    binds.extend([
        user.as_i64().into(),
        t.into(),
        t.into(),
        ((how != Launched::ByHand) as i64).into(),
        ((how == Launched::HealthCheck) as i64).into(),
    ]);
    let id = db.int(
        &format!(
            "INSERT INTO jobs ({FIELD_COLUMNS}, {TAIL_COLUMNS})
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?)
             RETURNING id"
        ),
        binds,
    )?;
    Ok(Id(id as u64))
}

/// A batch's JSON bind stays well under the store's 2 MB limit for one value; a row bigger
/// than this on its own (its options escaped twice over) is stored by itself, its values
/// bound one by one.
const BATCH_BYTES: usize = 512 * 1024;

/// Stores `all` (launched by hand by `caller`) and answers their ids in the same order. Rows
/// go in batches: one statement reads a batch's rows from a JSON array (`json_each`), so a
/// bulk launch of 1,000 jobs is a few statements, not 1,000.
pub(super) fn insert_many(
    db: &Db,
    all: &[Resolved],
    caller: &Caller,
) -> Result<Vec<i64>, ApiError> {
    let batch_sql = batch_insert_sql();
    let t = us(now());
    let mut ids = Vec::with_capacity(all.len());
    let mut rows: Vec<String> = Vec::new();
    let mut bytes = 0;
    let flush = |rows: &mut Vec<String>, ids: &mut Vec<i64>| -> Result<(), ApiError> {
        if rows.is_empty() {
            return Ok(());
        }
        let binds = vec![
            format!("[{}]", rows.join(",")).into(),
            caller.user_id.as_i64().into(),
            t.into(),
        ];
        let mut got = db.ints(&batch_sql, binds)?;
        if got.len() != rows.len() {
            return Err(ApiError::Internal(format!(
                "a bulk launch's batch stored {} of {} jobs",
                got.len(),
                rows.len()
            )));
        }
        // Rows are numbered in the array's order; RETURNING's own order is not promised.
        got.sort_unstable();
        ids.extend(got);
        rows.clear();
        Ok(())
    };
    for r in all {
        let row = Value::Array(r.binds().into_iter().map(json_of).collect()).to_string();
        if row.len() > BATCH_BYTES {
            flush(&mut rows, &mut ids)?;
            bytes = 0;
            ids.push(insert_as(db, r, caller.user_id, Launched::ByHand)?.as_i64());
            continue;
        }
        if bytes + row.len() > BATCH_BYTES {
            flush(&mut rows, &mut ids)?;
            bytes = 0;
        }
        bytes += row.len() + 1;
        rows.push(row);
    }
    flush(&mut rows, &mut ids)?;
    Ok(ids)
}

/// `?1`: a JSON array of rows, each `FIELD_COLUMNS`' values in order; `?2` the user; `?3`
/// the time.
fn batch_insert_sql() -> String {
    let picks: Vec<String> = (0..FIELD_COLUMNS.split(',').count())
        .map(|i| format!("value ->> {i}"))
        .collect();
    format!(
        "INSERT INTO jobs ({FIELD_COLUMNS}, {TAIL_COLUMNS})
         SELECT {}, 'pending', ?2, ?3, ?3, 0, 0 FROM json_each(?1) ORDER BY key
         RETURNING id",
        picks.join(", ")
    )
}

fn json_of(v: SqlStorageValue) -> Value {
    match v {
        SqlStorageValue::Null => Value::Null,
        SqlStorageValue::Boolean(b) => Value::from(b as i64),
        SqlStorageValue::Integer(i) => Value::from(i),
        SqlStorageValue::Float(f) => Value::from(f),
        SqlStorageValue::String(s) => Value::from(s),
        SqlStorageValue::Blob(b) => Value::from(String::from_utf8_lossy(&b).into_owned()),
    }
}
