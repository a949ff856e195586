//! Users and sign-in. Passwords and tokens are stored hashed; a token is shown only when it is
//! minted (user creation, `/authenticate`), to the admin or the user itself.

use crate::query::{Field, FieldType as T, Schema};
use crate::{Id, Timestamp};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: Id,
    pub admin: bool,
    pub disabled: bool,
    pub name: String,
    pub description: String,
    pub created: Timestamp,
    pub updated: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct UserInput {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub admin: Option<bool>,
    #[serde(default)]
    pub disabled: Option<bool>,
    #[serde(default)]
    pub password: Option<String>,
    /// The CDRouter client sends the new password twice; when present they must match.
    #[serde(default)]
    pub password_confirm: Option<String>,
}

#[rustfmt::skip]
pub static USER_SCHEMA: Schema = Schema {
    fields: &[
        Field { name: "id", ty: T::Id, sql: "id" },
        Field { name: "name", ty: T::Str, sql: "name" },
        Field { name: "description", ty: T::Str, sql: "description" },
        Field { name: "admin", ty: T::Bool, sql: "admin" },
        Field { name: "disabled", ty: T::Bool, sql: "disabled" },
        Field { name: "created", ty: T::Time, sql: "created" },
        Field { name: "updated", ty: T::Time, sql: "updated" },
    ],
};
