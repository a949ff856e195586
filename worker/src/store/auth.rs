//! Who is calling, and what they may do. Tokens are random, shown when minted, and stored as
//! SHA-256 hashes (a user's API token also sealed by the entry worker, so that
//! `/authenticate` can give it again); passwords are PBKDF2 keys derived in the entry worker
//! (`store::signin`). The admin's first password and a standing admin token come from the
//! worker's environment (`ADMIN_PASSWORD`, `ADMIN_TOKEN`).
//!
//! Roles: an admin may do anything; a user may read everything and change what it owns (its
//! jobs, results, packages, configs, devices); a read-only user may only read.

use super::db::{micros, us, Db};
use super::http::{Caller, Ctx};
use crate::error::now;
use labrelay_api::error::ApiError;
use labrelay_api::Id;
use sha2::{Digest, Sha256};

pub fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

pub fn new_token() -> Result<String, ApiError> {
    let mut bytes = [0u8; 24];
    getrandom::getrandom(&mut bytes).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(hex(&bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(serde::Deserialize)]
pub struct CallerRow {
    user_id: i64,
    admin: i64,
    disabled: i64,
    readonly: i64,
}

/// The user a token belongs to, if it is a live user token (sessions expire).
pub fn caller_row(db: &Db, token: &str) -> Result<Option<CallerRow>, ApiError> {
    db.first(
        "SELECT t.user_id AS user_id, u.admin AS admin, u.disabled AS disabled,
                u.readonly AS readonly
         FROM tokens t JOIN users u ON u.id = t.user_id
         WHERE t.hash = ? AND (t.expires IS NULL OR t.expires > ?)",
        vec![hash_token(token).into(), us(now()).into()],
    )
}

/// Who calls: in the default lab's object (the directory) from the bearer token; in another
/// lab's, as the entry worker checked it with the directory (`Ctx::trusted`).
pub fn caller(db: &Db, ctx: &Ctx) -> Result<Caller, ApiError> {
    if !ctx.is_directory() {
        return ctx
            .trusted
            .as_ref()
            .map(|w| Caller {
                user_id: w.user_id,
                admin: w.admin,
                readonly: w.readonly && !w.admin,
            })
            .ok_or(ApiError::InvalidToken);
    }
    by_token(db, ctx.bearer.as_deref())
}

/// The caller a bearer token belongs to (the directory's own check).
pub fn by_token(db: &Db, bearer: Option<&str>) -> Result<Caller, ApiError> {
    let token = bearer
        .filter(|t| !t.is_empty())
        .ok_or(ApiError::InvalidToken)?;
    match caller_row(db, token)? {
        Some(r) if r.disabled == 0 => Ok(Caller {
            user_id: Id(r.user_id as u64),
            admin: r.admin != 0,
            readonly: r.readonly != 0 && r.admin == 0,
        }),
        Some(_) => Err(ApiError::InvalidToken),
        // An agent's token is valid, but never for user endpoints.
        None if agent_by_token(db, token)?.is_some() => Err(ApiError::Forbidden),
        None => Err(ApiError::InvalidToken),
    }
}

fn agent_by_token(db: &Db, token: &str) -> Result<Option<Id>, ApiError> {
    let id = db.int(
        "SELECT coalesce((SELECT id FROM agents WHERE token_hash = ?), 0)",
        vec![hash_token(token).into()],
    )?;
    Ok((id > 0).then_some(Id(id as u64)))
}

/// The lab agent a bearer token belongs to. User tokens never open agent endpoints.
pub fn agent(db: &Db, bearer: Option<&str>) -> Result<Id, ApiError> {
    let token = bearer
        .filter(|t| !t.is_empty())
        .ok_or(ApiError::InvalidToken)?;
    if let Some(id) = agent_by_token(db, token)? {
        return Ok(id);
    }
    let user = db.int(
        "SELECT count(*) FROM tokens WHERE hash = ?",
        vec![hash_token(token).into()],
    )?;
    Err(if user > 0 {
        ApiError::Forbidden
    } else {
        ApiError::InvalidToken
    })
}

pub fn require_admin(caller: &Caller) -> Result<(), ApiError> {
    if caller.admin {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// A change to a record owned by `owner` (its `user_id`): its owner or an admin; never a
/// read-only user.
pub fn require_owner(caller: &Caller, owner: i64, what: &str) -> Result<(), ApiError> {
    require_writer(caller)?;
    if caller.admin || caller.user_id.as_i64() == owner {
        Ok(())
    } else {
        Err(ApiError::NotOwner(format!(
            "only its owner or an admin may change this {what}"
        )))
    }
}

/// The owner (`user_id`) of row `id` of `table`; 404 when there is no such row.
pub fn owner(db: &Db, table: &str, id: Id, noun: &'static str) -> Result<i64, ApiError> {
    #[derive(serde::Deserialize)]
    struct Owner {
        user_id: i64,
    }
    db.first::<Owner>(
        &format!("SELECT user_id FROM {table} WHERE id = ?"),
        vec![id.as_i64().into()],
    )?
    .map(|o| o.user_id)
    .ok_or(ApiError::NotFound(noun))
}

/// A change to row `id` of `table`: its owner or an admin.
pub fn require_owner_of(
    db: &Db,
    caller: &Caller,
    table: &str,
    id: Id,
    noun: &'static str,
) -> Result<(), ApiError> {
    let owner = owner(db, table, id, noun)?;
    require_owner(caller, owner, noun)
}

/// Of the rows a bulk operation selected, those the caller may change (all, for an admin).
pub fn owned_only(
    db: &Db,
    caller: &Caller,
    table: &str,
    ids: Vec<i64>,
) -> Result<Vec<i64>, ApiError> {
    require_writer(caller)?;
    if caller.admin || ids.is_empty() {
        return Ok(ids);
    }
    #[derive(serde::Deserialize)]
    struct Row {
        id: i64,
    }
    let json = serde_json::to_string(&ids).map_err(|e| ApiError::Internal(e.to_string()))?;
    let rows: Vec<Row> = db.rows(
        &format!(
            "SELECT id FROM {table} WHERE user_id = ? AND id IN (SELECT value FROM json_each(?))"
        ),
        vec![caller.user_id.as_i64().into(), json.into()],
    )?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Any change at all: not for read-only users.
pub fn require_writer(caller: &Caller) -> Result<(), ApiError> {
    if caller.readonly {
        Err(ApiError::NotOwner(
            "a read-only user may not change anything".into(),
        ))
    } else {
        Ok(())
    }
}

/// First start: the `admin` user (id 1), whose password is `ADMIN_PASSWORD` until it signs
/// in first (the entry then stores its PBKDF2 key). Every start: `ADMIN_TOKEN` is the admin's
/// standing token (replacing the one an earlier environment gave).
pub fn bootstrap(db: &Db, admin_token: &str) -> Result<(), ApiError> {
    let users = db.int("SELECT count(*) FROM users", vec![])?;
    if users == 0 {
        let t = micros(now());
        let mut salt = [0u8; 16];
        getrandom::getrandom(&mut salt).map_err(|e| ApiError::Internal(e.to_string()))?;
        let hash = format!(
            "pbkdf2-sha256${}${}$env",
            crate::internal::PBKDF2_ROUNDS,
            hex(&salt)
        );
        db.exec(
            "INSERT INTO users (id, name, description, admin, disabled, password_hash, created, updated)
             VALUES (1, 'admin', 'administrator', 1, 0, ?, ?, ?)",
            vec![hash.into(), t.clone(), t],
        )?;
    }
    db.exec("DELETE FROM tokens WHERE source = 'env'", vec![])?;
    if !admin_token.is_empty() {
        db.exec(
            "INSERT OR REPLACE INTO tokens (hash, user_id, source, created) VALUES (?, 1, 'env', ?)",
            vec![hash_token(admin_token).into(), micros(now())],
        )?;
    }
    Ok(())
}
