//! The directory's live labs: rows, finders, and the wire form.

use crate::store::db::{from_micros, Db};
use crate::store::http::Caller;
use labrelay_api::error::ApiError;
use labrelay_api::labs::{Lab, LabRef, DEFAULT_LAB};
use labrelay_api::Id;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct LabRow {
    pub name: String,
    pub description: String,
    pub created: i64,
    pub updated: i64,
    pub incarnation: i64,
}

impl LabRow {
    pub fn lab_ref(&self) -> LabRef {
        LabRef {
            name: self.name.clone(),
            incarnation: self.incarnation,
        }
    }
}

#[derive(Deserialize)]
struct Member {
    user_id: i64,
}

#[derive(Deserialize)]
struct Name {
    name: String,
}

pub fn members(db: &Db, lab: &str) -> Result<Vec<Id>, ApiError> {
    let rows: Vec<Member> = db.rows(
        "SELECT user_id FROM lab_members WHERE lab = ? ORDER BY user_id",
        vec![lab.to_string().into()],
    )?;
    Ok(rows.into_iter().map(|m| Id(m.user_id as u64)).collect())
}

pub fn to_wire(db: &Db, row: LabRow) -> Result<Lab, ApiError> {
    Ok(Lab {
        members: members(db, &row.name)?,
        name: row.name,
        description: row.description,
        created: from_micros(row.created),
        updated: from_micros(row.updated),
    })
}

pub fn find(db: &Db, name: &str) -> Result<LabRow, ApiError> {
    db.first(
        "SELECT name, description, created, updated, incarnation FROM labs WHERE name = ?",
        vec![name.to_string().into()],
    )?
    .ok_or(ApiError::NotFound("lab"))
}

pub fn exists(db: &Db, name: &str) -> Result<bool, ApiError> {
    Ok(db.int(
        "SELECT count(*) FROM labs WHERE name = ?",
        vec![name.to_string().into()],
    )? > 0)
}

/// The labs a user may use besides the default: all for an admin, else its memberships.
pub fn labs_of(db: &Db, caller: &Caller) -> Result<Vec<String>, ApiError> {
    let rows: Vec<Name> = if caller.admin {
        db.rows("SELECT name FROM labs ORDER BY name", vec![])?
    } else {
        db.rows(
            "SELECT l.name AS name FROM labs l JOIN lab_members m ON m.lab = l.name
             WHERE m.user_id = ? ORDER BY l.name",
            vec![caller.user_id.as_i64().into()],
        )?
    };
    Ok(rows.into_iter().map(|r| r.name).collect())
}

/// The labs a user may use besides the default, with their incarnations (`Whois`).
pub fn refs_of(db: &Db, caller: &Caller) -> Result<Vec<LabRef>, ApiError> {
    if caller.admin {
        return known(db);
    }
    db.rows(
        "SELECT l.name AS name, l.incarnation AS incarnation FROM labs l
         JOIN lab_members m ON m.lab = l.name WHERE m.user_id = ? ORDER BY l.name",
        vec![caller.user_id.as_i64().into()],
    )
}

/// Every live lab and its incarnation (`internal::LABS_KNOWN`, for the entry's routing).
pub fn known(db: &Db) -> Result<Vec<LabRef>, ApiError> {
    db.rows("SELECT name, incarnation FROM labs ORDER BY name", vec![])
}

/// The default lab: always there, open to every user.
pub fn default_lab() -> Lab {
    Lab {
        name: DEFAULT_LAB.to_string(),
        description: "the default lab (the bare /api/v1)".to_string(),
        members: Vec::new(),
        created: from_micros(0),
        updated: from_micros(0),
    }
}

/// Replaces a lab's members (users that no longer exist are left out).
pub fn set_members(db: &Db, lab: &str, members: &[Id]) -> Result<(), ApiError> {
    db.exec(
        "DELETE FROM lab_members WHERE lab = ?",
        vec![lab.to_string().into()],
    )?;
    for m in members {
        db.exec(
            "INSERT OR IGNORE INTO lab_members (lab, user_id)
             SELECT ?, id FROM users WHERE id = ?",
            vec![lab.to_string().into(), m.as_i64().into()],
        )?;
    }
    Ok(())
}
