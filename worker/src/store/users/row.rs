//! A user's row as stored, its wire form, and the finder (signing in reads it too).

use crate::store::db::{from_micros, Db};
use crate::store::list::Table;
use labrelay_api::error::ApiError;
use labrelay_api::users::User;
use labrelay_api::Id;
use serde::Deserialize;

pub const TABLE: Table = Table {
    name: "users",
    columns: "id, name, description, admin, disabled, readonly, created, updated",
    indexed: &["name"],
};

#[derive(Deserialize)]
pub struct UserRow {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub admin: i64,
    pub disabled: i64,
    pub readonly: i64,
    pub created: i64,
    pub updated: i64,
}

impl UserRow {
    pub fn to_wire(&self, token: Option<String>) -> User {
        User {
            id: Id(self.id as u64),
            admin: self.admin != 0,
            disabled: self.disabled != 0,
            readonly: self.readonly != 0,
            name: self.name.clone(),
            description: self.description.clone(),
            created: from_micros(self.created),
            updated: from_micros(self.updated),
            token,
        }
    }
}

pub fn find(db: &Db, id: Id) -> Result<UserRow, ApiError> {
    db.first(
        &format!("SELECT {} FROM users WHERE id = ?", TABLE.columns),
        vec![id.as_i64().into()],
    )?
    .ok_or(ApiError::NotFound("user"))
}
