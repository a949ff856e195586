//! Results: one per job run, CDRouter-shaped (field names from the official client's
//! `results.py`, `testresults.py`, `captures.py`), with its tests, captures and the files of
//! its result directory; and what an agent sends to fill them.
//!
//! User endpoints (`/api/v1/results/...`, see the spec): list, get, `?updates=N` long-poll,
//! delete, `tests/` list and get, `tests/{seq}/log` (parsed lines), `tests/{seq}/captures/`
//! (list, get, `?format=cap` download), `logdir/` (list, `?format=zip|tgz` archive) and
//! `logdir/{file}` download.
//!
//! Agent endpoints (agent token, only for jobs it holds):
//! - `POST /api/v1/agent/jobs/{id}/tests` — [`TestsUpload`]: upsert test records by `seq`.
//! - `PUT /api/v1/agent/jobs/{id}/files/{name}?size=S&sha256=H&part=P[&part_sha256=h]` —
//!   the bytes of part `P` (1-based, [`FILE_PART_BYTES`] each, the last one shorter) of a
//!   file of `S` bytes whose SHA-256 is `H`; the server checks each part's checksum (`h`,
//!   or `H` for a one-part file) and, once all parts are in, the whole file's. Answers
//!   [`FileState`]. Re-sending a part it has is harmless; a new `H` replaces the file.
//! - `GET /api/v1/agent/jobs/{id}/files/{name}?size=S&sha256=H` — [`FileState`]: which parts
//!   of that exact file the server already has (resume after an outage).
//! - `POST /api/v1/agent/jobs/{id}/files/` — many small files in one request (a result is
//!   mostly small files): the body is one line of JSON, a [`BatchManifest`], then each file's
//!   bytes in order; at most [`BATCH_FILES`] files and [`FILE_PART_BYTES`] bytes. Answers a
//!   [`BatchOutcome`] per file (one refused file does not refuse the others).

use crate::interfaces::Interface;
use crate::jobs::JobOptions;
use crate::query::Schema;
use crate::{Id, Timestamp};
use serde::{Deserialize, Serialize};

/// Files travel in parts of this size (the last one shorter): small enough for a Worker
/// request body and its memory, above R2's 5 MiB minimum for all but the last part.
pub const FILE_PART_BYTES: u64 = 8 << 20;
/// The default cap on one result's files (the server's `RESULT_MAX_BYTES` overrides it).
pub const DEFAULT_RESULT_MAX_BYTES: u64 = 1 << 30;
/// Most files one result may hold (a long repeated run writes a few thousand).
pub const MAX_RESULT_FILES: u64 = 20_000;
/// Most test records one result may hold.
pub const MAX_RESULT_TESTS: u64 = 20_000;
/// Most test records in one `tests` upload.
pub const MAX_TESTS_PER_UPLOAD: usize = 500;
/// Longest file name in a result directory.
pub const MAX_FILE_NAME: usize = 200;
/// How long `?updates=N` waits for a change before answering with none (CDRouter: 10 s).
pub const UPDATES_WAIT_SECS: u64 = 10;

/// A run's status, as CDRouter names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResultStatus {
    Running,
    Completed,
    Stopped,
    Error,
}

impl ResultStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ResultStatus::Running => "running",
            ResultStatus::Completed => "completed",
            ResultStatus::Stopped => "stopped",
            ResultStatus::Error => "error",
        }
    }
}

/// `GET /results/{id}/` (the summary form, in lists, leaves out the `Option`s).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    pub id: Id,
    pub created: Timestamp,
    pub updated: Timestamp,
    pub locked: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    pub active: bool,
    pub status: ResultStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loops: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tests: Option<u64>,
    #[serde(rename = "pass")]
    pub passed: u64,
    pub fail: u64,
    pub alerts: u64,
    /// Seconds from the start of the run to its end (or to now, while it runs).
    pub duration: u64,
    pub size_on_disk: u64,
    pub starred: bool,
    pub archived: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_dir: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_name: Option<String>,
    pub package_name: String,
    pub device_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_name: Option<String>,
    pub package_id: Id,
    pub device_id: Id,
    pub config_id: Id,
    pub user_id: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_info: Option<String>,
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub testcases: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<JobOptions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interfaces: Option<Vec<Interface>>,
    /// Labrelay: the job this run belongs to, and its progress.
    pub job_id: Id,
    pub progress: RunProgress,
}

/// CDRouter's progress object: `progress` is a percentage.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunProgress {
    pub finished: u64,
    pub total: u64,
    pub progress: u64,
    pub unit: String,
}

impl RunProgress {
    pub fn of(finished: u64, total: u64) -> RunProgress {
        let total = total.max(finished);
        RunProgress {
            finished,
            total,
            progress: (finished * 100).checked_div(total).unwrap_or(0),
            unit: "percentage".into(),
        }
    }
}

/// A test of a run (`start` and `final` included, as in CDRouter).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TestResult {
    /// The result's id.
    pub id: Id,
    pub seq: Id,
    #[serde(rename = "loop")]
    pub loop_: Id,
    pub active: bool,
    /// `pass`, `fail`, `fatal`, `skipped`, `pending` or `running`.
    pub result: String,
    pub alerts: u64,
    pub retries: u64,
    pub started: Option<Timestamp>,
    /// Seconds.
    pub duration: u64,
    pub flagged: bool,
    pub name: String,
    pub description: String,
    pub skip_name: String,
    pub skip_reason: String,
    /// The test's log file in the result directory (`dns_45.txt`).
    pub log: String,
    pub keylog: String,
    pub note: String,
}

/// What the agent knows of a test and sends (`POST agent/jobs/{id}/tests`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestRecord {
    pub seq: u64,
    #[serde(rename = "loop", default = "first_loop")]
    pub loop_: u64,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// `pass`, `fail`, `fatal`, `skipped`, `pending` or `running`.
    pub result: String,
    #[serde(default)]
    pub started: Option<Timestamp>,
    #[serde(default)]
    pub duration: u64,
    #[serde(default)]
    pub log: String,
    #[serde(default)]
    pub keylog: String,
    #[serde(default)]
    pub skip_reason: String,
}

fn first_loop() -> u64 {
    1
}

/// The test results CDRouter reports.
pub const TEST_RESULTS: &[&str] = &["pass", "fail", "fatal", "skipped", "pending", "running"];

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TestsUpload {
    pub tests: Vec<TestRecord>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestsAck {
    pub stored: u64,
}

/// A capture of a test (`tests/{seq}/captures/`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capture {
    pub id: Id,
    pub seq: Id,
    #[serde(rename = "type")]
    pub kind: String,
    pub interface: String,
    pub filename: String,
}

/// A file of the result directory (`logdir/`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogDirFile {
    pub name: String,
    pub size: u64,
    pub modified: Timestamp,
    /// Labrelay: the file's SHA-256 (hex), verified by the server.
    pub sha256: String,
}

/// What the server holds of one file (`PUT`/`GET agent/jobs/{id}/files/{name}`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileState {
    pub name: String,
    pub size: u64,
    pub sha256: String,
    /// Parts stored (1-based), while the file is incomplete.
    pub parts_received: Vec<u32>,
    pub parts: u32,
    pub complete: bool,
}

/// Most files in one batch upload.
pub const BATCH_FILES: usize = 64;
/// Longest manifest line of a batch upload.
pub const MAX_MANIFEST: usize = 64 << 10;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchFile {
    pub name: String,
    pub size: u64,
    pub sha256: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchManifest {
    pub files: Vec<BatchFile>,
}

/// One file of a batch: its state, or why it was refused.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchOutcome {
    pub name: String,
    #[serde(default)]
    pub state: Option<FileState>,
    #[serde(default)]
    pub error: Option<String>,
    /// The HTTP status the error would have had alone (400, 413, ...).
    #[serde(default)]
    pub status: u16,
}

/// How many parts a file of `size` bytes travels in (an empty file is one empty part).
pub fn part_count(size: u64) -> u32 {
    u32::try_from(size.div_ceil(FILE_PART_BYTES).max(1)).unwrap_or(u32::MAX)
}

/// Whether `name` may be a file of a result directory: a plain name (no path), printable,
/// not `.`/`..`, at most [`MAX_FILE_NAME`] bytes, with no character that makes it read as
/// something it is not (see [`file_name_problem`]). CDRouter writes the config under its own
/// name, spaces included (`Cisco E4200`).
pub fn valid_file_name(name: &str) -> bool {
    file_name_problem(name).is_none()
}

/// What is wrong with `name` as a result file's name, in words, or `None`.
pub fn file_name_problem(name: &str) -> Option<String> {
    if name.is_empty() || name == "." || name == ".." {
        return Some(format!("\"{name}\" is not a file name"));
    }
    if name.len() > MAX_FILE_NAME {
        return Some(format!("longer than {MAX_FILE_NAME} bytes"));
    }
    if name.starts_with(' ') || name.ends_with(' ') {
        return Some("starts or ends with a space".into());
    }
    name.chars().find_map(|c| {
        if let Some(what) = deceptive(c) {
            return Some(format!("has U+{:04X} ({what})", c as u32));
        }
        (c.is_control() || matches!(c, '/' | '\\' | '"'))
            .then(|| format!("has {c:?}, which a file name may not hold"))
    })
}

/// Characters that change how a name is shown without being seen: bidirectional controls
/// (`rtl-\u{202e}txt.exe` shows as `rtl-exe.txt`) and invisible ones.
pub fn deceptive(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{061C}' => "ARABIC LETTER MARK",
        '\u{200B}' => "ZERO WIDTH SPACE",
        '\u{200C}' => "ZERO WIDTH NON-JOINER",
        '\u{200D}' => "ZERO WIDTH JOINER",
        '\u{200E}' => "LEFT-TO-RIGHT MARK",
        '\u{200F}' => "RIGHT-TO-LEFT MARK",
        '\u{202A}' => "LEFT-TO-RIGHT EMBEDDING",
        '\u{202B}' => "RIGHT-TO-LEFT EMBEDDING",
        '\u{202C}' => "POP DIRECTIONAL FORMATTING",
        '\u{202D}' => "LEFT-TO-RIGHT OVERRIDE",
        '\u{202E}' => "RIGHT-TO-LEFT OVERRIDE",
        '\u{2060}' => "WORD JOINER",
        '\u{2066}' => "LEFT-TO-RIGHT ISOLATE",
        '\u{2067}' => "RIGHT-TO-LEFT ISOLATE",
        '\u{2068}' => "FIRST STRONG ISOLATE",
        '\u{2069}' => "POP DIRECTIONAL ISOLATE",
        '\u{FEFF}' => "ZERO WIDTH NO-BREAK SPACE",
        _ => return None,
    })
}

/// `Content-Disposition` for a download named `name`: an ASCII `filename=` (anything else
/// as `_`) that every client reads, and RFC 6266's `filename*=UTF-8''...` with the name
/// exact when it is not plain ASCII.
pub fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if ascii == name {
        return format!("attachment; filename=\"{name}\"");
    }
    let mut encoded = String::new();
    for b in name.bytes() {
        // RFC 5987's attr-char; everything else percent-encoded.
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// `GET /results/{id}/?updates=N`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Update {
    pub id: Id,
    pub timestamp: Timestamp,
    pub progress: Option<RunProgress>,
    pub running: Option<TestResult>,
    /// What changed since `N`: the result and the tests that changed.
    pub updates: Vec<serde_json::Value>,
}

/// `GET /results/{id}/tests/{seq}/log`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TestLog {
    pub offset: u64,
    pub limit: u64,
    pub lines: Vec<LogLineOut>,
    pub total: u64,
    pub more: bool,
}

/// One parsed log line, as CDRouter's `list_log` gives it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LogLineOut {
    pub raw: String,
    /// 1-based line number.
    pub line: u64,
    pub header: bool,
    pub section: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp_display: Option<String>,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packet: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dst: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proto: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info: Option<String>,
    pub summary: LineSummary,
}

/// Counts over a section (for `SECTION` lines; zero elsewhere).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LineSummary {
    pub errors: u64,
    pub fails: u64,
    pub passes: u64,
    pub warnings: u64,
    pub alerts: u64,
}

pub static RESULT_SCHEMA: Schema = crate::schema! {
    "id": Id,
    "created": Time,
    "updated": Time,
    "status": Str,
    "active": Bool = "(status = 'running')",
    "result": Str,
    "tests": Int,
    "pass": Int,
    "fail": Int,
    "duration": Int,
    "size_on_disk": Int,
    "starred": Bool,
    "archived": Bool,
    "locked": Bool,
    "agent_name": Str,
    "package_id": Id,
    "package_name": Str,
    "device_id": Id,
    "device_name": Str,
    "config_id": Id,
    "config_name": Str,
    "user_id": Id,
    "job_id": Id,
    "note": Str,
    "tags": StrArray,
    "testcases": StrArray,
};

pub static TEST_SCHEMA: Schema = crate::schema! {
    "seq": Id,
    "loop": Int,
    "result": Str,
    "active": Bool = "(result = 'running')",
    "name": Str,
    "description": Str,
    "started": Time,
    "duration": Int,
    "flagged": Bool,
    "log": Str,
    "note": Str,
};

pub static LOGDIR_SCHEMA: Schema = crate::schema! {
    "name": Str,
    "size": Int,
    "modified": Time,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_show_as_something_else_are_refused_in_words() {
        assert!(valid_file_name("Cisco E4200"));
        assert!(valid_file_name("cdrouter_basic_1.txt"));
        assert!(valid_file_name("résumé.txt"), "plain non-ASCII is fine");
        let e = file_name_problem("rtl-\u{202e}txt.exe").expect("refused");
        assert_eq!(e, "has U+202E (RIGHT-TO-LEFT OVERRIDE)");
        for c in ['\u{200f}', '\u{2066}', '\u{feff}', '\u{200b}'] {
            assert!(!valid_file_name(&format!("a{c}b")), "{c:?}");
        }
        assert!(file_name_problem("a/b").is_some_and(|e| e.contains("'/'")));
        assert!(file_name_problem("a\nb").is_some());
        assert!(file_name_problem("..").is_some());
    }

    #[test]
    fn content_disposition_has_an_ascii_fallback_and_the_exact_name() {
        assert_eq!(
            content_disposition("final.txt"),
            "attachment; filename=\"final.txt\""
        );
        assert_eq!(
            content_disposition("Cisco E4200"),
            "attachment; filename=\"Cisco E4200\""
        );
        assert_eq!(
            content_disposition("rtl-\u{202e}txt.exe"),
            "attachment; filename=\"rtl-_txt.exe\"; filename*=UTF-8''rtl-%E2%80%AEtxt.exe"
        );
        assert_eq!(
            content_disposition("é \"q\".txt"),
            "attachment; filename=\"_ _q_.txt\"; filename*=UTF-8''%C3%A9%20%22q%22.txt"
        );
    }
}
