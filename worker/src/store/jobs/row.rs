//! A job's row: its columns as stored, its wire form, and the finder. The bottom of the
//! store's job code: everything that reads a job reads it through here.

use crate::store::columns::Kind;
use crate::store::db::{from_micros, parse_json, Db};
use crate::store::list::Table;
use labrelay_api::agents::Progress;
use labrelay_api::error::ApiError;
use labrelay_api::jobs::{Job, JobStatus, JOB_SCHEMA};
use labrelay_api::Id;
use serde::Deserialize;

pub const KIND: Kind = Kind {
    table: Table {
        name: "jobs",
        columns: "*",
        // The app's jobs table sorts by each of these (migrations 1 and 9).
        indexed: &[
            "status",
            "package_name",
            "device_name",
            "config_name",
            "created",
            "run_at",
            "result_id",
        ],
    },
    noun: "job",
    schema: &JOB_SCHEMA,
};

#[derive(Deserialize, Clone)]
pub struct JobRow {
    pub id: i64,
    pub status: String,
    pub options: String,
    pub package_id: i64,
    pub package_name: String,
    pub device_id: i64,
    pub device_name: String,
    pub config_id: i64,
    pub config_name: String,
    pub result_id: Option<String>,
    pub user_id: i64,
    pub created: i64,
    pub updated: i64,
    pub automatic: i64,
    #[serde(deserialize_with = "crate::store::db::lenient_i64")]
    pub run_at: i64,
    pub interfaces: String,
    pub interface_names: String,
    pub uses_wireless: i64,
    pub uses_ics: i64,
    pub ics_interface_name: String,
    pub stop_requested: i64,
    pub agent_id: i64,
    #[serde(default)]
    pub agent_name: String,
    pub progress_done: i64,
    pub progress_total: i64,
    pub passed: i64,
    pub failed: i64,
    pub exit_code: Option<i64>,
    pub reason: String,
    pub started: Option<i64>,
    pub finished: Option<i64>,
    pub log_received: i64,
    pub log_stored: i64,
    #[serde(default = "default_priority")]
    pub priority: i64,
    #[serde(default)]
    pub health_check: i64,
}

fn default_priority() -> i64 {
    labrelay_api::queue::DEFAULT_PRIORITY as i64
}

impl JobRow {
    pub fn status(&self) -> JobStatus {
        JobStatus::parse(&self.status).unwrap_or(JobStatus::Error)
    }

    pub fn to_wire(&self) -> Result<Job, ApiError> {
        let status = self.status();
        Ok(Job {
            id: Id(self.id as u64),
            active: status == JobStatus::Running,
            status,
            options: parse_json(&self.options)?,
            package_id: Id(self.package_id as u64),
            package_name: self.package_name.clone(),
            device_id: Id(self.device_id as u64),
            device_name: self.device_name.clone(),
            config_id: Id(self.config_id as u64),
            config_name: self.config_name.clone(),
            result_id: self.result_id.clone(),
            user_id: Id(self.user_id as u64),
            created: from_micros(self.created),
            updated: from_micros(self.updated),
            automatic: self.automatic != 0,
            run_at: from_micros(self.run_at),
            interfaces: parse_json(&self.interfaces)?,
            interface_names: parse_json(&self.interface_names)?,
            uses_wireless: self.uses_wireless != 0,
            uses_ics: self.uses_ics != 0,
            ics_interface_name: self.ics_interface_name.clone(),
            agent_id: Id(self.agent_id as u64),
            agent_name: self.agent_name.clone(),
            progress: Progress {
                done: self.progress_done as u64,
                total: self.progress_total as u64,
                passed: self.passed as u64,
                failed: self.failed as u64,
            },
            exit_code: self.exit_code.map(|c| c as i32),
            reason: self.reason.clone(),
            started: self.started.map(from_micros),
            finished: self.finished.map(from_micros),
            priority: self.priority.clamp(0, 100) as u8,
            waiting: None,
            health_check: self.health_check != 0,
        })
    }
}

pub fn find(db: &Db, id: Id) -> Result<JobRow, ApiError> {
    crate::store::crud::get_row(db, &KIND, id)
}
