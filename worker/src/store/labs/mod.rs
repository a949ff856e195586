//! Labs, in the directory (the default lab's object): their names and members, their life
//! (deleted labs kept for a restore, then purged), and `internal::WHOIS`, which tells the
//! entry worker who a user token belongs to and which labs it may use. A lab's own records
//! live in its own object.
//!
//! | route | who |
//! |---|---|
//! | `GET labs/` (`?deleted=true`: the deleted labs, admins) | every user: the labs it may use |
//! | `GET labs/{name}` | its members and admins |
//! | `POST labs/`, `PATCH labs/{name}` | admins |
//! | `DELETE labs/{name}` (`?purge=true`: removed for good now) | admins |
//! | `POST labs/{name}/restore` | admins |

mod calls;
mod deleted;
mod deliver;
mod rows;

use super::auth::{self, require_admin};
use super::db::{us, Db};
use super::http::{self, Caller, Ctx, Reply};
use crate::error::now;
use calls::Call;
use labrelay_api::error::ApiError;
use labrelay_api::labs::{
    valid_name, LabInput, RestoreInput, Whois, DEFAULT_LAB, DELETED_LAB_KEEP_DAYS, MAX_LABS,
};
use labrelay_api::limits::{MAX_DESCRIPTION, MAX_NAME};
use labrelay_api::query::parse_bool;

pub use calls::next_due as next_call;

/// `internal::WHOIS`: the token's user and its labs (401 unknown, 403 an agent's token).
pub fn whois(db: &Db, ctx: &Ctx) -> Result<Reply, ApiError> {
    let caller = auth::by_token(db, ctx.bearer.as_deref())?;
    http::data(&Whois {
        user_id: caller.user_id,
        admin: caller.admin,
        readonly: caller.readonly,
        labs: rows::refs_of(db, &caller)?,
    })
}

/// `internal::LABS_KNOWN`: every live lab, for the entry's routing.
pub fn known(db: &Db) -> Result<Reply, ApiError> {
    http::data(&crate::internal::KnownLabs {
        labs: rows::known(db)?,
    })
}

fn flag(ctx: &Ctx, key: &str) -> Result<bool, ApiError> {
    match ctx.param(key) {
        Some(v) if !v.is_empty() => parse_bool(key, v).map_err(ApiError::Query),
        _ => Ok(false),
    }
}

/// `GET /api/v1/labs/`: the labs the caller may use, the default first; with `?deleted=true`
/// (admins) the deleted labs kept for a restore.
pub fn list(db: &Db, ctx: &Ctx, caller: &Caller) -> Result<Reply, ApiError> {
    if flag(ctx, "deleted")? {
        require_admin(caller)?;
        let out: Result<Vec<_>, _> = deleted::list(db)?.iter().map(|d| d.to_wire()).collect();
        return http::data(&out?);
    }
    let mut out = vec![rows::default_lab()];
    for name in rows::labs_of(db, caller)? {
        out.push(rows::to_wire(db, rows::find(db, &name)?)?);
    }
    http::data(&out)
}

/// A lab the caller may use.
pub fn get(db: &Db, caller: &Caller, name: &str) -> Result<Reply, ApiError> {
    if name == DEFAULT_LAB {
        return http::data(&rows::default_lab());
    }
    if !rows::labs_of(db, caller)?.iter().any(|l| l == name) {
        return Err(ApiError::NotFound("lab"));
    }
    http::data(&rows::to_wire(db, rows::find(db, name)?)?)
}

fn check(db: &Db, input: &LabInput) -> Result<(), ApiError> {
    if input
        .description
        .as_ref()
        .is_some_and(|d| d.len() > MAX_DESCRIPTION)
    {
        return Err(ApiError::invalid(format!(
            "description is at most {MAX_DESCRIPTION} bytes"
        )));
    }
    if let Some(members) = &input.members {
        if members.len() > 10_000 {
            return Err(ApiError::invalid("at most 10000 members"));
        }
        for m in members {
            let known = db.int(
                "SELECT count(*) FROM users WHERE id = ?",
                vec![m.as_i64().into()],
            )?;
            if known == 0 {
                return Err(ApiError::invalid(format!("members: no such user {}", m.0)));
            }
        }
    }
    Ok(())
}

/// A new lab: a new incarnation of its name (its creation time), so a name used before
/// starts empty, with an object, agents and files of its own.
pub fn create(db: &Db, ctx: &Ctx) -> Result<Reply, ApiError> {
    let input: LabInput = ctx.json()?;
    let name = input.name.clone().unwrap_or_default();
    if name == DEFAULT_LAB || !valid_name(&name) || name.len() > MAX_NAME {
        return Err(ApiError::invalid(
            "name: 1-40 of a-z, 0-9 and -, not starting with - (and not \"default\")",
        ));
    }
    check(db, &input)?;
    if rows::exists(db, &name)? {
        return Err(ApiError::NameTaken);
    }
    if db.int("SELECT count(*) FROM labs", vec![])? as usize >= MAX_LABS {
        return Err(ApiError::invalid(format!("at most {MAX_LABS} labs")));
    }
    let t = us(now());
    // Past any incarnation of this name still kept (clocks only move on, but never trust one).
    let incarnation = t.max(db.int(
        "SELECT coalesce(max(incarnation), 0) + 1 FROM deleted_labs WHERE name = ?",
        vec![name.clone().into()],
    )?);
    db.exec(
        "INSERT INTO labs (name, description, created, updated, incarnation)
         VALUES (?, ?, ?, ?, ?)",
        vec![
            name.clone().into(),
            input.description.clone().unwrap_or_default().into(),
            t.into(),
            t.into(),
            incarnation.into(),
        ],
    )?;
    if let Some(members) = &input.members {
        rows::set_members(db, &name, members)?;
    }
    http::data(&rows::to_wire(db, rows::find(db, &name)?)?)
}

pub fn edit(db: &Db, ctx: &Ctx, name: &str) -> Result<Reply, ApiError> {
    let input: LabInput = ctx.json()?;
    rows::find(db, name)?;
    check(db, &input)?;
    if input.name.as_deref().is_some_and(|n| n != name) {
        return Err(ApiError::invalid("a lab cannot be renamed"));
    }
    if let Some(d) = &input.description {
        db.exec(
            "UPDATE labs SET description = ? WHERE name = ?",
            vec![d.clone().into(), name.to_string().into()],
        )?;
    }
    if let Some(members) = &input.members {
        rows::set_members(db, name, members)?;
    }
    db.exec(
        "UPDATE labs SET updated = ? WHERE name = ?",
        vec![us(now()).into(), name.to_string().into()],
    )?;
    http::data(&rows::to_wire(db, rows::find(db, name)?)?)
}

/// Deletes a lab: it leaves the list at once (the entry refuses its users and agents), its
/// object is closed (unfinished jobs stopped) and it is kept, members and all, for
/// `DELETED_LAB_KEEP_DAYS` — or purged now with `purge`.
/// `DELETE /api/v1/labs/{name}` (`?purge=true`: its records and files go at once).
pub fn delete(db: &Db, ctx: &Ctx, name: &str) -> Result<Reply, ApiError> {
    let purge = flag(ctx, "purge")?;
    let row = rows::find(db, name)?;
    if !purge && deleted::count(db)? as usize >= MAX_LABS {
        return Err(ApiError::Conflict(format!(
            "{MAX_LABS} deleted labs are kept for a restore already: delete with ?purge=true to remove this one for good"
        )));
    }
    let t = us(now());
    let purge_after = if purge {
        t
    } else {
        t + DELETED_LAB_KEEP_DAYS * 86_400 * 1_000_000
    };
    let members = rows::members(db, name)?;
    deleted::insert(db, &row, &members, t, purge_after)?;
    db.exec(
        "DELETE FROM lab_members WHERE lab = ?",
        vec![name.to_string().into()],
    )?;
    db.exec(
        "DELETE FROM labs WHERE name = ?",
        vec![name.to_string().into()],
    )?;
    let lab = row.lab_ref();
    calls::queue(db, &lab, Call::Close, t)?;
    calls::queue(db, &lab, Call::Purge, purge_after)?;
    Ok(Reply::NoContent)
}

/// Brings a deleted lab back under its name (agents' tokens name the lab): its object
/// reopens with its records, agents and files as they were; its jobs stay as they ended.
pub fn restore(db: &Db, ctx: &Ctx, name: &str) -> Result<Reply, ApiError> {
    let input: RestoreInput = ctx.json()?;
    let row = deleted::find(db, name, input.incarnation)?;
    let lab = row.lab_ref();
    if rows::exists(db, name)? {
        return Err(ApiError::Conflict(format!(
            "a lab named {name} exists: delete it first to restore this one"
        )));
    }
    if calls::purge_begun(db, &lab)? {
        return Err(ApiError::Conflict(format!(
            "lab {name} is being removed for good: it can no longer be restored"
        )));
    }
    if db.int("SELECT count(*) FROM labs", vec![])? as usize >= MAX_LABS {
        return Err(ApiError::invalid(format!("at most {MAX_LABS} labs")));
    }
    calls::cancel_purge(db, &lab)?;
    db.exec(
        "INSERT INTO labs (name, description, created, updated, incarnation)
         VALUES (?, ?, ?, ?, ?)",
        vec![
            row.name.clone().into(),
            row.description.clone().into(),
            row.created.into(),
            us(now()).into(),
            row.incarnation.into(),
        ],
    )?;
    rows::set_members(db, name, &row.members()?)?;
    deleted::remove(db, &lab)?;
    calls::queue(db, &lab, Call::Reopen, us(now()))?;
    http::data(&rows::to_wire(db, rows::find(db, name)?)?)
}
