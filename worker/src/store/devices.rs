//! Devices: the routers and gateways under test, described free-form, with a state (only a
//! `ready` device runs jobs; `maintenance`, `bad` and `retired` hold its queue) and a health
//! check (see `health`).

use super::columns::{record, Record};
use super::crud::{get_row, Resource};
use super::db::{from_micros, parse_json, Db};
use labrelay_api::device_state::{DeviceState, Health};
use labrelay_api::error::ApiError;
use labrelay_api::resources::{Device, DeviceInput};
use labrelay_api::Id;

record! {
    pub struct DeviceRow: DeviceInput, table "devices", noun "device", query DEVICE_SCHEMA {
        manufacturer: String = String::new() => text, filter Str;
        model_name: String = String::new() => text, filter Str;
        serial_number: String = String::new() => text, filter Str;
        software_version: String = String::new() => text, filter Str;
        /// Set by `apply` (a device back to ready is unchecked again).
        #[serde(default = "ready")]
        state: String = ready(), filter Str;
        #[serde(default)]
        state_note: String = String::new() => text;
        /// Set by `apply` (another package: unchecked again).
        #[serde(default)]
        health_package_id: i64 = 0;
        #[serde(default)]
        health_every_hours: i64 = 0 => int;
        #[serde(default)]
        health: String = Health::Unknown.as_str().into();
        #[serde(default)]
        health_checked: i64 = 0;
    }
    computed {}
}

fn ready() -> String {
    DeviceState::Ready.as_str().to_string()
}

pub fn find(db: &Db, id: Id) -> Result<DeviceRow, ApiError> {
    get_row(db, &DeviceRow::KIND, id)
}

impl Resource for DeviceRow {
    type Wire = Device;

    fn check(input: &Self::Input) -> Result<(), String> {
        labrelay_api::limits::check_device(input)
    }

    fn apply(&mut self, mut input: DeviceInput) {
        self.apply_columns(&mut input);
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
    }

    fn validate(&self, db: &Db) -> Result<(), ApiError> {
        let p = self.health_package_id;
        if p != 0 && !super::crud::exists(db, "packages", Id(p as u64))? {
            return Err(ApiError::NotFound("package"));
        }
        Ok(())
    }

    /// The device as the API answers it (it has no detailed fields).
    fn wire(&self, _db: &Db, _detailed: bool) -> Result<Device, ApiError> {
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
