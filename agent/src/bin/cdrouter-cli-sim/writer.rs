//! Writes the log directory as a real run does, paced so a run takes seconds: each log is
//! written line by line over its share of the run, echoed to stdout as it goes (cdrouter-cli
//! prints its log), with every timestamp rewritten to the local time it is written at.
//! A SIGTERM stops the writing between lines: the file keeps what was written.

use labrelay_api::cdrouter::LogTime;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Set by the SIGTERM handler.
pub static TERMINATED: AtomicBool = AtomicBool::new(false);

/// A log is written in this many slices, so a test's lines arrive over its time, not at once.
const SLICES: usize = 10;

#[derive(Debug)]
pub struct Interrupted;

pub struct Writer {
    pub logdir: PathBuf,
    /// A pause before each log's first timed line (`CDROUTER_SIM_LATE_STAMP_MS`).
    pub late_stamp: Duration,
}

pub fn terminated() -> bool {
    TERMINATED.load(Ordering::SeqCst)
}

/// Sleeps `d`, waking early on SIGTERM.
pub fn pause(d: Duration) -> Result<(), Interrupted> {
    let step = Duration::from_millis(20);
    let mut left = d;
    while !left.is_zero() {
        if terminated() {
            return Err(Interrupted);
        }
        let now = left.min(step);
        std::thread::sleep(now);
        left -= now;
    }
    if terminated() {
        return Err(Interrupted);
    }
    Ok(())
}

/// Local wall-clock time as CDRouter writes it: `2022-08-21 22:23:12.722`.
pub fn log_now() -> String {
    jiff::Zoned::now()
        .strftime("%Y-%m-%d %H:%M:%S%.3f")
        .to_string()
}

/// `Sun Aug 21 22:23:12 EDT 2022`, as in "Test run started at ...".
pub fn date_now() -> String {
    jiff::Zoned::now()
        .strftime("%a %b %e %H:%M:%S %Z %Y")
        .to_string()
}

/// Whether the line opens with a CDRouter timestamp.
fn is_timed(line: &str) -> bool {
    line.get(..23)
        .is_some_and(|ts| LogTime::parse(ts).is_some())
}

/// The line with its leading timestamp, if any, replaced by `now`.
pub fn restamp(line: &str, now: &str) -> String {
    match line.get(..23) {
        Some(ts) if LogTime::parse(ts).is_some() => format!("{now}{}", &line[23..]),
        _ => line.to_string(),
    }
}

impl Writer {
    pub fn path(&self, name: &str) -> PathBuf {
        self.logdir.join(name)
    }

    pub fn write_file(&self, name: &str, bytes: &[u8]) -> Result<(), String> {
        std::fs::write(self.path(name), bytes)
            .map_err(|e| format!("cannot write {}: {e}", self.path(name).display()))
    }

    /// Writes `text` as the log `name` over `duration`, echoing each line to stdout.
    pub fn write_log(&self, name: &str, text: &str, duration: Duration) -> Result<(), LogError> {
        let path = self.path(name);
        let mut file = std::fs::File::create(&path)
            .map_err(|e| LogError::Io(format!("cannot write {}: {e}", path.display())))?;
        let lines: Vec<&str> = text.lines().collect();
        let per_slice = lines.len().div_ceil(SLICES).max(1);
        let pause_each = duration / SLICES as u32;
        let mut stamped = false;
        let write = |lines: &[&str], file: &mut std::fs::File| -> Result<(), LogError> {
            let now = log_now();
            let mut out = String::new();
            for line in lines {
                out.push_str(&restamp(line, &now));
                out.push('\n');
            }
            file.write_all(out.as_bytes())
                .and_then(|()| file.flush())
                .map_err(|e| LogError::Io(format!("cannot write {}: {e}", path.display())))?;
            say(&out);
            Ok(())
        };
        for chunk in lines.chunks(per_slice) {
            if terminated() {
                return Err(LogError::Interrupted);
            }
            let first_timed = chunk.iter().position(|l| is_timed(l));
            match first_timed {
                Some(i) if !stamped && !self.late_stamp.is_zero() => {
                    write(&chunk[..i], &mut file)?;
                    pause(self.late_stamp).map_err(|Interrupted| LogError::Interrupted)?;
                    write(&chunk[i..], &mut file)?;
                }
                _ => write(chunk, &mut file)?,
            }
            stamped |= first_timed.is_some();
            pause(pause_each).map_err(|Interrupted| LogError::Interrupted)?;
        }
        Ok(())
    }
}

#[derive(Debug)]
pub enum LogError {
    Interrupted,
    Io(String),
}

/// Echo to stdout; a closed pipe (the agent went away) must not panic the simulator.
pub fn say(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// The config as cdrouter-cli keeps it in the result: under its own name (no `.conf`).
pub fn config_copy_name(config: &Path) -> String {
    let name = config
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "config".into());
    name.strip_suffix(".conf").unwrap_or(&name).to_string()
}
