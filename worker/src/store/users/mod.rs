//! Users. Managing users is for admins; a user may read itself. Passwords and API tokens
//! arrive already hashed (and sealed) from the entry worker (`crate::signin`) on the internal
//! paths below; the public API never sees or shows them.

use super::auth::{require_admin, require_writer};
use super::db::{us, Db};
use super::http::{self, Caller, Ctx, Reply};
use super::list;
use super::signin;
use crate::error::now;
use crate::internal::{UserCreate, UserOut, UserPassword, UserToken};
use labrelay_api::error::ApiError;
use labrelay_api::query::ListQuery;
use labrelay_api::users::{User, UserInput, USER_SCHEMA};
use labrelay_api::Id;

pub(super) mod row;

use row::{find, UserRow, TABLE};

/// A user as it reads itself (an admin reads anyone).
pub fn get(db: &Db, caller: &Caller, id: Id) -> Result<Reply, ApiError> {
    if id != caller.user_id {
        require_admin(caller)?;
    }
    http::data(&find(db, id)?.to_wire(None))
}

pub fn list(db: &Db, ctx: &Ctx) -> Result<Reply, ApiError> {
    let q = &ListQuery::parse(&ctx.query, &USER_SCHEMA)?;
    let (rows, links) =
        list::page::<UserRow>(db, &TABLE, &q.plan(), &q.order_by_sql("id ASC"), &q.page)?;
    let items: Vec<User> = rows.iter().map(|r| r.to_wire(None)).collect();
    http::list(&items, &links)
}

fn check_name(db: &Db, name: &str, this: Id) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ApiError::invalid("name is required"));
    }
    let taken = db.int(
        "SELECT count(*) FROM users WHERE name = ? AND id != ?",
        vec![name.into(), this.as_i64().into()],
    )?;
    if taken > 0 {
        return Err(ApiError::NameTaken);
    }
    Ok(name.to_string())
}

/// `internal::USER_CREATE` (admins): the user, its password's stored key and its API token.
pub fn create(db: &Db, ctx: &Ctx, caller: &Caller) -> Result<Reply, ApiError> {
    require_admin(caller)?;
    let req: UserCreate = ctx.json()?;
    let input = &req.input;
    labrelay_api::limits::check_user(input).map_err(ApiError::Invalid)?;
    let name = check_name(db, input.name.as_deref().unwrap_or(""), Id::NONE)?;
    if signin::parse_hash(&req.password_hash).is_none() {
        return Err(ApiError::invalid("password is required"));
    }
    let t = us(now());
    db.exec(
        "INSERT INTO users (name, description, admin, disabled, readonly, password_hash, created, updated)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            name.into(),
            input.description.clone().unwrap_or_default().into(),
            (input.admin.unwrap_or(false) as i64).into(),
            (input.disabled.unwrap_or(false) as i64).into(),
            (input.readonly.unwrap_or(false) as i64).into(),
            req.password_hash.clone().into(),
            t.into(),
            t.into(),
        ],
    )?;
    let id = Id(db.last_id()? as u64);
    signin::set_api_token(db, id.as_i64(), &req.api_hash, &req.api_sealed, t)?;
    out(db, id, Some(req.api_sealed))
}

fn out(db: &Db, id: Id, api_sealed: Option<String>) -> Result<Reply, ApiError> {
    http::data(&UserOut {
        user: find(db, id)?.to_wire(None),
        api_sealed,
    })
}

/// The user itself or an admin (never a read-only user changing itself, never a disabled one).
fn self_or_admin(caller: &Caller, id: Id) -> Result<(), ApiError> {
    if caller.admin {
        return Ok(());
    }
    require_writer(caller)?;
    if caller.user_id == id {
        Ok(())
    } else {
        Err(ApiError::NotOwner(
            "only the user itself or an admin may change a user's password or token".into(),
        ))
    }
}

/// `internal::USER_PASSWORD`: a new password (the user with its old one, or an admin); every
/// session of the user ends; a new API token too when asked (`change_token`).
pub fn password(db: &Db, ctx: &Ctx, caller: &Caller) -> Result<Reply, ApiError> {
    let req: UserPassword = ctx.json()?;
    let id = Id(req.user_id);
    find(db, id)?;
    self_or_admin(caller, id)?;
    let t = us(now());
    if !caller.admin {
        let old = req
            .old
            .as_ref()
            .ok_or_else(|| ApiError::invalid("old password is required"))?;
        if old.user_id != Some(req.user_id) {
            return Err(ApiError::invalid("old password is for another user"));
        }
        signin::check(db, old, t)?;
    }
    if signin::parse_hash(&req.password_hash).is_none() {
        return Err(ApiError::invalid("new password is required"));
    }
    db.exec(
        "UPDATE users SET password_hash = ?, updated = ? WHERE id = ?",
        vec![
            req.password_hash.clone().into(),
            t.into(),
            id.as_i64().into(),
        ],
    )?;
    signin::end_sessions(db, id)?;
    let sealed = match (&req.api_hash, &req.api_sealed) {
        (Some(hash), Some(sealed)) => {
            signin::set_api_token(db, id.as_i64(), hash, sealed, t)?;
            Some(sealed.clone())
        }
        _ => None,
    };
    out(db, id, sealed)
}

/// `internal::USER_TOKEN`: a new API token for the user (itself or an admin); the old one
/// stops working.
pub fn token(db: &Db, ctx: &Ctx, caller: &Caller) -> Result<Reply, ApiError> {
    let req: UserToken = ctx.json()?;
    let id = Id(req.user_id);
    find(db, id)?;
    self_or_admin(caller, id)?;
    signin::set_api_token(db, id.as_i64(), &req.api_hash, &req.api_sealed, us(now()))?;
    out(db, id, Some(req.api_sealed))
}

pub fn edit(db: &Db, ctx: &Ctx, id: Id) -> Result<Reply, ApiError> {
    let input: UserInput = ctx.json()?;
    labrelay_api::limits::check_user(&input).map_err(ApiError::Invalid)?;
    let mut u = find(db, id)?;
    if let Some(name) = &input.name {
        u.name = check_name(db, name, id)?;
    }
    // A password comes through `internal::USER_PASSWORD` (the entry hashes it first).
    if let Some(v) = input.description {
        u.description = v;
    }
    if id.0 != 1 {
        // The built-in admin always stays an enabled admin, so the instance cannot lock itself out.
        if let Some(v) = input.admin {
            u.admin = v as i64;
        }
        if let Some(v) = input.disabled {
            u.disabled = v as i64;
        }
        if let Some(v) = input.readonly {
            u.readonly = v as i64;
        }
    }
    db.exec(
        "UPDATE users SET name = ?, description = ?, admin = ?, disabled = ?, readonly = ?,
         updated = ? WHERE id = ?",
        vec![
            u.name.clone().into(),
            u.description.clone().into(),
            u.admin.into(),
            u.disabled.into(),
            u.readonly.into(),
            us(now()).into(),
            id.as_i64().into(),
        ],
    )?;
    if u.disabled != 0 {
        signin::end_sessions(db, id)?;
    }
    http::data(&find(db, id)?.to_wire(None))
}

pub fn delete(db: &Db, caller: &Caller, id: Id) -> Result<Reply, ApiError> {
    find(db, id)?;
    if id.0 == 1 || id == caller.user_id {
        return Err(ApiError::Conflict(
            "cannot delete the built-in admin or yourself".into(),
        ));
    }
    db.exec(
        "DELETE FROM tokens WHERE user_id = ?",
        vec![id.as_i64().into()],
    )?;
    db.exec(
        "DELETE FROM lab_members WHERE user_id = ?",
        vec![id.as_i64().into()],
    )?;
    db.exec("DELETE FROM users WHERE id = ?", vec![id.as_i64().into()])?;
    Ok(Reply::NoContent)
}
