//! Packages: a testlist plus the config, device and lab agent it runs with, the priority of
//! its jobs, and CDRouter's schedule (fired by `schedule`).

use super::columns::{record, Record};
use super::crud::{exists, get_row, Resource};
use super::db::{from_micros, json_string, parse_json, Db};
use labrelay_api::error::ApiError;
use labrelay_api::interfaces;
use labrelay_api::resources::{Package, PackageInput};
use labrelay_api::Id;

fn default_priority() -> i64 {
    labrelay_api::queue::DEFAULT_PRIORITY as i64
}

record! {
    pub struct PackageRow: PackageInput, table "packages", noun "package", query PACKAGE_SCHEMA {
        testlist: String = "[]".into() => json, filter StrArray;
        #[serde(default = "default_priority")]
        priority: i64 = default_priority() => int, filter Int;
        extra_cli_args: String = String::new() => text, filter Str;
        config_id: i64 = 0 => id, filter Id;
        device_id: i64 = 0 => id, filter Id;
        agent_id: i64 = 0 => id, filter Id;
        /// The schedule as JSON ("" when never set); set by `apply`.
        #[serde(default)]
        schedule: String = String::new();
        /// When the schedule next fires (µs; 0: not enabled).
        #[serde(default)]
        schedule_next: i64 = 0;
    }
    computed {
        test_count: Int = "json_array_length(testlist)";
    }
}

pub fn find(db: &Db, id: Id) -> Result<PackageRow, ApiError> {
    get_row(db, &PackageRow::KIND, id)
}

impl PackageRow {
    /// The schedule (CDRouter's default, disabled, when never set or unreadable).
    pub fn schedule(&self) -> labrelay_api::schedules::Schedule {
        serde_json::from_str(&self.schedule).unwrap_or_default()
    }

    pub fn testlist(&self) -> Result<Vec<String>, ApiError> {
        parse_json(&self.testlist)
    }
}

impl Resource for PackageRow {
    type Wire = Package;

    fn check(input: &Self::Input) -> Result<(), String> {
        labrelay_api::limits::check_package(input)
    }

    fn apply(&mut self, mut input: PackageInput) {
        self.apply_columns(&mut input);
        if let Some(s) = input.schedule {
            let mut schedule = self.schedule();
            s.apply(&mut schedule);
            self.schedule_next = schedule.next_tick(super::db::us(crate::error::now()));
            self.schedule = json_string(&schedule);
        }
    }

    fn validate(&self, db: &Db) -> Result<(), ApiError> {
        if self.config_id != 0 && !exists(db, "configs", Id(self.config_id as u64))? {
            return Err(ApiError::NotFound("config"));
        }
        if self.device_id != 0 && !exists(db, "devices", Id(self.device_id as u64))? {
            return Err(ApiError::NotFound("device"));
        }
        interfaces::cli_testvars(&self.extra_cli_args)
            .map_err(|e| ApiError::invalid(e.to_string()))?;
        Ok(())
    }

    fn wire(&self, db: &Db, detailed: bool) -> Result<Package, ApiError> {
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
            priority: self.priority.clamp(0, 100) as u8,
            schedule: self.schedule(),
            schedule_next: (self.schedule_next > 0).then(|| from_micros(self.schedule_next)),
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
