//! What real cdrouter-cli writes, read back: log lines, test verdicts, the header of a test's
//! log, the synopsis in `final.txt`, and what each file of a result directory is. Built and
//! tested against the real CDRouter exports in `fixtures/cdrouter-exports/` (see its README):
//! nothing here may be tuned to an invented format.
//!
//! Pure text handling, no I/O: the agent uses it on the run it watches, the worker on the
//! files it serves, the simulator to write what it replays.

mod files;
mod line;
mod synopsis;
mod testlog;
mod verdict;

#[cfg(test)]
mod tests;

pub use files::{classify, FileKind};
pub use line::{civil_from_days, parse_line, LogLine, LogTime};
pub use synopsis::{parse_synopsis, Synopsis, SynopsisRow};
pub use testlog::{summarize, TestHeader, TestLogSummary};
pub use verdict::{parse_verdict, Verdict, VerdictLine};
