//! Packages, configs and devices: CDRouter-shaped, minimal. Each has a wire shape (summary
//! fields always, detailed fields as `Option`s left out of lists), an input shape for create
//! and edit (every key optional, `null` ignored); their columns and the fields lists may filter
//! and sort by are declared once in the worker (`store/columns.rs`, `record!`).

use crate::interfaces::Interface;
use crate::{Id, Timestamp};
use serde::{Deserialize, Serialize};

/// A package's answer read for its testlist alone: what a reader that needs only the tests
/// decodes (the app's job page, counting a pending job's planned tests, carries no reader
/// for the whole package).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct PackageTests {
    #[serde(default)]
    pub testlist: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Package {
    pub id: Id,
    pub name: String,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub testlist: Option<Vec<String>>,
    pub test_count: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_cli_args: Option<String>,
    pub config_id: Id,
    pub device_id: Id,
    pub agent_id: Id,
    /// Its jobs' priority unless a launch says (0–100).
    #[serde(default = "crate::queue::default_priority")]
    pub priority: u8,
    /// CDRouter's package schedule (cron, UTC here).
    #[serde(default)]
    pub schedule: crate::schedules::Schedule,
    /// When the schedule next launches a job (enabled schedules only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_next: Option<Timestamp>,
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub locked: bool,
    pub user_id: Id,
    pub created: Timestamp,
    pub updated: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interfaces: Option<Vec<Interface>>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct PackageInput {
    pub name: Option<String>,
    pub description: Option<String>,
    pub testlist: Option<Vec<String>>,
    pub extra_cli_args: Option<String>,
    pub config_id: Option<Id>,
    pub device_id: Option<Id>,
    pub agent_id: Option<Id>,
    pub priority: Option<u8>,
    pub schedule: Option<crate::schedules::ScheduleInput>,
    pub tags: Option<Vec<String>>,
    pub note: Option<String>,
    pub locked: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Config {
    pub id: Id,
    pub name: String,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contents: Option<String>,
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub locked: bool,
    pub user_id: Id,
    pub created: Timestamp,
    pub updated: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interfaces: Option<Vec<Interface>>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ConfigInput {
    pub name: Option<String>,
    pub description: Option<String>,
    pub contents: Option<String>,
    pub tags: Option<Vec<String>>,
    pub note: Option<String>,
    pub locked: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Device {
    pub id: Id,
    pub name: String,
    pub description: String,
    pub tags: Vec<String>,
    pub note: String,
    pub locked: bool,
    pub user_id: Id,
    pub created: Timestamp,
    pub updated: Timestamp,
    pub manufacturer: String,
    pub model_name: String,
    pub serial_number: String,
    pub software_version: String,
    /// Only a ready device runs jobs.
    #[serde(default)]
    pub state: crate::device_state::DeviceState,
    /// Why it is in that state (a maintenance note, the failed health check).
    #[serde(default)]
    pub state_note: String,
    /// The package run as its health check (0: none).
    #[serde(default)]
    pub health_package_id: Id,
    /// Re-check after this many hours (0: only after maintenance or an `error`).
    #[serde(default)]
    pub health_every_hours: u32,
    #[serde(default)]
    pub health: crate::device_state::Health,
    #[serde(default)]
    pub health_checked: Option<Timestamp>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct DeviceInput {
    pub name: Option<String>,
    pub description: Option<String>,
    pub tags: Option<Vec<String>>,
    pub note: Option<String>,
    pub locked: Option<bool>,
    pub manufacturer: Option<String>,
    pub model_name: Option<String>,
    pub serial_number: Option<String>,
    pub software_version: Option<String>,
    pub state: Option<crate::device_state::DeviceState>,
    pub state_note: Option<String>,
    pub health_package_id: Option<Id>,
    pub health_every_hours: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_package_answer_reads_as_its_testlist_alone() {
        let answer = r#"{"id": "3", "name": "nightly", "testlist": ["cdrouter_basic_1", "dns_45"],
                         "test_count": 2, "schedule": {"enabled": false}, "locked": false}"#;
        let tests: PackageTests = serde_json::from_str(answer).expect("a package");
        assert_eq!(tests.testlist, ["cdrouter_basic_1", "dns_45"]);
        // A summary (no testlist) reads as none.
        let summary: PackageTests = serde_json::from_str(r#"{"id": "3"}"#).expect("a package");
        assert!(summary.testlist.is_empty());
    }
}
