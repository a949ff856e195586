//! Users and sign-in. Passwords and tokens are stored hashed; a user's API token is shown by
//! `/authenticate` and when it is made (user creation, `/users/{id}/token/`, a password change
//! with `change_token`), never by a read.

use crate::query::Schema;
use crate::{Id, Timestamp};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: Id,
    pub admin: bool,
    pub disabled: bool,
    /// May read everything and change nothing (Labrelay's role beside CDRouter's `admin`).
    #[serde(default)]
    pub readonly: bool,
    pub name: String,
    pub description: String,
    pub created: Timestamp,
    pub updated: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct UserInput {
    pub name: Option<String>,
    pub description: Option<String>,
    pub admin: Option<bool>,
    pub disabled: Option<bool>,
    pub readonly: Option<bool>,
    pub password: Option<String>,
    /// The CDRouter client sends the new password twice; when present they must match.
    pub password_confirm: Option<String>,
}

pub static USER_SCHEMA: Schema = crate::schema! {
    "id": Id,
    "name": Str,
    "description": Str,
    "admin": Bool,
    "disabled": Bool,
    "readonly": Bool,
    "created": Time,
    "updated": Time,
};

/// The body of `POST /users/{id}/password/` (CDRouter's `change_password`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct PasswordChange {
    /// Required unless the caller is an admin.
    #[serde(default)]
    pub old: Option<String>,
    pub new: String,
    #[serde(default)]
    pub new_confirm: Option<String>,
}

/// The local defaults `cargo xtask dev` writes to `.dev.vars`; a deployed worker refuses to
/// serve with them.
pub const DEV_ADMIN_PASSWORD: &str = "labrelay-admin";
pub const DEV_ADMIN_TOKEN: &str = "labrelay-local-admin-token";

/// The shortest password accepted.
pub const MIN_PASSWORD: usize = 8;
/// The longest (a password is hashed on every sign-in: its size is bounded).
pub const MAX_PASSWORD: usize = 1024;

/// A new password's rules: its length, and the confirmation when one is given.
#[cfg(feature = "engine")]
pub fn check_new_password(pw: &str, confirm: Option<&str>) -> Result<(), crate::error::ApiError> {
    use crate::error::ApiError;
    if pw.chars().count() < MIN_PASSWORD {
        return Err(ApiError::invalid(format!(
            "password must be at least {MIN_PASSWORD} characters"
        )));
    }
    if pw.len() > MAX_PASSWORD {
        return Err(ApiError::invalid(format!(
            "password must be at most {MAX_PASSWORD} bytes"
        )));
    }
    if confirm.is_some_and(|c| c != pw) {
        return Err(ApiError::invalid("password and password_confirm differ"));
    }
    Ok(())
}
