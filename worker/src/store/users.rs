//! Users and `/authenticate`. Managing users is for admins; a user may read itself.

use super::auth::{hash_password, mint, require_admin, verify_password};
use super::db::{from_micros, us, Db};
use super::http::{self, parse_id, Caller, Ctx, Reply};
use super::list::{self, Table};
use crate::error::now;
use labrelay_api::error::ApiError;
use labrelay_api::query::ListQuery;
use labrelay_api::users::{User, UserInput, USER_SCHEMA};
use labrelay_api::Id;
use serde::Deserialize;
use worker::Method;

const TABLE: Table = Table {
    name: "users",
    columns: "id, name, description, admin, disabled, password_hash, created, updated",
};

#[derive(Deserialize)]
struct UserRow {
    id: i64,
    name: String,
    description: String,
    admin: i64,
    disabled: i64,
    password_hash: String,
    created: i64,
    updated: i64,
}

impl UserRow {
    fn to_wire(&self, token: Option<String>) -> User {
        User {
            id: Id(self.id as u64),
            admin: self.admin != 0,
            disabled: self.disabled != 0,
            name: self.name.clone(),
            description: self.description.clone(),
            created: from_micros(self.created),
            updated: from_micros(self.updated),
            token,
        }
    }
}

fn find(db: &Db, id: Id) -> Result<UserRow, ApiError> {
    db.first(
        &format!("SELECT {} FROM users WHERE id = ?", TABLE.columns),
        vec![id.as_i64().into()],
    )?
    .ok_or(ApiError::NotFound("user"))
}

/// `POST /authenticate` with `username` and `password` (form body or query): a new token.
pub fn authenticate(db: &Db, ctx: &Ctx) -> Result<Reply, ApiError> {
    let (Some(name), Some(password)) = (ctx.form("username"), ctx.form("password")) else {
        return Err(ApiError::BadLogin);
    };
    let row: Option<UserRow> = db.first(
        &format!("SELECT {} FROM users WHERE name = ?", TABLE.columns),
        vec![name.into()],
    )?;
    let user = row
        .filter(|u| u.disabled == 0 && verify_password(&password, &u.password_hash))
        .ok_or(ApiError::BadLogin)?;
    let token = mint(db, Id(user.id as u64), "login")?;
    http::data(&user.to_wire(Some(token)))
}

pub fn route(db: &Db, ctx: &Ctx, caller: &Caller, rest: &[&str]) -> Result<Reply, ApiError> {
    match (rest, &ctx.method) {
        ([id], Method::Get) => {
            let id = parse_id(id, "user")?;
            if id != caller.user_id {
                require_admin(caller)?;
            }
            http::data(&find(db, id)?.to_wire(None))
        }
        _ => {
            require_admin(caller)?;
            match (rest, &ctx.method) {
                ([], Method::Get) => list(db, &ListQuery::parse(&ctx.query, &USER_SCHEMA)?),
                ([], Method::Post) => create(db, ctx),
                ([id], Method::Patch | Method::Put) => edit(db, ctx, parse_id(id, "user")?),
                ([id], Method::Delete) => delete(db, caller, parse_id(id, "user")?),
                ([], _) | ([_], _) => Err(ApiError::MethodNotAllowed),
                _ => Err(ApiError::NoRoute),
            }
        }
    }
}

fn list(db: &Db, q: &ListQuery) -> Result<Reply, ApiError> {
    let (rows, links) =
        list::page::<UserRow>(db, &TABLE, &q.plan(), &q.order_by_sql("id ASC"), &q.page)?;
    let items: Vec<User> = rows.iter().map(|r| r.to_wire(None)).collect();
    http::list(&items, &links)
}

fn check_password(input: &UserInput) -> Result<Option<String>, ApiError> {
    let Some(pw) = &input.password else {
        return Ok(None);
    };
    if pw.len() < 8 {
        return Err(ApiError::invalid("password must be at least 8 characters"));
    }
    if input.password_confirm.as_ref().is_some_and(|c| c != pw) {
        return Err(ApiError::invalid("password and password_confirm differ"));
    }
    Ok(Some(hash_password(pw)?))
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

fn create(db: &Db, ctx: &Ctx) -> Result<Reply, ApiError> {
    let input: UserInput = ctx.json()?;
    let name = check_name(db, input.name.as_deref().unwrap_or(""), Id::NONE)?;
    let hash = check_password(&input)?.ok_or_else(|| ApiError::invalid("password is required"))?;
    let t = us(now());
    db.exec(
        "INSERT INTO users (name, description, admin, disabled, password_hash, created, updated)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        vec![
            name.into(),
            input.description.clone().unwrap_or_default().into(),
            (input.admin.unwrap_or(false) as i64).into(),
            (input.disabled.unwrap_or(false) as i64).into(),
            hash.into(),
            t.into(),
            t.into(),
        ],
    )?;
    let id = Id(db.last_id()? as u64);
    let token = mint(db, id, "api")?;
    http::data(&find(db, id)?.to_wire(Some(token)))
}

fn edit(db: &Db, ctx: &Ctx, id: Id) -> Result<Reply, ApiError> {
    let input: UserInput = ctx.json()?;
    let mut u = find(db, id)?;
    if let Some(name) = &input.name {
        u.name = check_name(db, name, id)?;
    }
    if let Some(hash) = check_password(&input)? {
        u.password_hash = hash;
    }
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
    }
    db.exec(
        "UPDATE users SET name = ?, description = ?, admin = ?, disabled = ?, password_hash = ?,
         updated = ? WHERE id = ?",
        vec![
            u.name.clone().into(),
            u.description.clone().into(),
            u.admin.into(),
            u.disabled.into(),
            u.password_hash.clone().into(),
            us(now()).into(),
            id.as_i64().into(),
        ],
    )?;
    http::data(&find(db, id)?.to_wire(None))
}

fn delete(db: &Db, caller: &Caller, id: Id) -> Result<Reply, ApiError> {
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
    db.exec("DELETE FROM users WHERE id = ?", vec![id.as_i64().into()])?;
    Ok(Reply::NoContent)
}
