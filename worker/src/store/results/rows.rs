//! The rows of `results`, `result_tests` and `result_files`, and their wire forms.

use crate::store::db::{from_micros, parse_json};
use labrelay_api::error::ApiError;
use labrelay_api::results::{
    Capture, LogDirFile, ResultStatus, RunProgress, RunResult, TestResult,
};
use labrelay_api::Id;
use serde::Deserialize;

pub const RESULT_COLUMNS: &str = "*";

#[derive(Deserialize, Clone)]
pub struct ResultRow {
    pub id: i64,
    pub job_id: i64,
    pub status: String,
    pub result: String,
    pub created: i64,
    pub updated: i64,
    pub finished: Option<i64>,
    pub tests: i64,
    pub pass: i64,
    pub fail: i64,
    pub size_on_disk: i64,
    pub starred: i64,
    pub archived: i64,
    pub locked: i64,
    pub note: String,
    pub agent_name: String,
    pub package_id: i64,
    pub package_name: String,
    pub device_id: i64,
    pub device_name: String,
    pub config_id: i64,
    pub config_name: String,
    pub user_id: i64,
    pub tags: String,
    pub options: String,
    pub interfaces: String,
    pub testcases: String,
    pub progress_done: i64,
    pub progress_total: i64,
    pub update_seq: i64,
}

impl ResultRow {
    pub fn status(&self) -> ResultStatus {
        match self.status.as_str() {
            "running" => ResultStatus::Running,
            "completed" => ResultStatus::Completed,
            "stopped" => ResultStatus::Stopped,
            _ => ResultStatus::Error,
        }
    }

    /// Seconds from the start to the end of the run (to `now_us` while it runs).
    pub fn duration_at(&self, now_us: i64) -> u64 {
        let end = self.finished.unwrap_or(now_us);
        (end.saturating_sub(self.created).max(0) / 1_000_000) as u64
    }

    pub fn progress(&self) -> RunProgress {
        RunProgress::of(self.progress_done as u64, self.progress_total as u64)
    }

    pub fn to_wire(&self, detailed: bool, now_us: i64) -> Result<RunResult, ApiError> {
        let status = self.status();
        fn d<T>(detailed: bool, v: T) -> Option<T> {
            detailed.then_some(v)
        }
        Ok(RunResult {
            id: Id(self.id as u64),
            created: from_micros(self.created),
            updated: from_micros(self.updated),
            locked: self.locked != 0,
            result: d(detailed, self.result.clone()),
            active: status == ResultStatus::Running,
            status,
            loops: d(detailed, 1),
            tests: d(detailed, self.tests as u64),
            passed: self.pass as u64,
            fail: self.fail as u64,
            alerts: 0,
            duration: self.duration_at(now_us),
            size_on_disk: self.size_on_disk as u64,
            starred: self.starred != 0,
            archived: self.archived != 0,
            result_dir: d(detailed, format!("/labrelay/results/{}", self.id)),
            agent_name: d(detailed, self.agent_name.clone()),
            package_name: self.package_name.clone(),
            device_name: self.device_name.clone(),
            config_name: d(detailed, self.config_name.clone()),
            package_id: Id(self.package_id as u64),
            device_id: Id(self.device_id as u64),
            config_id: Id(self.config_id as u64),
            user_id: Id(self.user_id as u64),
            note: d(detailed, self.note.clone()),
            build_info: d(detailed, String::new()),
            tags: parse_json(&self.tags)?,
            testcases: if detailed {
                Some(parse_json(&self.testcases)?)
            } else {
                None
            },
            options: if detailed {
                Some(parse_json(&self.options)?)
            } else {
                None
            },
            interfaces: if detailed {
                Some(parse_json(&self.interfaces)?)
            } else {
                None
            },
            job_id: Id(self.job_id as u64),
            progress: self.progress(),
        })
    }
}

pub const TEST_COLUMNS: &str = "id, result_id, seq, loop, name, description, result, started, \
    duration, log, keylog, skip_reason, flagged, note, update_seq";

#[derive(Deserialize, Clone)]
pub struct TestRow {
    pub result_id: i64,
    pub seq: i64,
    #[serde(rename = "loop")]
    pub loop_: i64,
    pub name: String,
    pub description: String,
    pub result: String,
    pub started: Option<i64>,
    pub duration: i64,
    pub log: String,
    pub keylog: String,
    pub skip_reason: String,
    pub flagged: i64,
    pub note: String,
}

impl TestRow {
    pub fn to_wire(&self) -> TestResult {
        TestResult {
            id: Id(self.result_id as u64),
            seq: Id(self.seq as u64),
            loop_: Id(self.loop_ as u64),
            active: self.result == "running",
            result: self.result.clone(),
            alerts: 0,
            retries: 0,
            started: self.started.map(from_micros),
            duration: self.duration.max(0) as u64,
            flagged: self.flagged != 0,
            name: self.name.clone(),
            description: self.description.clone(),
            skip_name: String::new(),
            skip_reason: self.skip_reason.clone(),
            log: self.log.clone(),
            keylog: self.keylog.clone(),
            note: self.note.clone(),
        }
    }

    /// The log base of this test (`dns_45` of `dns_45.txt`): its captures start with it.
    pub fn log_base(&self) -> Option<&str> {
        self.log.strip_suffix(".txt").filter(|b| !b.is_empty())
    }
}

pub const FILE_COLUMNS: &str =
    "id, result_id, name, size, sha256, key, upload_id, parts, crc32, complete, modified";

#[derive(Deserialize, Clone)]
pub struct FileRow {
    pub id: i64,
    pub result_id: i64,
    pub name: String,
    pub size: i64,
    pub sha256: String,
    pub key: String,
    pub upload_id: Option<String>,
    pub parts: String,
    pub crc32: i64,
    pub complete: i64,
    pub modified: i64,
}

impl FileRow {
    pub fn to_wire(&self) -> LogDirFile {
        LogDirFile {
            name: self.name.clone(),
            size: self.size.max(0) as u64,
            modified: from_micros(self.modified),
            sha256: self.sha256.clone(),
        }
    }

    pub fn capture(&self, seq: i64, interface: &str) -> Capture {
        Capture {
            id: Id(self.result_id as u64),
            seq: Id(seq as u64),
            kind: "device".into(),
            interface: interface.to_string(),
            filename: self.name.clone(),
        }
    }
}
