//! Watches cdrouter-cli's log directory during a run (see the fixtures' README for what a
//! real one holds) and turns it into test records and file uploads:
//!
//! - `start.txt` is test `seq` 1, `start` ("CDRouter Startup"); it ends when the first test
//!   begins.
//! - A `.txt` whose header says `Test cdrouter-N: ...` / `Name: x` is a test, numbered in
//!   the order tests began (the first time in their logs; several can turn up in one look);
//!   `x.N.txt` is loop N of `x`. A test ends with its verdict line, or with the run; one cut
//!   off has no verdict: `fatal`.
//! - `final.txt` is the last test, `final` ("CDRouter Shutdown Sequence"). When the run is
//!   over its synopsis is the authority on every verdict; planned tests that never began are
//!   `pending` (or `skipped`, when `skip.log` names them).
//! - A test's log, captures (`<log base>-*.cap`) and files (`<test>_*`) are queued for upload
//!   when the test ends; everything else, and anything changed since it was queued, when
//!   the run ends.
//!
//! Files beyond the per-result cap stay on this machine; the job log says which.

use super::localtime::to_utc;
use crate::outbox::{Outbox, OutboxError};
use labrelay_api::agents::Summary;
use labrelay_api::cdrouter::{classify, parse_synopsis, summarize, FileKind, LogTime, TestHeader};
use labrelay_api::results::{valid_file_name, TestRecord};
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// How much of a new `.txt` is read to find a test header.
const HEAD_BYTES: u64 = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    size: u64,
    modified: SystemTime,
}

struct Test {
    record: TestRecord,
    /// The log base (`dns_45`, `perf_5.3`) and the test's CDRouter number.
    base: String,
    number: u64,
    open: bool,
    /// The log's size when its verdict was last looked for.
    checked: u64,
    /// `started` is the log's own first stamp (else, while it runs, the agent's clock when
    /// the test began: a running test always has a start time).
    stamped: bool,
}

/// A test log found in one look: its first stamp, its time, its name and its header.
type NewLog = (Option<LogTime>, SystemTime, String, TestHeader);

pub struct Watcher {
    dir: PathBuf,
    outbox: Outbox,
    planned: Vec<String>,
    tests: Vec<Test>,
    /// `.txt` files found not to be test logs, by the size they had then.
    not_tests: HashMap<String, u64>,
    /// What was queued for upload, as it was then.
    queued: HashMap<String, Stamp>,
    queued_bytes: u64,
    max_bytes: u64,
    /// Lines for the job log (the cap was reached, ...), taken by [`Watcher::notes`].
    notes: Vec<String>,
    cap_noted: bool,
}

impl Watcher {
    /// `planned`: the tests the run should execute, in order (for `pending` ones).
    pub fn new(dir: &Path, outbox: Outbox, planned: Vec<String>, max_bytes: u64) -> Watcher {
        let queued = outbox.queued_files().unwrap_or_default();
        let queued_bytes = queued.values().map(|(size, _)| size).sum();
        Watcher {
            dir: dir.to_path_buf(),
            outbox,
            planned,
            tests: Vec::new(),
            not_tests: HashMap::new(),
            queued: queued
                .into_iter()
                .map(|(name, (size, modified))| (name, Stamp { size, modified }))
                .collect(),
            queued_bytes,
            max_bytes,
            notes: Vec::new(),
            cap_noted: false,
        }
    }

    /// Lines worth putting in the job log since the last call.
    pub fn notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notes)
    }

    /// How many tests have begun (start and final left out).
    pub fn tests_begun(&self) -> usize {
        self.tests
            .iter()
            .filter(|t| !is_phase(&t.record.name))
            .count()
    }

    fn files(&self) -> Vec<(String, Stamp)> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut out: Vec<(String, Stamp)> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let meta = e.metadata().ok().filter(|m| m.is_file())?;
                let name = e.file_name().into_string().ok()?;
                let stamp = Stamp {
                    size: meta.len(),
                    modified: meta.modified().ok()?,
                };
                valid_file_name(&name).then_some((name, stamp))
            })
            .collect();
        // Oldest first: tests that appear in one look are numbered in the order they began.
        out.sort_by(|a, b| a.1.modified.cmp(&b.1.modified).then(a.0.cmp(&b.0)));
        out
    }

    /// One look at the directory: tests that began or ended, files ready to send.
    pub fn scan(&mut self) -> Result<(), OutboxError> {
        let files = self.files();
        let has = |n: &str| files.iter().any(|(f, _)| f == n);
        if has("start.txt") && !self.has_test("start") {
            self.begin(
                phase_record("start", "CDRouter Startup", "start.txt", ""),
                "start",
                0,
            )?;
        }
        let new = self.new_test_logs(&files);
        self.begin_tests(new, has("keylog.txt"))?;
        self.look_for_verdicts(&files)?;
        if has("final.txt") && !self.has_test("final") {
            let keylog = if has("keylog.txt") { "keylog.txt" } else { "" };
            self.begin(
                phase_record("final", "CDRouter Shutdown Sequence", "final.txt", keylog),
                "final",
                0,
            )?;
        }
        Ok(())
    }

    /// Test logs not seen before, in the order the tests began.
    fn new_test_logs(&mut self, files: &[(String, Stamp)]) -> Vec<NewLog> {
        let mut new: Vec<NewLog> = Vec::new();
        for (name, stamp) in files {
            if !matches!(classify(name), FileKind::MaybeTestLog { .. }) {
                continue;
            }
            if self.tests.iter().any(|t| t.record.log == *name)
                || self.not_tests.get(name) == Some(&stamp.size)
            {
                continue;
            }
            match self.header_of(name) {
                Some(h) => new.push((self.first_log_time(name), stamp.modified, name.clone(), h)),
                None => {
                    self.not_tests.insert(name.clone(), stamp.size);
                }
            }
        }
        // A log with no timed line yet (only its header so far) is the newest: it goes last
        // (`None` would sort first).
        new.sort_by(|a, b| (a.0.is_none(), a.0, a.1, &a.2).cmp(&(b.0.is_none(), b.0, b.1, &b.2)));
        new
    }

    /// Begins the tests of new logs; the first ends the start.
    fn begin_tests(&mut self, new: Vec<NewLog>, keylog: bool) -> Result<(), OutboxError> {
        for (_, _, name, h) in new {
            let FileKind::MaybeTestLog { base, repeat, .. } = classify(&name) else {
                continue;
            };
            // The start ends when the first test begins.
            if let Some(i) = self
                .tests
                .iter()
                .position(|t| t.record.name == "start" && t.open)
            {
                let text = self.read_text("start.txt");
                self.end(i, &text)?;
            }
            let record = TestRecord {
                loop_: u64::from(repeat),
                name: h.name.clone(),
                description: h.description.clone(),
                result: "running".into(),
                log: name.clone(),
                keylog: if keylog {
                    "keylog.txt".into()
                } else {
                    String::new()
                },
                ..TestRecord::default()
            };
            let base = base.to_string();
            self.begin(record, &base, h.number)?;
        }
        Ok(())
    }

    /// Verdicts of the tests still running, in the logs that grew.
    fn look_for_verdicts(&mut self, files: &[(String, Stamp)]) -> Result<(), OutboxError> {
        for i in 0..self.tests.len() {
            let t = &self.tests[i];
            if !t.open || is_phase(&t.record.name) {
                continue;
            }
            let size = files
                .iter()
                .find(|(f, _)| *f == t.record.log)
                .map_or(0, |(_, s)| s.size);
            if size == t.checked {
                continue;
            }
            self.tests[i].checked = size;
            let text = self.read_text(&self.tests[i].record.log);
            let summary = summarize(&text);
            if summary.verdict.is_some() {
                self.end(i, &text)?;
            } else if !self.tests[i].stamped {
                // The log's first timed line has come: its stamp replaces the agent's clock.
                if let Some(at) = summary.first.and_then(|f| to_utc(&f.format())) {
                    let t = &mut self.tests[i];
                    t.stamped = true;
                    t.record.started = Some(at);
                    let record = t.record.clone();
                    self.outbox.append_test(&record)?;
                }
            }
        }
        Ok(())
    }

    /// The run is over (cdrouter-cli exited or was stopped): end every test, let the
    /// synopsis settle the verdicts, add the tests that never began, queue every file.
    /// Returns the run's verdict counts.
    pub fn finish(&mut self) -> Result<Summary, OutboxError> {
        self.scan()?;
        for i in 0..self.tests.len() {
            if self.tests[i].open {
                let text = self.read_text(&self.tests[i].record.log);
                self.end(i, &text)?;
            }
        }
        let final_text = self.read_text("final.txt");
        if let Some(synopsis) = parse_synopsis(&final_text) {
            let mut used = vec![false; self.tests.len()];
            for row in &synopsis.rows {
                let found = self.tests.iter().enumerate().position(|(i, t)| {
                    !used[i] && !is_phase(&t.record.name) && t.number == row.number
                });
                if let Some(i) = found {
                    used[i] = true;
                    if self.tests[i].record.result != row.result {
                        self.tests[i].record.result = row.result.clone();
                        self.outbox.append_test(&self.tests[i].record)?;
                    }
                }
            }
        }
        self.add_not_begun(!final_text.is_empty())?;
        for (name, stamp) in self.files() {
            self.queue(&name, stamp)?;
        }
        let verdicts = |r: &str| {
            self.tests
                .iter()
                .filter(|t| !is_phase(&t.record.name) && t.record.result == r)
                .count() as u64
        };
        let (passed, failed) = (verdicts("pass"), verdicts("fail"));
        Ok(Summary {
            tests: passed + failed,
            passed,
            failed,
        })
    }

    /// Planned tests that never began: `skipped` when `skip.log` says so, else (the run was
    /// cut short) `pending`.
    fn add_not_begun(&mut self, finished: bool) -> Result<(), OutboxError> {
        let skipped: HashMap<String, String> = self
            .read_text("skip.log")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| {
                let mut w = l.splitn(2, char::is_whitespace);
                Some((
                    w.next()?.to_string(),
                    w.next().unwrap_or("").trim().to_string(),
                ))
            })
            .collect();
        let mut begun: HashMap<&str, usize> = HashMap::new();
        for t in self.tests.iter().filter(|t| !is_phase(&t.record.name)) {
            *begun.entry(t.record.name.as_str()).or_default() += 1;
        }
        let mut missing = Vec::new();
        for name in &self.planned {
            match begun.get_mut(name.as_str()) {
                Some(n) if *n > 0 => *n -= 1,
                _ => missing.push(name.clone()),
            }
        }
        for name in missing {
            let (result, reason) = match skipped.get(&name) {
                Some(reason) => ("skipped", reason.clone()),
                None if !finished => ("pending", String::new()),
                None => continue,
            };
            let record = TestRecord {
                loop_: 1,
                name: name.clone(),
                result: result.into(),
                skip_reason: reason,
                ..TestRecord::default()
            };
            self.begin(record, &name, 0)?;
            let last = self.tests.len() - 1;
            self.tests[last].open = false;
        }
        Ok(())
    }

    fn has_test(&self, name: &str) -> bool {
        self.tests.iter().any(|t| t.record.name == name)
    }

    fn begin(
        &mut self,
        mut record: TestRecord,
        base: &str,
        number: u64,
    ) -> Result<(), OutboxError> {
        record.seq = self.tests.len() as u64 + 1;
        let from_log = if record.log.is_empty() || !self.dir.join(&record.log).exists() {
            None
        } else {
            self.first_time(&record.log)
        };
        let stamped = from_log.is_some();
        // No timed line yet (a log that opens with its header): the agent's clock until the
        // log's own stamp comes. Tests that never ran (skipped, pending) have none.
        record.started = from_log.or_else(|| (record.result == "running").then(clock_now));
        self.outbox.append_test(&record)?;
        self.tests.push(Test {
            record,
            base: base.to_string(),
            number,
            open: true,
            checked: 0,
            stamped,
        });
        Ok(())
    }

    /// Ends test `i` from its log: verdict (`fatal` without one), times; queues its files.
    fn end(&mut self, i: usize, text: &str) -> Result<(), OutboxError> {
        let summary = summarize(text);
        let t = &mut self.tests[i];
        t.open = false;
        if t.record.result == "running" {
            t.record.result = if is_phase(&t.record.name) {
                "pass".into()
            } else {
                summary.verdict.map_or("fatal", |v| v.as_str()).into()
            };
        }
        t.record.duration = summary.duration_secs();
        if !t.stamped {
            if let Some(at) = summary.first.and_then(|f| to_utc(&f.format())) {
                t.stamped = true;
                t.record.started = Some(at);
            }
        }
        let record = t.record.clone();
        let (base, test) = (t.base.clone(), t.record.name.clone());
        self.outbox.append_test(&record)?;
        for (name, stamp) in self.files() {
            let belongs = name == record.log
                || (name.starts_with(&format!("{base}-")) && name.ends_with(".cap"))
                || (!is_phase(&test)
                    && name.starts_with(&format!("{test}_"))
                    && !name.ends_with(".txt"));
            if belongs {
                self.queue(&name, stamp)?;
            }
        }
        Ok(())
    }

    /// Queues a file unless it is queued as it is, or the result's cap would be passed.
    fn queue(&mut self, name: &str, stamp: Stamp) -> Result<(), OutboxError> {
        if self.queued.get(name) == Some(&stamp) {
            return Ok(());
        }
        let before = self.queued.get(name).map_or(0, |s| s.size);
        let after = self.queued_bytes - before + stamp.size;
        if after > self.max_bytes {
            if !self.cap_noted {
                self.cap_noted = true;
                self.notes.push(format!(
                    "the result's upload cap ({} bytes) is reached: {name} and later files stay on this machine only, in {}",
                    self.max_bytes,
                    self.dir.display()
                ));
            }
            return Ok(());
        }
        self.outbox.queue_file(name, stamp.size, stamp.modified)?;
        self.queued.insert(name.to_string(), stamp);
        self.queued_bytes = after;
        Ok(())
    }

    fn read_text(&self, name: &str) -> String {
        if name.is_empty() {
            return String::new();
        }
        std::fs::read(self.dir.join(name))
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    fn header_of(&self, name: &str) -> Option<TestHeader> {
        let mut head = Vec::new();
        std::fs::File::open(self.dir.join(name))
            .ok()?
            .take(HEAD_BYTES)
            .read_to_end(&mut head)
            .ok()?;
        TestHeader::parse(&String::from_utf8_lossy(&head))
    }

    /// When a test began by its own log: its first timestamped line.
    fn first_log_time(&self, name: &str) -> Option<LogTime> {
        let mut head = Vec::new();
        std::fs::File::open(self.dir.join(name))
            .ok()?
            .take(HEAD_BYTES * 4)
            .read_to_end(&mut head)
            .ok()?;
        summarize(&String::from_utf8_lossy(&head)).first
    }

    fn first_time(&self, name: &str) -> Option<labrelay_api::Timestamp> {
        self.first_log_time(name).and_then(|t| to_utc(&t.format()))
    }
}

/// The agent's clock, as a wire timestamp.
fn clock_now() -> labrelay_api::Timestamp {
    labrelay_api::Timestamp(jiff::Timestamp::now().as_microsecond())
}

fn is_phase(name: &str) -> bool {
    name == "start" || name == "final"
}

fn phase_record(name: &str, description: &str, log: &str, keylog: &str) -> TestRecord {
    TestRecord {
        loop_: 1,
        name: name.into(),
        description: description.into(),
        result: "running".into(),
        log: log.into(),
        keylog: keylog.into(),
        ..TestRecord::default()
    }
}

#[cfg(test)]
mod tests;
