//! Retention: which old job directories go, so a lab machine's disk does not fill up.
//!
//! A run directory is `job-<id>`, or `job-<id>.prev-<secs>` (an earlier attempt at the same
//! job, moved aside). It is *delivered* once its `outbox/closed` file exists. An undelivered
//! directory (a job running now, or a report the server has not taken yet) is never removed,
//! however old. Of the delivered ones, the newest [`Policy::keep_runs`] are kept (newest by
//! when `closed` was written: when the report was done) and any delivered more than
//! [`Policy::keep_days`] ago go; 0 turns a limit off. Nothing else in the work directory is
//! touched.
//!
//! A sweep picks and renames on the caller's thread (metadata only, milliseconds), so it
//! never races the agent preparing a job directory, then deletes in the background.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

/// CDRouter keeps a run's logs and packet captures in its `-logdir` (tens to hundreds of MB
/// for a package): 50 runs is weeks of a busy lab and about 10 GB at worst, which a lab
/// machine has to spare.
pub const DEFAULT_KEEP_RUNS: u32 = 50;
/// A month to fetch the captures of a failed run before they go.
pub const DEFAULT_KEEP_DAYS: u32 = 30;
/// Where a sweep moves what it removes before deleting it; leftovers go at the next sweep.
const TRASH_PREFIX: &str = ".retention-trash-";

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// How many delivered runs to keep, newest first (0: no limit).
    pub keep_runs: u32,
    /// How many days a delivered run is kept (0: no limit).
    pub keep_days: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            keep_runs: DEFAULT_KEEP_RUNS,
            keep_days: DEFAULT_KEEP_DAYS,
        }
    }
}

/// A run directory as retention sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunDir {
    pub path: PathBuf,
    /// When `outbox/closed` was written; `None`: not delivered.
    pub delivered: Option<SystemTime>,
}

/// `job-<digits>` or `job-<digits>.prev-<digits>`.
pub fn is_run_dir_name(name: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let Some(rest) = name.strip_prefix("job-") else {
        return false;
    };
    match rest.split_once(".prev-") {
        Some((id, secs)) => digits(id) && digits(secs),
        None => digits(rest),
    }
}

/// The run directories under `work_dir` (real directories only, never symlinks).
pub fn scan(work_dir: &Path) -> io::Result<Vec<RunDir>> {
    let mut runs = Vec::new();
    for entry in std::fs::read_dir(work_dir)? {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        if !is_run_dir_name(&name) || !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let path = entry.path();
        let closed = path.join("outbox").join("closed");
        let delivered = match std::fs::symlink_metadata(&closed) {
            // Written atomically by the outbox; an unreadable time counts as just now.
            Ok(meta) => Some(meta.modified().unwrap_or_else(|_| SystemTime::now())),
            Err(_) => None,
        };
        runs.push(RunDir { path, delivered });
    }
    Ok(runs)
}

/// What the policy removes, given the run directories and the time now.
pub fn select(runs: &[RunDir], policy: Policy, now: SystemTime) -> Vec<PathBuf> {
    let mut delivered: Vec<(SystemTime, &Path)> = runs
        .iter()
        .filter_map(|r| r.delivered.map(|t| (t, r.path.as_path())))
        .collect();
    // Newest first; the path breaks ties so the choice does not depend on directory order.
    delivered.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| b.1.cmp(a.1)));
    let max_age = DAY * policy.keep_days;
    delivered
        .into_iter()
        .enumerate()
        .filter(|(rank, (when, _))| {
            let too_many = policy.keep_runs > 0 && *rank >= policy.keep_runs as usize;
            let too_old =
                policy.keep_days > 0 && now.duration_since(*when).is_ok_and(|age| age > max_age);
            too_many || too_old
        })
        .map(|(_, (_, path))| path.to_path_buf())
        .collect()
}

/// What a sweep did.
#[derive(Debug, Default)]
pub struct Swept {
    /// Moved out of sight; deleted by [`Swept::delete`].
    pub removed: Vec<PathBuf>,
    /// Trash to delete: this sweep's and any an earlier one left.
    trash: Vec<PathBuf>,
}

/// Applies the policy: the chosen directories are renamed into a trash directory at once.
pub fn sweep(work_dir: &Path, policy: Policy) -> io::Result<Swept> {
    let mut swept = Swept {
        trash: leftover_trash(work_dir),
        ..Swept::default()
    };
    let doomed = select(&scan(work_dir)?, policy, SystemTime::now());
    if doomed.is_empty() {
        return Ok(swept);
    }
    static N: AtomicU64 = AtomicU64::new(0);
    let trash = work_dir.join(format!(
        "{TRASH_PREFIX}{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir(&trash)?;
    for dir in doomed {
        let Some(name) = dir.file_name() else {
            continue;
        };
        match std::fs::rename(&dir, trash.join(name)) {
            Ok(()) => swept.removed.push(dir),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!("retention: cannot remove {}: {e}", dir.display()),
        }
    }
    swept.trash.push(trash);
    Ok(swept)
}

fn leftover_trash(work_dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(work_dir) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(TRASH_PREFIX))
        .map(|e| e.path())
        .collect()
}

impl Swept {
    /// Deletes the trash (slow for big captures: run it off the agent's loop).
    pub fn delete(self) {
        for dir in self.trash {
            match std::fs::remove_dir_all(&dir) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => tracing::warn!("retention: cannot delete {}: {e}", dir.display()),
            }
        }
    }
}

/// A sweep for the agent loop: picks and renames now, deletes on a blocking thread.
pub fn sweep_in_background(work_dir: &Path, policy: Policy) {
    let swept = match sweep(work_dir, policy) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("retention: cannot read {}: {e}", work_dir.display());
            return;
        }
    };
    if !swept.removed.is_empty() {
        tracing::info!(
            "retention: removing {} old job director{} (keep_runs {}, keep_days {})",
            swept.removed.len(),
            if swept.removed.len() == 1 { "y" } else { "ies" },
            policy.keep_runs,
            policy.keep_days
        );
    }
    if !swept.trash.is_empty() {
        tokio::task::spawn_blocking(move || swept.delete());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(name: &str, delivered_days_ago: Option<u32>, now: SystemTime) -> RunDir {
        RunDir {
            path: PathBuf::from(name),
            delivered: delivered_days_ago.map(|d| now - DAY * d),
        }
    }

    /// A run directory on disk; `closed_days_ago` None: not delivered.
    fn make_run(work: &Path, name: &str, closed_days_ago: Option<u32>) -> PathBuf {
        let dir = work.join(name);
        std::fs::create_dir_all(dir.join("outbox")).expect("mkdir");
        std::fs::write(dir.join("outbox/log"), "PASS: x\n").expect("log");
        std::fs::write(dir.join("capture.pcap"), [0u8; 64]).expect("capture");
        if let Some(d) = closed_days_ago {
            let closed = std::fs::File::create(dir.join("outbox/closed")).expect("closed");
            closed
                .set_modified(SystemTime::now() - DAY * d)
                .expect("set mtime");
        }
        dir
    }

    #[test]
    fn a_sweep_removes_only_old_delivered_runs() {
        let work = tempfile::tempdir().expect("tempdir");
        let w = work.path();
        let old = make_run(w, "job-1", Some(40));
        let old_prev = make_run(w, "job-3.prev-1700000000", Some(45));
        let new = make_run(w, "job-3", Some(0));
        let pending = make_run(w, "job-2", None);
        let not_a_run = make_run(w, "job-old", Some(90));
        std::fs::write(w.join("agent.log"), "x").expect("file");
        std::fs::create_dir(w.join(".retention-trash-1-0")).expect("leftover trash");
        let swept = sweep(w, Policy::default()).expect("sweep");
        let mut removed = swept.removed.clone();
        removed.sort();
        assert_eq!(removed, [old.clone(), old_prev.clone()]);
        swept.delete();
        assert!(!old.exists() && !old_prev.exists());
        assert!(new.exists() && pending.exists() && not_a_run.exists());
        assert!(w.join("agent.log").exists());
        let left: Vec<String> = std::fs::read_dir(w)
            .expect("read")
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(TRASH_PREFIX))
            .collect();
        assert!(left.is_empty(), "trash left: {left:?}");
    }

    #[test]
    fn run_directory_names() {
        for ok in ["job-1", "job-123", "job-7.prev-1700000000"] {
            assert!(is_run_dir_name(ok), "{ok}");
        }
        for no in [
            "job-",
            "job-x",
            "job-1.prev-",
            "job-1.old",
            "jobs-1",
            "agent.log",
            ".retention-trash-1-0",
            "job-1/..",
        ] {
            assert!(!is_run_dir_name(no), "{no}");
        }
    }

    #[test]
    fn undelivered_runs_are_never_chosen() {
        let now = SystemTime::now();
        let runs = vec![
            run("job-1", None, now),
            run("job-2", Some(400), now),
            run("job-3", None, now),
        ];
        let everything = Policy {
            keep_runs: 1,
            keep_days: 1,
        };
        assert_eq!(select(&runs, everything, now), [PathBuf::from("job-2")]);
    }

    #[test]
    fn the_newest_n_delivered_are_kept_and_none_older_than_d_days() {
        let now = SystemTime::now();
        // Delivered 0..=5 days ago: job-10 newest, job-15 oldest.
        let runs: Vec<RunDir> = (0..6)
            .map(|d| run(&format!("job-1{d}"), Some(d), now))
            .collect();
        let names = |p: Policy| -> Vec<String> {
            let mut v: Vec<String> = select(&runs, p, now)
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            v.sort();
            v
        };
        let policy = |keep_runs, keep_days| Policy {
            keep_runs,
            keep_days,
        };
        assert_eq!(names(policy(4, 0)), ["job-14", "job-15"]);
        assert_eq!(names(policy(0, 3)), ["job-14", "job-15"]);
        assert_eq!(
            names(policy(2, 4)),
            ["job-12", "job-13", "job-14", "job-15"]
        );
        assert_eq!(
            names(policy(5, 1)),
            ["job-12", "job-13", "job-14", "job-15"]
        );
        assert!(names(policy(0, 0)).is_empty());
        assert!(names(policy(6, 30)).is_empty());
    }
}
