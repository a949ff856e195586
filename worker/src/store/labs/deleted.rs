//! Deleted labs, in the directory: kept with their members for `DELETED_LAB_KEEP_DAYS` (their
//! objects closed, records and files intact) for an admin to restore, then purged.

use super::rows::LabRow;
use crate::store::db::{from_micros, json_string, parse_json, Db};
use labrelay_api::error::ApiError;
use labrelay_api::labs::{DeletedLab, LabRef};
use labrelay_api::Id;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct DeletedRow {
    pub name: String,
    pub incarnation: i64,
    pub description: String,
    pub members: String,
    pub created: i64,
    pub deleted: i64,
    pub purge_after: i64,
}

impl DeletedRow {
    pub fn lab_ref(&self) -> LabRef {
        LabRef {
            name: self.name.clone(),
            incarnation: self.incarnation,
        }
    }

    pub fn members(&self) -> Result<Vec<Id>, ApiError> {
        parse_json(&self.members)
    }

    pub fn to_wire(&self) -> Result<DeletedLab, ApiError> {
        Ok(DeletedLab {
            name: self.name.clone(),
            incarnation: self.incarnation,
            description: self.description.clone(),
            members: self.members()?,
            created: from_micros(self.created),
            deleted: from_micros(self.deleted),
            purge_after: from_micros(self.purge_after),
        })
    }
}

const COLUMNS: &str = "name, incarnation, description, members, created, deleted, purge_after";

/// Every deleted lab not purged yet, the newest deletion first (at most `MAX_LABS` are
/// kept: see `insert`).
pub fn list(db: &Db) -> Result<Vec<DeletedRow>, ApiError> {
    db.rows(
        &format!("SELECT {COLUMNS} FROM deleted_labs ORDER BY deleted DESC LIMIT 1000"),
        vec![],
    )
}

pub fn count(db: &Db) -> Result<i64, ApiError> {
    db.int("SELECT count(*) FROM deleted_labs", vec![])
}

/// Keeps a lab that is being deleted, with its members, until `purge_after`.
pub fn insert(
    db: &Db,
    row: &LabRow,
    members: &[Id],
    deleted: i64,
    purge_after: i64,
) -> Result<(), ApiError> {
    db.exec(
        &format!("INSERT OR REPLACE INTO deleted_labs ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"),
        vec![
            row.name.clone().into(),
            row.incarnation.into(),
            row.description.clone().into(),
            json_string(&members).into(),
            row.created.into(),
            deleted.into(),
            purge_after.into(),
        ],
    )
}

/// The deleted lab named so: that incarnation, else the newest deleted.
pub fn find(db: &Db, name: &str, incarnation: Option<i64>) -> Result<DeletedRow, ApiError> {
    let row = match incarnation {
        Some(i) => db.first(
            &format!("SELECT {COLUMNS} FROM deleted_labs WHERE name = ? AND incarnation = ?"),
            vec![name.to_string().into(), i.into()],
        )?,
        None => db.first(
            &format!(
                "SELECT {COLUMNS} FROM deleted_labs WHERE name = ?
                 ORDER BY deleted DESC LIMIT 1"
            ),
            vec![name.to_string().into()],
        )?,
    };
    row.ok_or(ApiError::NotFound("deleted lab"))
}

pub fn remove(db: &Db, lab: &LabRef) -> Result<(), ApiError> {
    db.exec(
        "DELETE FROM deleted_labs WHERE name = ? AND incarnation = ?",
        vec![lab.name.clone().into(), lab.incarnation.into()],
    )
}
