//! Devices: the routers and gateways under test, described free-form, with a state (only a
//! `ready` device runs jobs; `maintenance`, `bad` and `retired` hold its queue) and a health
//! check (see `health`).

use super::crud::{self, get_row, Kind, Resource};
use super::db::{from_micros, json_string, parse_json, Db};
use super::http::{Caller, Ctx, Reply};
use super::list::Table;
use labrelay_api::device_state::{DeviceState, Health};
use labrelay_api::error::ApiError;
use labrelay_api::resources::{Device, DeviceInput, DEVICE_SCHEMA};
use labrelay_api::Id;
use serde::Deserialize;

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
    #[serde(default = "ready")]
    pub state: String,
    #[serde(default)]
    pub state_note: String,
    #[serde(default)]
    pub health_package_id: i64,
    #[serde(default)]
    pub health_every_hours: i64,
    #[serde(default)]
    pub health: String,
    #[serde(default)]
    pub health_checked: i64,
}

fn ready() -> String {
    DeviceState::Ready.as_str().to_string()
}

pub fn route(db: &Db, ctx: &Ctx, caller: &Caller, rest: &[&str]) -> Result<Reply, ApiError> {
    crud::route::<DeviceRow>(db, ctx, caller, rest)
}

pub fn find(db: &Db, id: Id) -> Result<DeviceRow, ApiError> {
    get_row(db, &DeviceRow::KIND, id)
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
            state: DeviceState::parse(&self.state).unwrap_or_default(),
            state_note: self.state_note.clone(),
            health_package_id: Id(self.health_package_id.max(0) as u64),
            health_every_hours: self.health_every_hours.clamp(0, u32::MAX as i64) as u32,
            health: Health::parse(&self.health),
            health_checked: (self.health_checked > 0).then(|| from_micros(self.health_checked)),
        })
    }
}

impl Resource for DeviceRow {
    const KIND: Kind = Kind {
        table: Table {
            name: "devices",
            columns: "*",
            indexed: &["name"],
        },
        noun: "device",
        schema: &DEVICE_SCHEMA,
    };
    type Input = DeviceInput;
    type Wire = Device;

    fn check(input: &Self::Input) -> Result<(), String> {
        labrelay_api::limits::check_device(input)
    }

    fn blank(name: String, user_id: i64, now_us: i64) -> Self {
        DeviceRow {
            id: 0,
            name,
            description: String::new(),
            tags: "[]".into(),
            note: String::new(),
            locked: 0,
            user_id,
            created: now_us,
            updated: now_us,
            manufacturer: String::new(),
            model_name: String::new(),
            serial_number: String::new(),
            software_version: String::new(),
            state: ready(),
            state_note: String::new(),
            health_package_id: 0,
            health_every_hours: 0,
            health: Health::Unknown.as_str().into(),
            health_checked: 0,
        }
    }

    fn apply(&mut self, input: DeviceInput) {
        let set = |slot: &mut String, v: Option<String>| {
            if let Some(v) = v {
                *slot = v;
            }
        };
        set(&mut self.description, input.description);
        set(&mut self.note, input.note);
        set(&mut self.manufacturer, input.manufacturer);
        set(&mut self.model_name, input.model_name);
        set(&mut self.serial_number, input.serial_number);
        set(&mut self.software_version, input.software_version);
        set(&mut self.state_note, input.state_note);
        if let Some(v) = input.state {
            // Back to ready after maintenance (or a failed check): health unknown until checked.
            if v == DeviceState::Ready && self.state != v.as_str() {
                self.health = Health::Unknown.as_str().into();
            }
            self.state = v.as_str().to_string();
        }
        if let Some(p) = input.health_package_id {
            if p.as_i64() != self.health_package_id {
                self.health = Health::Unknown.as_str().into();
            }
            self.health_package_id = p.as_i64();
        }
        if let Some(h) = input.health_every_hours {
            self.health_every_hours = i64::from(h);
        }
        if let Some(v) = input.tags {
            self.tags = json_string(&v);
        }
        if let Some(v) = input.locked {
            self.locked = v as i64;
        }
    }

    fn validate(&self, db: &Db) -> Result<(), ApiError> {
        let p = self.health_package_id;
        if p != 0 && !super::crud::exists(db, "packages", Id(p as u64))? {
            return Err(ApiError::NotFound("package"));
        }
        Ok(())
    }

    fn wire(&self, _db: &Db, _detailed: bool) -> Result<Device, ApiError> {
        self.to_wire()
    }

    fn store(&self, db: &Db, insert: bool) -> Result<i64, ApiError> {
        let d = self;
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
            d.state.clone().into(),
            d.state_note.clone().into(),
            d.health_package_id.into(),
            d.health_every_hours.into(),
            d.health.clone().into(),
            d.health_checked.into(),
            d.id.into(),
        ];
        if insert {
            db.exec(
                "INSERT INTO devices (name, description, tags, note, locked, user_id, created,
                 updated, manufacturer, model_name, serial_number, software_version, state,
                 state_note, health_package_id, health_every_hours, health, health_checked)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                binds[..18].to_vec(),
            )?;
            db.last_id()
        } else {
            db.exec(
                "UPDATE devices SET name = ?, description = ?, tags = ?, note = ?, locked = ?,
                 user_id = ?, created = ?, updated = ?, manufacturer = ?, model_name = ?,
                 serial_number = ?, software_version = ?, state = ?, state_note = ?,
                 health_package_id = ?, health_every_hours = ?, health = ?, health_checked = ?
                 WHERE id = ?",
                binds,
            )?;
            Ok(d.id)
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
