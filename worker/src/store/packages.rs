//! Packages: a testlist plus the config, device and lab agent it runs with, the priority of
//! its jobs, and CDRouter's schedule (fired by `schedule`).

use super::crud::{self, exists, get_row, Kind, Resource};
use super::db::{from_micros, json_string, parse_json, Db};
use super::http::{Caller, Ctx, Reply};
use super::list::Table;
use labrelay_api::error::ApiError;
use labrelay_api::interfaces;
use labrelay_api::resources::{Package, PackageInput, PACKAGE_SCHEMA};
use labrelay_api::Id;
use serde::Deserialize;

fn default_priority() -> i64 {
    labrelay_api::queue::DEFAULT_PRIORITY as i64
}

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
    #[serde(default = "default_priority")]
    pub priority: i64,
    /// The schedule as JSON ("" when never set).
    #[serde(default)]
    pub schedule: String,
    /// When the schedule next fires (µs; 0: not enabled).
    #[serde(default)]
    pub schedule_next: i64,
    pub tags: String,
    pub note: String,
    pub locked: i64,
    pub user_id: i64,
    pub created: i64,
    pub updated: i64,
}

pub fn route(db: &Db, ctx: &Ctx, caller: &Caller, rest: &[&str]) -> Result<Reply, ApiError> {
    crud::route::<PackageRow>(db, ctx, caller, rest)
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
    const KIND: Kind = Kind {
        table: Table {
            name: "packages",
            columns: "*",
            indexed: &["name"],
        },
        noun: "package",
        schema: &PACKAGE_SCHEMA,
    };
    type Input = PackageInput;
    type Wire = Package;

    fn check(input: &Self::Input) -> Result<(), String> {
        labrelay_api::limits::check_package(input)
    }

    fn blank(name: String, user_id: i64, now_us: i64) -> Self {
        PackageRow {
            id: 0,
            name,
            description: String::new(),
            testlist: "[]".into(),
            extra_cli_args: String::new(),
            config_id: 0,
            device_id: 0,
            agent_id: 0,
            priority: default_priority(),
            schedule: String::new(),
            schedule_next: 0,
            tags: "[]".into(),
            note: String::new(),
            locked: 0,
            user_id,
            created: now_us,
            updated: now_us,
        }
    }

    fn apply(&mut self, input: PackageInput) {
        if let Some(v) = input.description {
            self.description = v;
        }
        if let Some(v) = input.testlist {
            self.testlist = json_string(&v);
        }
        if let Some(v) = input.extra_cli_args {
            self.extra_cli_args = v;
        }
        if let Some(v) = input.config_id {
            self.config_id = v.as_i64();
        }
        if let Some(v) = input.device_id {
            self.device_id = v.as_i64();
        }
        if let Some(v) = input.agent_id {
            self.agent_id = v.as_i64();
        }
        if let Some(v) = input.priority {
            self.priority = i64::from(v);
        }
        if let Some(s) = input.schedule {
            let mut schedule = self.schedule();
            s.apply(&mut schedule);
            self.schedule_next = schedule.next_tick(super::db::us(crate::error::now()));
            self.schedule = json_string(&schedule);
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

    fn store(&self, db: &Db, insert: bool) -> Result<i64, ApiError> {
        let p = self;
        let binds = vec![
            p.name.clone().into(),
            p.description.clone().into(),
            p.testlist.clone().into(),
            p.extra_cli_args.clone().into(),
            p.config_id.into(),
            p.device_id.into(),
            p.agent_id.into(),
            p.priority.into(),
            p.schedule.clone().into(),
            p.schedule_next.into(),
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
                 device_id, agent_id, priority, schedule, schedule_next, tags, note, locked,
                 user_id, created, updated)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                binds[..16].to_vec(),
            )?;
            db.last_id()
        } else {
            db.exec(
                "UPDATE packages SET name = ?, description = ?, testlist = ?, extra_cli_args = ?,
                 config_id = ?, device_id = ?, agent_id = ?, priority = ?, schedule = ?,
                 schedule_next = ?, tags = ?, note = ?,
                 locked = ?,
                 user_id = ?, created = ?, updated = ? WHERE id = ?",
                binds,
            )?;
            Ok(p.id)
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
