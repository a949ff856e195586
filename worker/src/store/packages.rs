//! Packages: a testlist plus the config, device and lab agent it runs with.

use super::crud::{self, check_name, check_unlocked, exists, get_row, Kind, Resource};
use super::db::{from_micros, json_string, parse_json, us, Db};
use super::http::{self, Caller, Ctx, Reply};
use super::list::{self, Table};
use crate::error::now;
use labrelay_api::error::ApiError;
use labrelay_api::interfaces;
use labrelay_api::query::ListQuery;
use labrelay_api::resources::{Package, PackageInput, PACKAGE_SCHEMA};
use labrelay_api::Id;
use serde::Deserialize;

pub struct Packages;

#[derive(Deserialize)]
pub struct PackageRow {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub testlist: String,
    pub extra_cli_args: String,
    pub config_id: i64,
    pub device_id: i64,
    pub agent_id: i64,
    pub tags: String,
    pub note: String,
    pub locked: i64,
    pub user_id: i64,
    pub created: i64,
    pub updated: i64,
}

pub fn route(db: &Db, ctx: &Ctx, caller: &Caller, rest: &[&str]) -> Result<Reply, ApiError> {
    crud::route::<Packages>(db, ctx, caller, rest)
}

pub fn find(db: &Db, id: Id) -> Result<PackageRow, ApiError> {
    get_row(db, &Packages::KIND, id)
}

impl PackageRow {
    pub fn testlist(&self) -> Result<Vec<String>, ApiError> {
        parse_json(&self.testlist)
    }

    pub fn to_wire(&self, db: &Db, detailed: bool) -> Result<Package, ApiError> {
        let testlist = self.testlist()?;
        let interfaces = if detailed {
            let contents = super::configs::contents(db, Id(self.config_id as u64))?;
            Some(interfaces::compute(&contents, &[], &[&self.extra_cli_args]).unwrap_or_default())
        } else {
            None
        };
        Ok(Package {
            id: Id(self.id as u64),
            name: self.name.clone(),
            description: self.description.clone(),
            test_count: testlist.len() as u64,
            testlist: detailed.then_some(testlist),
            extra_cli_args: detailed.then(|| self.extra_cli_args.clone()),
            config_id: Id(self.config_id as u64),
            device_id: Id(self.device_id as u64),
            agent_id: Id(self.agent_id as u64),
            tags: parse_json(&self.tags)?,
            note: detailed.then(|| self.note.clone()),
            locked: self.locked != 0,
            user_id: Id(self.user_id as u64),
            created: from_micros(self.created),
            updated: from_micros(self.updated),
            interfaces,
        })
    }
}

/// Checks what a create or edit would store.
fn validate(db: &Db, p: &PackageRow) -> Result<(), ApiError> {
    if p.config_id != 0 && !exists(db, "configs", Id(p.config_id as u64))? {
        return Err(ApiError::NotFound("config"));
    }
    if p.device_id != 0 && !exists(db, "devices", Id(p.device_id as u64))? {
        return Err(ApiError::NotFound("device"));
    }
    interfaces::cli_testvars(&p.extra_cli_args).map_err(|e| ApiError::invalid(e.to_string()))?;
    Ok(())
}

fn apply(p: &mut PackageRow, input: PackageInput) {
    if let Some(v) = input.description {
        p.description = v;
    }
    if let Some(v) = input.testlist {
        p.testlist = json_string(&v);
    }
    if let Some(v) = input.extra_cli_args {
        p.extra_cli_args = v;
    }
    if let Some(v) = input.config_id {
        p.config_id = v.as_i64();
    }
    if let Some(v) = input.device_id {
        p.device_id = v.as_i64();
    }
    if let Some(v) = input.agent_id {
        p.agent_id = v.as_i64();
    }
    if let Some(v) = input.tags {
        p.tags = json_string(&v);
    }
    if let Some(v) = input.note {
        p.note = v;
    }
    if let Some(v) = input.locked {
        p.locked = v as i64;
    }
}

fn store(db: &Db, p: &PackageRow, insert: bool) -> Result<i64, ApiError> {
    let binds = vec![
        p.name.clone().into(),
        p.description.clone().into(),
        p.testlist.clone().into(),
        p.extra_cli_args.clone().into(),
        p.config_id.into(),
        p.device_id.into(),
        p.agent_id.into(),
        p.tags.clone().into(),
        p.note.clone().into(),
        p.locked.into(),
        p.user_id.into(),
        p.created.into(),
        p.updated.into(),
        p.id.into(),
    ];
    if insert {
        db.exec(
            "INSERT INTO packages (name, description, testlist, extra_cli_args, config_id,
             device_id, agent_id, tags, note, locked, user_id, created, updated)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            binds[..13].to_vec(),
        )?;
        db.last_id()
    } else {
        db.exec(
            "UPDATE packages SET name = ?, description = ?, testlist = ?, extra_cli_args = ?,
             config_id = ?, device_id = ?, agent_id = ?, tags = ?, note = ?, locked = ?,
             user_id = ?, created = ?, updated = ? WHERE id = ?",
            binds,
        )?;
        Ok(p.id)
    }
}

impl Resource for Packages {
    const KIND: Kind = Kind {
        table: Table {
            name: "packages",
            columns: "*",
        },
        noun: "package",
        schema: &PACKAGE_SCHEMA,
    };

    fn list(db: &Db, q: &ListQuery) -> Result<Reply, ApiError> {
        let (rows, links) = list::page::<PackageRow>(
            db,
            &Self::KIND.table,
            &q.plan(),
            &q.order_by_sql("id ASC"),
            &q.page,
        )?;
        let items = rows
            .iter()
            .map(|r| r.to_wire(db, q.detailed))
            .collect::<Result<Vec<_>, _>>()?;
        http::list(&items, &links)
    }

    fn create(db: &Db, ctx: &Ctx, caller: &Caller) -> Result<Reply, ApiError> {
        let input: PackageInput = ctx.json()?;
        let t = now();
        let mut p = PackageRow {
            id: 0,
            name: check_name(
                db,
                &Self::KIND,
                input.name.as_deref().unwrap_or(""),
                Id::NONE,
            )?,
            description: String::new(),
            testlist: "[]".into(),
            extra_cli_args: String::new(),
            config_id: 0,
            device_id: 0,
            agent_id: 0,
            tags: "[]".into(),
            note: String::new(),
            locked: 0,
            user_id: caller.user_id.as_i64(),
            created: us(t),
            updated: us(t),
        };
        apply(&mut p, input);
        validate(db, &p)?;
        let id = store(db, &p, true)?;
        Self::get(db, Id(id as u64))
    }

    fn get(db: &Db, id: Id) -> Result<Reply, ApiError> {
        http::data(&find(db, id)?.to_wire(db, true)?)
    }

    fn edit(db: &Db, ctx: &Ctx, id: Id) -> Result<Reply, ApiError> {
        let input: PackageInput = ctx.json()?;
        let mut p = find(db, id)?;
        check_unlocked(&Self::KIND, p.locked != 0, input.locked)?;
        if let Some(name) = &input.name {
            p.name = check_name(db, &Self::KIND, name, id)?;
        }
        apply(&mut p, input);
        p.updated = us(now());
        validate(db, &p)?;
        store(db, &p, false)?;
        Self::get(db, id)
    }
}
