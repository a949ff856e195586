//! The job log: cdrouter-cli's output and the agent's own notes (`[labrelay-agent] ...`),
//! each line into the outbox, within its cap, and a wake for the delivery. When the outbox is
//! full, output is dropped and one note says so; notes still fit, from the outbox's reserve.

use super::Prepared;
use crate::outbox::{Grant, LogWriter, Outbox, OutboxError};
use labrelay_api::Id;
use std::sync::Arc;
use tokio::sync::Notify;

/// Marks the agent's own lines in a job log.
pub const PREFIX: &str = "[labrelay-agent]";

pub struct JobLog {
    job: Id,
    outbox: Outbox,
    writer: Option<LogWriter>,
    wake: Arc<Notify>,
    failed: bool,
    full_noted: bool,
}

impl JobLog {
    pub fn new(job: &Prepared) -> JobLog {
        let writer = job
            .outbox
            .writer()
            .map_err(|e| tracing::error!(job = %job.claim.job.id, "{e}"))
            .ok();
        JobLog {
            job: job.claim.job.id,
            outbox: job.outbox.clone(),
            failed: writer.is_none(),
            writer,
            wake: job.wake.clone(),
            full_noted: false,
        }
    }

    /// A line of cdrouter-cli's output.
    pub fn output(&mut self, line: &str) {
        let Some(w) = &mut self.writer else { return };
        match w.append_line(line) {
            Ok(Grant::Granted) => self.wake.notify_one(),
            Ok(Grant::Refused { .. }) => self.outbox_full(),
            Err(e) => self.write_failed(e),
        }
    }

    /// A line of the agent's own, `[labrelay-agent] ` put before it.
    pub fn note(&mut self, text: &str) {
        let Some(w) = &mut self.writer else { return };
        match w.append_note(&format!("{PREFIX} {text}")) {
            Ok(true) => self.wake.notify_one(),
            Ok(false) => {}
            Err(e) => self.write_failed(e),
        }
    }

    /// A full outbox is said once in the job log (other errors are the caller's to report).
    pub fn outbox_error(&mut self, e: &OutboxError) {
        if matches!(e, OutboxError::Full { .. }) {
            self.outbox_full();
        }
    }

    /// Says once that the outbox is full: what is dropped from now on, and where it is kept.
    pub fn outbox_full(&mut self) {
        if self.full_noted {
            return;
        }
        self.full_noted = true;
        let cap = self.outbox.budget().cap();
        tracing::warn!(job = %self.job, cap, "the job's outbox is full: output is dropped");
        let text = format!(
            "the job's outbox is full ({}, --outbox-max-bytes): from here on cdrouter-cli's \
             output, test records and result files are not kept for the server; cdrouter-cli's \
             own files in {} have them",
            bytes(cap),
            self.outbox.result_dir().display()
        );
        self.note(&text);
    }

    fn write_failed(&mut self, e: OutboxError) {
        if !self.failed {
            self.failed = true;
            tracing::error!(job = %self.job, "{e}: the job log loses lines");
        }
    }

    /// Nothing more will be reported for this job.
    pub fn close(&mut self, note: &str) {
        if let Err(e) = self.outbox.close(note) {
            tracing::warn!(job = %self.job, "{e}");
        }
        self.wake.notify_one();
    }
}

/// "64 MiB", or "1500000 bytes".
fn bytes(n: u64) -> String {
    if n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else {
        format!("{n} bytes")
    }
}
