//! Configs: CDRouter config text, from which a job's interfaces are computed.

use super::columns::{record, Record};
use super::crud::{get_row, Resource};
use super::db::{from_micros, parse_json, Db};
use labrelay_api::error::ApiError;
use labrelay_api::interfaces;
use labrelay_api::resources::{Config, ConfigInput};
use labrelay_api::Id;

record! {
    pub struct ConfigRow: ConfigInput, table "configs", noun "config", query CONFIG_SCHEMA {
        contents: String = String::new() => text, filter Str;
    }
    computed {}
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
    type Wire = Config;

    fn check(input: &Self::Input) -> Result<(), String> {
        labrelay_api::limits::check_config(input)
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
}
