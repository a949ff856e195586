//! Devices: the routers and gateways under test, described free-form.

use super::crud::{self, check_name, check_unlocked, get_row, Kind, Resource};
use super::db::{from_micros, json_string, parse_json, us, Db};
use super::http::{self, Caller, Ctx, Reply};
use super::list::{self, Table};
use crate::error::now;
use labrelay_api::error::ApiError;
use labrelay_api::query::ListQuery;
use labrelay_api::resources::{Device, DeviceInput, DEVICE_SCHEMA};
use labrelay_api::Id;
use serde::Deserialize;

pub struct Devices;

#[derive(Deserialize)]
pub struct DeviceRow {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub tags: String,
    pub note: String,
    pub locked: i64,
    pub user_id: i64,
    pub created: i64,
    pub updated: i64,
    pub manufacturer: String,
    pub model_name: String,
    pub serial_number: String,
    pub software_version: String,
}

pub fn route(db: &Db, ctx: &Ctx, caller: &Caller, rest: &[&str]) -> Result<Reply, ApiError> {
    crud::route::<Devices>(db, ctx, caller, rest)
}

pub fn find(db: &Db, id: Id) -> Result<DeviceRow, ApiError> {
    get_row(db, &Devices::KIND, id)
}

impl DeviceRow {
    pub fn to_wire(&self) -> Result<Device, ApiError> {
        Ok(Device {
            id: Id(self.id as u64),
            name: self.name.clone(),
            description: self.description.clone(),
            tags: parse_json(&self.tags)?,
            note: self.note.clone(),
            locked: self.locked != 0,
            user_id: Id(self.user_id as u64),
            created: from_micros(self.created),
            updated: from_micros(self.updated),
            manufacturer: self.manufacturer.clone(),
            model_name: self.model_name.clone(),
            serial_number: self.serial_number.clone(),
            software_version: self.software_version.clone(),
        })
    }
}

fn apply(d: &mut DeviceRow, input: DeviceInput) {
    let set = |slot: &mut String, v: Option<String>| {
        if let Some(v) = v {
            *slot = v;
        }
    };
    set(&mut d.description, input.description);
    set(&mut d.note, input.note);
    set(&mut d.manufacturer, input.manufacturer);
    set(&mut d.model_name, input.model_name);
    set(&mut d.serial_number, input.serial_number);
    set(&mut d.software_version, input.software_version);
    if let Some(v) = input.tags {
        d.tags = json_string(&v);
    }
    if let Some(v) = input.locked {
        d.locked = v as i64;
    }
}

fn store(db: &Db, d: &DeviceRow, insert: bool) -> Result<i64, ApiError> {
    let binds = vec![
        d.name.clone().into(),
        d.description.clone().into(),
        d.tags.clone().into(),
        d.note.clone().into(),
        d.locked.into(),
        d.user_id.into(),
        d.created.into(),
        d.updated.into(),
        d.manufacturer.clone().into(),
        d.model_name.clone().into(),
        d.serial_number.clone().into(),
        d.software_version.clone().into(),
        d.id.into(),
    ];
    if insert {
        db.exec(
            "INSERT INTO devices (name, description, tags, note, locked, user_id, created,
             updated, manufacturer, model_name, serial_number, software_version)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            binds[..12].to_vec(),
        )?;
        db.last_id()
    } else {
        db.exec(
            "UPDATE devices SET name = ?, description = ?, tags = ?, note = ?, locked = ?,
             user_id = ?, created = ?, updated = ?, manufacturer = ?, model_name = ?,
             serial_number = ?, software_version = ? WHERE id = ?",
            binds,
        )?;
        Ok(d.id)
    }
}

impl Resource for Devices {
    const KIND: Kind = Kind {
        table: Table {
            name: "devices",
            columns: "*",
        },
        noun: "device",
        schema: &DEVICE_SCHEMA,
    };

    fn list(db: &Db, q: &ListQuery) -> Result<Reply, ApiError> {
        let (rows, links) = list::page::<DeviceRow>(
            db,
            &Self::KIND.table,
            &q.plan(),
            &q.order_by_sql("id ASC"),
            &q.page,
        )?;
        let items = rows
            .iter()
            .map(DeviceRow::to_wire)
            .collect::<Result<Vec<_>, _>>()?;
        http::list(&items, &links)
    }

    fn create(db: &Db, ctx: &Ctx, caller: &Caller) -> Result<Reply, ApiError> {
        let input: DeviceInput = ctx.json()?;
        let t = us(now());
        let mut d = DeviceRow {
            id: 0,
            name: check_name(
                db,
                &Self::KIND,
                input.name.as_deref().unwrap_or(""),
                Id::NONE,
            )?,
            description: String::new(),
            tags: "[]".into(),
            note: String::new(),
            locked: 0,
            user_id: caller.user_id.as_i64(),
            created: t,
            updated: t,
            manufacturer: String::new(),
            model_name: String::new(),
            serial_number: String::new(),
            software_version: String::new(),
        };
        apply(&mut d, input);
        let id = store(db, &d, true)?;
        Self::get(db, Id(id as u64))
    }

    fn get(db: &Db, id: Id) -> Result<Reply, ApiError> {
        http::data(&find(db, id)?.to_wire()?)
    }

    fn edit(db: &Db, ctx: &Ctx, id: Id) -> Result<Reply, ApiError> {
        let input: DeviceInput = ctx.json()?;
        let mut d = find(db, id)?;
        check_unlocked(&Self::KIND, d.locked != 0, input.locked)?;
        if let Some(name) = &input.name {
            d.name = check_name(db, &Self::KIND, name, id)?;
        }
        apply(&mut d, input);
        d.updated = us(now());
        store(db, &d, false)?;
        Self::get(db, id)
    }
}
