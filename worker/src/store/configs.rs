//! Configs: CDRouter config text, from which a job's interfaces are computed.

use super::crud::{self, check_name, check_unlocked, get_row, Kind, Resource};
use super::db::{from_micros, json_string, parse_json, us, Db};
use super::http::{self, Caller, Ctx, Reply};
use super::list::{self, Table};
use crate::error::now;
use labrelay_api::error::ApiError;
use labrelay_api::interfaces;
use labrelay_api::query::ListQuery;
use labrelay_api::resources::{Config, ConfigInput, CONFIG_SCHEMA};
use labrelay_api::Id;
use serde::Deserialize;

pub struct Configs;

#[derive(Deserialize)]
pub struct ConfigRow {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub contents: String,
    pub tags: String,
    pub note: String,
    pub locked: i64,
    pub user_id: i64,
    pub created: i64,
    pub updated: i64,
}

pub fn route(db: &Db, ctx: &Ctx, caller: &Caller, rest: &[&str]) -> Result<Reply, ApiError> {
    crud::route::<Configs>(db, ctx, caller, rest)
}

pub fn find(db: &Db, id: Id) -> Result<ConfigRow, ApiError> {
    get_row(db, &Configs::KIND, id)
}

/// The text of a config; "" for none (id 0) or one that no longer exists.
pub fn contents(db: &Db, id: Id) -> Result<String, ApiError> {
    if id.is_none() {
        return Ok(String::new());
    }
    match find(db, id) {
        Ok(c) => Ok(c.contents),
        Err(ApiError::NotFound(_)) => Ok(String::new()),
        Err(e) => Err(e),
    }
}

impl ConfigRow {
    fn to_wire(&self, detailed: bool) -> Result<Config, ApiError> {
        Ok(Config {
            id: Id(self.id as u64),
            name: self.name.clone(),
            description: self.description.clone(),
            contents: detailed.then(|| self.contents.clone()),
            tags: parse_json(&self.tags)?,
            note: detailed.then(|| self.note.clone()),
            locked: self.locked != 0,
            user_id: Id(self.user_id as u64),
            created: from_micros(self.created),
            updated: from_micros(self.updated),
            interfaces: detailed
                .then(|| interfaces::compute(&self.contents, &[], &[]).unwrap_or_default()),
        })
    }
}

fn apply(c: &mut ConfigRow, input: ConfigInput) {
    if let Some(v) = input.description {
        c.description = v;
    }
    if let Some(v) = input.contents {
        c.contents = v;
    }
    if let Some(v) = input.tags {
        c.tags = json_string(&v);
    }
    if let Some(v) = input.note {
        c.note = v;
    }
    if let Some(v) = input.locked {
        c.locked = v as i64;
    }
}

fn store(db: &Db, c: &ConfigRow, insert: bool) -> Result<i64, ApiError> {
    let binds = vec![
        c.name.clone().into(),
        c.description.clone().into(),
        c.contents.clone().into(),
        c.tags.clone().into(),
        c.note.clone().into(),
        c.locked.into(),
        c.user_id.into(),
        c.created.into(),
        c.updated.into(),
        c.id.into(),
    ];
    if insert {
        db.exec(
            "INSERT INTO configs (name, description, contents, tags, note, locked, user_id,
             created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            binds[..9].to_vec(),
        )?;
        db.last_id()
    } else {
        db.exec(
            "UPDATE configs SET name = ?, description = ?, contents = ?, tags = ?, note = ?,
             locked = ?, user_id = ?, created = ?, updated = ? WHERE id = ?",
            binds,
        )?;
        Ok(c.id)
    }
}

impl Resource for Configs {
    const KIND: Kind = Kind {
        table: Table {
            name: "configs",
            columns: "*",
        },
        noun: "config",
        schema: &CONFIG_SCHEMA,
    };

    fn list(db: &Db, q: &ListQuery) -> Result<Reply, ApiError> {
        let (rows, links) = list::page::<ConfigRow>(
            db,
            &Self::KIND.table,
            &q.plan(),
            &q.order_by_sql("id ASC"),
            &q.page,
        )?;
        let items = rows
            .iter()
            .map(|r| r.to_wire(q.detailed))
            .collect::<Result<Vec<_>, _>>()?;
        http::list(&items, &links)
    }

    fn create(db: &Db, ctx: &Ctx, caller: &Caller) -> Result<Reply, ApiError> {
        let input: ConfigInput = ctx.json()?;
        let t = us(now());
        let mut c = ConfigRow {
            id: 0,
            name: check_name(
                db,
                &Self::KIND,
                input.name.as_deref().unwrap_or(""),
                Id::NONE,
            )?,
            description: String::new(),
            contents: String::new(),
            tags: "[]".into(),
            note: String::new(),
            locked: 0,
            user_id: caller.user_id.as_i64(),
            created: t,
            updated: t,
        };
        apply(&mut c, input);
        let id = store(db, &c, true)?;
        Self::get(db, Id(id as u64))
    }

    fn get(db: &Db, id: Id) -> Result<Reply, ApiError> {
        http::data(&find(db, id)?.to_wire(true)?)
    }

    fn edit(db: &Db, ctx: &Ctx, id: Id) -> Result<Reply, ApiError> {
        let input: ConfigInput = ctx.json()?;
        let mut c = find(db, id)?;
        check_unlocked(&Self::KIND, c.locked != 0, input.locked)?;
        if let Some(name) = &input.name {
            c.name = check_name(db, &Self::KIND, name, id)?;
        }
        apply(&mut c, input);
        c.updated = us(now());
        store(db, &c, false)?;
        Self::get(db, id)
    }
}
