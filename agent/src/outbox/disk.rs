//! The outbox on disk: the files of `<job dir>/outbox/` (see [`super`]), appended and read
//! back within the cap of its [`Budget`], each small document replaced atomically.

use super::budget::{Budget, Grant, DEFAULT_OUTBOX_MAX_BYTES};
use labrelay_api::agents::{Finish, StartRequest};
use labrelay_api::results::TestRecord;
use labrelay_api::Id;
use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The run's result directory (cdrouter-cli's `-logdir`), inside the job's directory.
pub const RESULT_DIR: &str = "result";

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("outbox {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("outbox {path}: {message}")]
    Corrupt { path: PathBuf, message: String },
    #[error("the outbox is full (its cap is {cap} bytes, --outbox-max-bytes)")]
    Full { cap: u64 },
}

/// The files whose growth the budget bounds (the others are a few small JSON documents).
const GROWING: [&str; 3] = ["log", "tests.jsonl", "files.jsonl"];

#[derive(Clone, Debug)]
pub struct Outbox {
    job: Id,
    dir: PathBuf,
    budget: Arc<Budget>,
}

impl Outbox {
    /// Creates (or reopens) the outbox of a job directory, capped at the default
    /// ([`Outbox::with_max_bytes`] sets another cap).
    pub fn create(job_dir: &Path, job: Id) -> Result<Outbox, OutboxError> {
        let dir = job_dir.join("outbox");
        fs::create_dir_all(&dir).map_err(|source| OutboxError::Io {
            path: dir.clone(),
            source,
        })?;
        let log = dir.join("log");
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .map_err(|source| OutboxError::Io { path: log, source })?;
        Ok(Outbox::at(job, dir))
    }

    /// The outbox of an existing `job-<id>` directory, when it has one.
    pub fn open(job_dir: &Path) -> Option<Outbox> {
        let name = job_dir.file_name()?.to_str()?;
        let id: u64 = name.strip_prefix("job-")?.parse().ok()?;
        let dir = job_dir.join("outbox");
        dir.join("log").is_file().then(|| Outbox::at(Id(id), dir))
    }

    fn at(job: Id, dir: PathBuf) -> Outbox {
        let used = held_bytes(&dir);
        Outbox {
            job,
            dir,
            budget: Arc::new(Budget::new(DEFAULT_OUTBOX_MAX_BYTES, used)),
        }
    }

    /// The same outbox capped at `max_bytes` (for every handle cloned from it from now on).
    pub fn with_max_bytes(self, max_bytes: u64) -> Outbox {
        let used = held_bytes(&self.dir);
        Outbox {
            budget: Arc::new(Budget::new(max_bytes, used)),
            ..self
        }
    }

    /// The cap and what is used of it.
    pub fn budget(&self) -> &Budget {
        &self.budget
    }

    pub fn job(&self) -> Id {
        self.job
    }

    /// The outbox's own directory, `<job dir>/outbox`.
    pub(super) fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn log_path(&self) -> PathBuf {
        self.path("log")
    }

    /// Where cdrouter-cli writes the run's results (`-logdir`): `<job dir>/result`.
    pub fn result_dir(&self) -> PathBuf {
        self.dir
            .parent()
            .map_or_else(|| self.dir.join(RESULT_DIR), |d| d.join(RESULT_DIR))
    }

    /// Appends a test record to send.
    pub fn append_test(&self, record: &TestRecord) -> Result<(), OutboxError> {
        let line = serde_json::to_string(record).map_err(|e| OutboxError::Corrupt {
            path: self.path("tests.jsonl"),
            message: e.to_string(),
        })?;
        self.append("tests.jsonl", &line)
    }

    /// Queues a file of the result directory for upload, as it is now.
    pub fn queue_file(
        &self,
        name: &str,
        size: u64,
        modified: SystemTime,
    ) -> Result<(), OutboxError> {
        let nanos = modified
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        self.append("files.jsonl", &format!("{name}\t{size}\t{nanos}"))
    }

    /// Every file queued so far, with the size and time it had then (the last entry wins).
    pub fn queued_files(&self) -> Result<HashMap<String, (u64, SystemTime)>, OutboxError> {
        let text = self.read_text("files.jsonl")?;
        Ok(text
            .lines()
            .filter_map(parse_file_line)
            .map(|(name, size, nanos)| {
                let t = UNIX_EPOCH + Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX));
                (name.to_string(), (size, t))
            })
            .collect())
    }

    fn read_text(&self, name: &str) -> Result<String, OutboxError> {
        let path = self.path(name);
        match fs::read(&path) {
            Ok(b) => Ok(String::from_utf8_lossy(&b).into_owned()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(String::new()),
            Err(e) => Err(self.io(&path, e)),
        }
    }

    fn append(&self, name: &str, line: &str) -> Result<(), OutboxError> {
        if let Grant::Refused { .. } = self.budget.take(line.len() as u64 + 1) {
            return Err(OutboxError::Full {
                cap: self.budget.cap(),
            });
        }
        let path = self.path(name);
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| self.io(&path, e))?;
        f.write_all(format!("{line}\n").as_bytes())
            .map_err(|e| self.io(&path, e))
    }

    pub(super) fn offset(&self, name: &str) -> Result<u64, OutboxError> {
        let text = self.read_text(name)?;
        if text.trim().is_empty() {
            return Ok(0);
        }
        text.trim().parse().map_err(|_| OutboxError::Corrupt {
            path: self.path(name),
            message: format!("not an offset: {text:?}"),
        })
    }

    /// Whole lines of `name` from byte `from`: (line, offset after it), at most `max`.
    pub(super) fn lines_from(
        &self,
        name: &str,
        from: u64,
        max: usize,
    ) -> Result<Vec<(String, u64)>, OutboxError> {
        let text = self.read_text(name)?;
        let mut out = Vec::new();
        let mut at = usize::try_from(from).unwrap_or(usize::MAX).min(text.len());
        while out.len() < max {
            let Some(end) = text[at..].find('\n') else {
                break;
            };
            out.push((text[at..at + end].to_string(), (at + end + 1) as u64));
            at += end + 1;
        }
        Ok(out)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn io(&self, path: &Path, source: io::Error) -> OutboxError {
        OutboxError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// A handle that appends to the log.
    pub fn writer(&self) -> Result<LogWriter, OutboxError> {
        let path = self.log_path();
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|e| self.io(&path, e))?;
        Ok(LogWriter {
            file,
            path,
            budget: self.budget.clone(),
        })
    }

    pub fn log_len(&self) -> Result<u64, OutboxError> {
        let path = self.log_path();
        fs::metadata(&path)
            .map(|m| m.len())
            .map_err(|e| self.io(&path, e))
    }

    pub fn acked(&self) -> Result<u64, OutboxError> {
        let path = self.path("acked");
        match fs::read_to_string(&path) {
            Ok(text) => text.trim().parse().map_err(|_| OutboxError::Corrupt {
                path,
                message: format!("not an offset: {text:?}"),
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(0),
            Err(e) => Err(self.io(&path, e)),
        }
    }

    pub(super) fn set_acked(&self, offset: u64) -> Result<(), OutboxError> {
        self.write_atomic("acked", offset.to_string().as_bytes())
    }

    /// Up to `max` bytes of log text from `offset`, cut at a character boundary; empty at the end.
    pub fn read_log(&self, offset: u64, max: usize) -> Result<String, OutboxError> {
        let path = self.log_path();
        let mut file = File::open(&path).map_err(|e| self.io(&path, e))?;
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| self.io(&path, e))?;
        let mut buf = Vec::with_capacity(max.min(64 << 10));
        file.take(max as u64)
            .read_to_end(&mut buf)
            .map_err(|e| self.io(&path, e))?;
        match String::from_utf8(buf) {
            Ok(s) => Ok(s),
            Err(e) => {
                // A character cut by `max`: stop before it, it goes with the next chunk.
                let valid = e.utf8_error().valid_up_to();
                let mut buf = e.into_bytes();
                buf.truncate(valid);
                String::from_utf8(buf).map_err(|e| OutboxError::Corrupt {
                    path,
                    message: e.to_string(),
                })
            }
        }
    }

    pub fn set_start(&self, req: &StartRequest) -> Result<(), OutboxError> {
        self.write_json("start.json", req)
    }

    pub fn pending_start(&self) -> Result<Option<StartRequest>, OutboxError> {
        self.read_json("start.json")
    }

    /// Records the end of the run; the log must be complete by now.
    pub fn set_finish(&self, finish: &Finish) -> Result<(), OutboxError> {
        self.write_json("finish.json", finish)
    }

    pub fn pending_finish(&self) -> Result<Option<Finish>, OutboxError> {
        self.read_json("finish.json")
    }

    /// Nothing more to send, and why.
    pub fn close(&self, note: &str) -> Result<(), OutboxError> {
        self.write_atomic("closed", format!("{note}\n").as_bytes())
    }

    pub fn is_closed(&self) -> bool {
        self.path("closed").exists()
    }

    pub(super) fn remove(&self, name: &str) -> Result<(), OutboxError> {
        let path = self.path(name);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(self.io(&path, e)),
            _ => Ok(()),
        }
    }

    fn write_json<T: serde::Serialize>(&self, name: &str, value: &T) -> Result<(), OutboxError> {
        let text = serde_json::to_vec_pretty(value).map_err(|e| OutboxError::Corrupt {
            path: self.path(name),
            message: e.to_string(),
        })?;
        self.write_atomic(name, &text)
    }

    fn read_json<T: serde::de::DeserializeOwned>(
        &self,
        name: &str,
    ) -> Result<Option<T>, OutboxError> {
        let path = self.path(name);
        match fs::read(&path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes)
                    .map(Some)
                    .map_err(|e| OutboxError::Corrupt {
                        path,
                        message: e.to_string(),
                    })
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.io(&path, e)),
        }
    }

    /// Write to a temporary file, flush it to disk, rename over: a crash leaves the old
    /// content or the new, never half of one.
    pub(super) fn write_atomic(&self, name: &str, bytes: &[u8]) -> Result<(), OutboxError> {
        let path = self.path(name);
        let tmp = self.path(&format!("{name}.tmp"));
        let write = || -> io::Result<()> {
            let mut f = File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            fs::rename(&tmp, &path)
        };
        write().map_err(|e| self.io(&path, e))
    }
}

/// The bytes the growing files of an outbox directory hold now.
fn held_bytes(dir: &Path) -> u64 {
    GROWING
        .iter()
        .filter_map(|name| fs::metadata(dir.join(name)).ok())
        .map(|m| m.len())
        .sum()
}

/// Appends lines to a job's log, within the outbox's cap.
pub struct LogWriter {
    file: File,
    path: PathBuf,
    budget: Arc<Budget>,
}

impl LogWriter {
    /// Appends a line of output; when the outbox is full the line is dropped and the answer
    /// says whether this is the first line dropped (the caller notes it in the log).
    pub fn append_line(&mut self, line: &str) -> Result<Grant, OutboxError> {
        let grant = self.budget.take(line.len() as u64 + 1);
        if grant == Grant::Granted {
            self.write(line)?;
        }
        Ok(grant)
    }

    /// Appends a line of the agent's own, from the reserve kept for them once output is
    /// refused; false when even that is spent (the line is dropped).
    pub fn append_note(&mut self, line: &str) -> Result<bool, OutboxError> {
        if !self.budget.take_note(line.len() as u64 + 1) {
            return Ok(false);
        }
        self.write(line).map(|()| true)
    }

    fn write(&mut self, line: &str) -> Result<(), OutboxError> {
        let mut buf = String::with_capacity(line.len() + 1);
        buf.push_str(line);
        buf.push('\n');
        self.file
            .write_all(buf.as_bytes())
            .map_err(|source| OutboxError::Io {
                path: self.path.clone(),
                source,
            })
    }
}

/// `name<TAB>size<TAB>mtime-nanos`.
pub(super) fn parse_file_line(line: &str) -> Option<(&str, u64, u128)> {
    let mut parts = line.rsplitn(3, '\t');
    let nanos = parts.next()?.parse().ok()?;
    let size = parts.next()?.parse().ok()?;
    Some((parts.next()?, size, nanos))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::budget::NOTE_RESERVE;

    #[test]
    fn chunks_end_on_character_boundaries() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ob = Outbox::create(&dir.path().join("job-1"), Id(1)).expect("outbox");
        ob.writer()
            .expect("writer")
            .append_line("aé")
            .expect("append");
        assert_eq!(ob.read_log(0, 2).expect("read"), "a");
        assert_eq!(ob.read_log(1, 2).expect("read"), "é");
        assert_eq!(ob.read_log(0, 100).expect("read"), "aé\n");
        assert_eq!(ob.read_log(4, 100).expect("read"), "");
    }

    #[test]
    fn the_outbox_never_grows_past_its_cap() {
        let dir = tempfile::tempdir().expect("tempdir");
        let job_dir = dir.path().join("job-2");
        let cap = NOTE_RESERVE + 10_000;
        let ob = Outbox::create(&job_dir, Id(2))
            .expect("outbox")
            .with_max_bytes(cap);
        let mut w = ob.writer().expect("writer");
        let line = "x".repeat(99);
        let mut granted = 0;
        let mut first_refusals = 0;
        for _ in 0..1_000 {
            match w.append_line(&line).expect("append") {
                Grant::Granted => granted += 1,
                Grant::Refused { first: true } => {
                    first_refusals += 1;
                    assert!(w.append_note("[note] the outbox is full").expect("note"));
                }
                Grant::Refused { first: false } => {}
            }
        }
        assert_eq!(granted, 100, "output stops short of the reserve");
        assert_eq!(first_refusals, 1, "the first refusal is said once");
        // Records and queued files count too, and are refused the same way.
        assert!(matches!(
            ob.append_test(&TestRecord::default()),
            Err(OutboxError::Full { cap: c }) if c == cap
        ));
        assert!(ob.queue_file("a.txt", 1, SystemTime::now()).is_err());
        // Notes fill the reserve and no more.
        while w.append_note(&line).expect("note") {}
        let held = fs::metadata(ob.log_path()).expect("log").len();
        assert!(held <= cap, "{held} > {cap}");
        assert!(held > cap - 200, "the reserve was used: {held}");
        let log = fs::read_to_string(ob.log_path()).expect("log");
        assert_eq!(log.lines().filter(|l| l.starts_with("[note]")).count(), 1);

        // Reopened (an agent restart), it counts what it holds: still full.
        let again = Outbox::open(&job_dir)
            .expect("reopened")
            .with_max_bytes(cap);
        assert_eq!(again.budget().used(), held);
        assert!(again.append_test(&TestRecord::default()).is_err());
    }

    #[test]
    fn only_job_directories_have_outboxes() {
        let dir = tempfile::tempdir().expect("tempdir");
        Outbox::create(&dir.path().join("job-3"), Id(3)).expect("outbox");
        fs::create_dir_all(dir.path().join("job-3.prev-1/outbox")).expect("mkdir");
        assert!(Outbox::open(&dir.path().join("job-3")).is_some());
        assert!(Outbox::open(&dir.path().join("job-3.prev-1")).is_none());
        assert!(Outbox::open(&dir.path().join("job-4")).is_none());
    }
}
