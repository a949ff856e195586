//! The calls the directory owes labs' objects (close on delete, reopen on restore, purge
//! when a deleted lab's time is up), kept until each has landed: a lab object that cannot be
//! reached now gets its call later, from the alarm, in the order they were made.

use crate::store::db::Db;
use labrelay_api::error::ApiError;
use labrelay_api::labs::LabRef;
use serde::Deserialize;

/// What the directory asks of a lab's object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    Close,
    Reopen,
    Purge,
}

impl Call {
    fn as_str(self) -> &'static str {
        match self {
            Call::Close => "close",
            Call::Reopen => "reopen",
            Call::Purge => "purge",
        }
    }

    fn parse(s: &str) -> Option<Call> {
        Some(match s {
            "close" => Call::Close,
            "reopen" => Call::Reopen,
            "purge" => Call::Purge,
            _ => return None,
        })
    }
}

#[derive(Deserialize)]
struct Row {
    id: i64,
    name: String,
    incarnation: i64,
    call: String,
    tries: i64,
}

/// A call whose time has come.
pub struct Due {
    pub id: i64,
    pub lab: LabRef,
    pub call: Call,
    pub tries: i64,
}

pub fn queue(db: &Db, lab: &LabRef, call: Call, due: i64) -> Result<(), ApiError> {
    db.exec(
        "INSERT INTO lab_calls (name, incarnation, call, due) VALUES (?, ?, ?, ?)",
        vec![
            lab.name.clone().into(),
            lab.incarnation.into(),
            call.as_str().into(),
            due.into(),
        ],
    )
}

/// The calls due at `now`, oldest first; a lab's later calls wait behind its earlier ones
/// (a purge never overtakes the close).
pub fn due(db: &Db, now: i64, limit: i64) -> Result<Vec<Due>, ApiError> {
    let rows: Vec<Row> = db.rows(
        "SELECT c.id, c.name, c.incarnation, c.call, c.tries FROM lab_calls c
         WHERE c.due <= ? AND NOT EXISTS (SELECT 1 FROM lab_calls e
             WHERE e.name = c.name AND e.incarnation = c.incarnation AND e.id < c.id)
         ORDER BY c.id LIMIT ?",
        vec![now.into(), limit.into()],
    )?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(Due {
                call: Call::parse(&r.call)?,
                id: r.id,
                lab: LabRef {
                    name: r.name,
                    incarnation: r.incarnation,
                },
                tries: r.tries,
            })
        })
        .collect())
}

/// A queued purge of this lab that has begun (a restore is too late then).
pub fn purge_begun(db: &Db, lab: &LabRef) -> Result<bool, ApiError> {
    Ok(db.int(
        "SELECT count(*) FROM lab_calls WHERE name = ? AND incarnation = ? AND call = 'purge'
         AND tries > 0",
        vec![lab.name.clone().into(), lab.incarnation.into()],
    )? > 0)
}

/// Drops the queued purge of a lab being restored.
pub fn cancel_purge(db: &Db, lab: &LabRef) -> Result<(), ApiError> {
    db.exec(
        "DELETE FROM lab_calls WHERE name = ? AND incarnation = ? AND call = 'purge'",
        vec![lab.name.clone().into(), lab.incarnation.into()],
    )
}

pub fn done(db: &Db, id: i64) -> Result<(), ApiError> {
    db.exec("DELETE FROM lab_calls WHERE id = ?", vec![id.into()])
}

/// The call is tried again at `due` (`error` says why it did not land).
pub fn again(db: &Db, id: i64, due: i64, error: &str) -> Result<(), ApiError> {
    db.exec(
        "UPDATE lab_calls SET tries = tries + 1, due = ?, last_error = ? WHERE id = ?",
        vec![
            due.into(),
            error.chars().take(500).collect::<String>().into(),
            id.into(),
        ],
    )
}

/// When the next call is due (microseconds), for the alarm.
pub fn next_due(db: &Db) -> Result<Option<i64>, ApiError> {
    let at = db.int("SELECT coalesce(min(due), 0) FROM lab_calls", vec![])?;
    Ok((at > 0).then_some(at))
}

/// Wait before try `tries + 1`: 1 s doubling to 5 minutes.
pub fn backoff_us(tries: i64) -> i64 {
    1_000_000 * (1i64 << tries.clamp(0, 8)).min(300)
}
