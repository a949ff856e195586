//! A job's disk buffer: what the server has not acknowledged yet survives outages and agent
//! restarts, and is replayed in order (start, log, finish) when the server is back.
//!
//! `<work-dir>/job-<id>/outbox/` holds:
//! - `log`: the job's whole log as the agent saw it (UTF-8): the buffer itself;
//! - `acked`: the byte offset up to which the server has acknowledged `log`;
//! - `start.json`: a start the server has not acknowledged yet;
//! - `tests.jsonl`: test records, one JSON object a line (a later line for the same `seq`
//!   replaces an earlier one), and `tests.acked`: the byte offset sent so far;
//! - `files.jsonl`: files of the result directory (`../result/`) to upload, one
//!   `name<TAB>size<TAB>mtime` a line, and `files.acked`: the byte offset done so far;
//! - `finish.json`: the finish, written once the run is over (the log is then complete);
//! - `closed`: everything is delivered, or the server refused the job; why, in one line.
//!
//! Each delivery pass sends the start, the log, the test records, one queued file (so a big
//! file does not hold the live log back for long), and the finish once all else is in.
//!
//! Appends go from `acked` to the end of `log`, so a resend after a lost answer overlaps what
//! the server has (it keeps only the new tail) and a 409 gap answer moves `acked` back to
//! where the server's log ends: nothing is lost and nothing is doubled.
//!
//! What the outbox holds is capped ([`budget`]): past the cap new output is refused, with a
//! line in the log saying so. The files on disk are `disk`'s, the sending is `deliver`'s.

pub mod budget;
mod deliver;
mod disk;
#[cfg(test)]
mod tests;

pub use budget::{Budget, Grant, DEFAULT_OUTBOX_MAX_BYTES, MIN_OUTBOX_MAX_BYTES};
pub use deliver::{deliver, Delivery, BATCH, CHUNK_BYTES, FILES_IN_FLIGHT};
pub use disk::{LogWriter, Outbox, OutboxError, RESULT_DIR};
