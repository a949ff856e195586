//! Labs, in the directory (the default lab's object): their names and members, and
//! `internal::WHOIS`, which tells the entry worker who a user token belongs to and which labs
//! it may use. A lab's own records live in its own object.

use super::auth::{self, require_admin};
use super::db::{from_micros, us, Db};
use super::http::{self, Caller, Ctx, Reply};
use crate::error::now;
use labrelay_api::error::ApiError;
use labrelay_api::labs::{valid_name, Lab, LabInput, Whois, DEFAULT_LAB, MAX_LABS};
use labrelay_api::limits::{MAX_DESCRIPTION, MAX_NAME};
use labrelay_api::Id;
use serde::Deserialize;
use worker::Method;

#[derive(Deserialize)]
struct LabRow {
    name: String,
    description: String,
    created: i64,
    updated: i64,
}

#[derive(Deserialize)]
struct Member {
    user_id: i64,
}

#[derive(Deserialize)]
struct Name {
    name: String,
}

fn wire(db: &Db, row: LabRow) -> Result<Lab, ApiError> {
    let members: Vec<Member> = db.rows(
        "SELECT user_id FROM lab_members WHERE lab = ? ORDER BY user_id",
        vec![row.name.clone().into()],
    )?;
    Ok(Lab {
        members: members.into_iter().map(|m| Id(m.user_id as u64)).collect(),
        name: row.name,
        description: row.description,
        created: from_micros(row.created),
        updated: from_micros(row.updated),
    })
}

fn find(db: &Db, name: &str) -> Result<LabRow, ApiError> {
    db.first(
        "SELECT name, description, created, updated FROM labs WHERE name = ?",
        vec![name.to_string().into()],
    )?
    .ok_or(ApiError::NotFound("lab"))
}

/// The labs a user may use besides the default: all for an admin, else its memberships.
fn labs_of(db: &Db, caller: &Caller) -> Result<Vec<String>, ApiError> {
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

/// `internal::WHOIS`: the token's user and its labs (401 unknown, 403 an agent's token).
pub fn whois(db: &Db, ctx: &Ctx) -> Result<Reply, ApiError> {
    let caller = auth::by_token(db, ctx.bearer.as_deref())?;
    http::data(&Whois {
        user_id: caller.user_id,
        admin: caller.admin,
        readonly: caller.readonly,
        labs: labs_of(db, &caller)?,
    })
}

/// `/api/v1/labs/...`: every user lists the labs it may use (the default first); admins
/// create, edit and delete them.
pub fn route(db: &Db, ctx: &Ctx, caller: &Caller, rest: &[&str]) -> Result<Reply, ApiError> {
    match (rest, &ctx.method) {
        ([], Method::Get) => {
            let mut out = vec![default_lab()];
            for name in labs_of(db, caller)? {
                out.push(wire(db, find(db, &name)?)?);
            }
            http::data(&out)
        }
        ([name], Method::Get) => {
            if *name == DEFAULT_LAB {
                return http::data(&default_lab());
            }
            if !labs_of(db, caller)?.iter().any(|l| l == name) {
                return Err(ApiError::NotFound("lab"));
            }
            http::data(&wire(db, find(db, name)?)?)
        }
        ([], Method::Post) => {
            require_admin(caller)?;
            create(db, ctx)
        }
        ([name], Method::Patch | Method::Put) => {
            require_admin(caller)?;
            edit(db, ctx, name)
        }
        ([name], Method::Delete) => {
            require_admin(caller)?;
            find(db, name)?;
            db.exec(
                "DELETE FROM lab_members WHERE lab = ?",
                vec![name.to_string().into()],
            )?;
            db.exec(
                "DELETE FROM labs WHERE name = ?",
                vec![name.to_string().into()],
            )?;
            Ok(Reply::NoContent)
        }
        ([], _) | ([_], _) => Err(ApiError::MethodNotAllowed),
        _ => Err(ApiError::NoRoute),
    }
}

/// The default lab: always there, open to every user.
fn default_lab() -> Lab {
    Lab {
        name: DEFAULT_LAB.to_string(),
        description: "the default lab (the bare /api/v1)".to_string(),
        members: Vec::new(),
        created: from_micros(0),
        updated: from_micros(0),
    }
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

fn set_members(db: &Db, lab: &str, members: &Option<Vec<Id>>) -> Result<(), ApiError> {
    let Some(members) = members else {
        return Ok(());
    };
    db.exec(
        "DELETE FROM lab_members WHERE lab = ?",
        vec![lab.to_string().into()],
    )?;
    for m in members {
        db.exec(
            "INSERT OR IGNORE INTO lab_members (lab, user_id) VALUES (?, ?)",
            vec![lab.to_string().into(), m.as_i64().into()],
        )?;
    }
    Ok(())
}

fn create(db: &Db, ctx: &Ctx) -> Result<Reply, ApiError> {
    let input: LabInput = ctx.json()?;
    let name = input.name.clone().unwrap_or_default();
    if name == DEFAULT_LAB || !valid_name(&name) || name.len() > MAX_NAME {
        return Err(ApiError::invalid(
            "name: 1-40 of a-z, 0-9 and -, not starting with - (and not \"default\")",
        ));
    }
    check(db, &input)?;
    if db.int(
        "SELECT count(*) FROM labs WHERE name = ?",
        vec![name.clone().into()],
    )? > 0
    {
        return Err(ApiError::NameTaken);
    }
    if db.int("SELECT count(*) FROM labs", vec![])? as usize >= MAX_LABS {
        return Err(ApiError::invalid(format!("at most {MAX_LABS} labs")));
    }
    let t = us(now());
    db.exec(
        "INSERT INTO labs (name, description, created, updated) VALUES (?, ?, ?, ?)",
        vec![
            name.clone().into(),
            input.description.clone().unwrap_or_default().into(),
            t.into(),
            t.into(),
        ],
    )?;
    set_members(db, &name, &input.members)?;
    http::data(&wire(db, find(db, &name)?)?)
}

fn edit(db: &Db, ctx: &Ctx, name: &str) -> Result<Reply, ApiError> {
    let input: LabInput = ctx.json()?;
    find(db, name)?;
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
    set_members(db, name, &input.members)?;
    db.exec(
        "UPDATE labs SET updated = ? WHERE name = ?",
        vec![us(now()).into(), name.to_string().into()],
    )?;
    http::data(&wire(db, find(db, name)?)?)
}
