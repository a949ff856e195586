//! Configs: CDRouter config text, from which a job's interfaces are computed.

use super::crud::{self, get_row, Kind, Resource};
use super::db::{from_micros, json_string, parse_json, Db};
use super::http::{Caller, Ctx, Reply};
use super::list::Table;
use labrelay_api::error::ApiError;
use labrelay_api::interfaces;
use labrelay_api::resources::{Config, ConfigInput, CONFIG_SCHEMA};
use labrelay_api::Id;
use serde::Deserialize;

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
    crud::route::<ConfigRow>(db, ctx, caller, rest)
}

pub fn find(db: &Db, id: Id) -> Result<ConfigRow, ApiError> {
    get_row(db, &ConfigRow::KIND, id)
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

impl Resource for ConfigRow {
    const KIND: Kind = Kind {
        table: Table {
            name: "configs",
            columns: "*",
            indexed: &["name"],
        },
        noun: "config",
        schema: &CONFIG_SCHEMA,
    };
    type Input = ConfigInput;
    type Wire = Config;

    fn check(input: &Self::Input) -> Result<(), String> {
        labrelay_api::limits::check_config(input)
    }

    fn blank(name: String, user_id: i64, now_us: i64) -> Self {
        ConfigRow {
            id: 0,
            name,
            description: String::new(),
            contents: String::new(),
            tags: "[]".into(),
            note: String::new(),
            locked: 0,
            user_id,
            created: now_us,
            updated: now_us,
        }
    }

    fn apply(&mut self, input: ConfigInput) {
        if let Some(v) = input.description {
            self.description = v;
        }
        if let Some(v) = input.contents {
            self.contents = v;
        }
        if let Some(v) = input.tags {
            self.tags = json_string(&v);
        }
        if let Some(v) = input.note {
            self.note = v;
        }
        if let Some(v) = input.locked {
            self.locked = v as i64;
        }
    }

    fn wire(&self, _db: &Db, detailed: bool) -> Result<Config, ApiError> {
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

    fn store(&self, db: &Db, insert: bool) -> Result<i64, ApiError> {
        let c = self;
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

    fn locked(&self) -> bool {
        self.locked != 0
    }

    fn set_name(&mut self, name: String) {
        self.name = name;
    }

    fn set_updated(&mut self, now_us: i64) {
        self.updated = now_us;
    }
}
