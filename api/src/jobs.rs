//! Jobs: the wire shape (as in the CDRouter Jobs API), the launch/edit bodies, and the
//! fields a job list can be filtered and sorted by.

use crate::interfaces::{Interface, Testvar};
use crate::query::Schema;
use crate::{Id, Timestamp};
use serde::{Deserialize, Serialize};

/// The longest a `?wait=` on a job or a result holds before it answers with the record as
/// it stands (a larger `wait` is cut to this; a CI script asks again).
pub const MAX_RUN_WAIT_SECS: u64 = 25;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    Pending,
    Running,
    Completed,
    Stopped,
    Error,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Running => "running",
            JobStatus::Completed => "completed",
            JobStatus::Stopped => "stopped",
            JobStatus::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<JobStatus> {
        Some(match s {
            "pending" => JobStatus::Pending,
            "running" => JobStatus::Running,
            "completed" => JobStatus::Completed,
            "stopped" => JobStatus::Stopped,
            "error" => JobStatus::Error,
            _ => return None,
        })
    }

    pub fn is_finished(self) -> bool {
        matches!(
            self,
            JobStatus::Completed | JobStatus::Stopped | JobStatus::Error
        )
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct JobOptions {
    pub tags: Vec<String>,
    pub skip_tests: Vec<String>,
    pub begin_at: String,
    pub end_at: String,
    pub extra_cli_args: String,
    pub testvars: Vec<Testvar>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: Id,
    pub active: bool,
    pub status: JobStatus,
    pub options: JobOptions,
    pub package_id: Id,
    pub package_name: String,
    pub device_id: Id,
    pub device_name: String,
    pub config_id: Id,
    pub config_name: String,
    pub result_id: Option<String>,
    pub user_id: Id,
    pub created: Timestamp,
    pub updated: Timestamp,
    pub automatic: bool,
    pub run_at: Timestamp,
    pub interfaces: Vec<Interface>,
    pub interface_names: Vec<String>,
    pub uses_wireless: bool,
    pub uses_ics: bool,
    pub ics_interface_name: String,
    /// The lab agent that claimed the job (0 until one does).
    #[serde(default)]
    pub agent_id: Id,
    /// That agent's name when it claimed the job ("" until one does).
    #[serde(default)]
    pub agent_name: String,
    /// Tests done of the testlist, with verdicts so far (the final summary once finished).
    #[serde(default)]
    pub progress: crate::agents::Progress,
    /// cdrouter-cli's exit code, once finished.
    #[serde(default)]
    pub exit_code: Option<i32>,
    /// Why a job ended as `error` or `stopped` (e.g. "agent lost").
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub started: Option<Timestamp>,
    #[serde(default)]
    pub finished: Option<Timestamp>,
    /// 0–100, the highest runs first (default: its package's, else 50).
    #[serde(default = "crate::queue::default_priority")]
    pub priority: u8,
    /// Why a pending job has not run yet (pending jobs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting: Option<crate::queue::Waiting>,
    /// Launched as its device's health check.
    #[serde(default)]
    pub health_check: bool,
}

impl JobOptions {
    /// The tests a run of `testlist` executes, in order: from `begin_at` (when found) through
    /// `end_at` (when found), less the skipped ones. The agent counts progress against this
    /// and the store sets a claimed job's total from it, so both agree before a verdict; the
    /// app says as much of a job not started yet.
    pub fn planned<'a>(&self, testlist: &'a [String]) -> Vec<&'a String> {
        let at = |name: &str| {
            testlist
                .iter()
                .position(|t| !name.is_empty() && t.as_str() == name)
        };
        let begin = at(&self.begin_at).unwrap_or(0);
        let end = at(&self.end_at)
            .filter(|&e| e >= begin)
            .map_or(testlist.len(), |e| e + 1);
        testlist[begin..end]
            .iter()
            .filter(|t| !self.skip_tests.contains(t))
            .collect()
    }
}

/// Options as a request sends them: every key optional, `null` the same as absent.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct JobOptionsInput {
    pub tags: Option<Vec<String>>,
    pub skip_tests: Option<Vec<String>>,
    pub begin_at: Option<String>,
    pub end_at: Option<String>,
    pub extra_cli_args: Option<String>,
    pub testvars: Option<Vec<Testvar>>,
}

/// Both directions between the options and their input, written from one list of the keys
/// (each is a `T` in `JobOptions` and an `Option<T>` in `JobOptionsInput`).
macro_rules! option_keys {
    ($($key:ident),* $(,)?) => {
        /// Options as an input that sets every key (a package schedule's options, launched as is).
        impl From<JobOptions> for JobOptionsInput {
            fn from(o: JobOptions) -> JobOptionsInput {
                JobOptionsInput {
                    $($key: Some(o.$key),)*
                }
            }
        }

        impl JobOptionsInput {
            /// Applies the keys this input sets on top of `base`.
            pub fn apply(self, base: &mut JobOptions) {
                $(if let Some(v) = self.$key {
                    base.$key = v;
                })*
            }
        }
    };
}

option_keys!(tags, skip_tests, begin_at, end_at, extra_cli_args, testvars);

/// The body of a launch (`POST /jobs/`), an edit (`PATCH /jobs/{id}/`), a
/// `?process=interfaces` request and each entry of a bulk launch. Read-only keys
/// (`id`, `status`, `package_name`, ...) are ignored.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct JobInput {
    pub package_id: Option<Id>,
    pub device_id: Option<Id>,
    pub config_id: Option<Id>,
    pub run_at: Option<Timestamp>,
    pub options: Option<JobOptionsInput>,
    /// 0–100.
    pub priority: Option<u8>,
}

/// `POST /jobs/?bulk=launch`: either explicit jobs or, with `filter`/`all`, shared fields.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct BulkLaunch {
    pub jobs: Option<Vec<JobInput>>,
    pub fields: Option<JobInput>,
}

/// `{"jobs": [{"id": "1"}, ...]}` of a bulk delete (the key is the resource's name).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct IdRef {
    pub id: Id,
}

/// What a job list can be filtered and sorted by (see `query`).
pub static JOB_SCHEMA: Schema = crate::schema! {
    "id": Id,
    "status": Str,
    "active": Bool = "(status = 'running')",
    "package_id": Id,
    "package_name": Str,
    "device_id": Id,
    "device_name": Str,
    "config_id": Id,
    "config_name": Str,
    "result_id": Str,
    "user_id": Id,
    "created": Time,
    "updated": Time,
    "run_at": Time,
    "automatic": Bool,
    "priority": Int,
    // The device the job runs on: its own, else its package's (a device's queue).
    "run_device_id": Id = "CASE WHEN device_id != 0 THEN device_id ELSE coalesce((SELECT p.device_id FROM packages p WHERE p.id = package_id), 0) END",
    "passed": Int,
    "failed": Int,
    "tags": StrArray = "json_extract(options, '$.tags')",
    "options.tags": StrArray = "json_extract(options, '$.tags')",
    "options.skip_tests": StrArray = "json_extract(options, '$.skip_tests')",
    "options.begin_at": Str = "json_extract(options, '$.begin_at')",
    "options.end_at": Str = "json_extract(options, '$.end_at')",
    "options.extra_cli_args": Str = "json_extract(options, '$.extra_cli_args')",
    "interface_names": StrArray,
    "uses_wireless": Bool,
    "uses_ics": Bool,
    "ics_interface_name": Str,
    "agent_id": Id,
    "reason": Str,
    "started": Time,
    "finished": Time,
};

#[cfg(test)]
mod tests {
    use super::JobOptions;

    fn opts(begin: &str, end: &str, skip: &[&str]) -> JobOptions {
        JobOptions {
            begin_at: begin.into(),
            end_at: end.into(),
            skip_tests: skip.iter().map(|s| s.to_string()).collect(),
            ..JobOptions::default()
        }
    }

    #[test]
    fn the_plan_leaves_out_skipped_and_out_of_range_tests() {
        let list: Vec<String> = ["a", "b", "c", "d", "e"].map(String::from).into();
        let planned = |o: JobOptions| o.planned(&list).into_iter().cloned().collect::<Vec<_>>();
        assert_eq!(planned(opts("", "", &[])), ["a", "b", "c", "d", "e"]);
        assert_eq!(planned(opts("", "", &["b", "zz"])), ["a", "c", "d", "e"]);
        assert_eq!(planned(opts("b", "", &[])), ["b", "c", "d", "e"]);
        assert_eq!(planned(opts("b", "d", &["c"])), ["b", "d"]);
        assert_eq!(planned(opts("", "b", &[])), ["a", "b"]);
        assert_eq!(planned(opts("nope", "nope", &[])).len(), 5);
        // An end before the beginning is ignored: from `d` to the end.
        assert_eq!(planned(opts("d", "b", &[])), ["d", "e"]);
        assert!(planned(opts("", "", &["a", "b", "c", "d", "e"])).is_empty());
        assert!(opts("", "", &[]).planned(&[]).is_empty());
    }
}
