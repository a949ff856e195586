//! The job log: cdrouter-cli's output and the agent's own notes (`[labrelay-agent] ...`),
//! each line into the outbox and a wake for the delivery.

use super::Prepared;
use crate::outbox::{LogWriter, Outbox, OutboxError};
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
        }
    }

    /// A line of cdrouter-cli's output.
    pub fn output(&mut self, line: &str) {
        let Some(w) = &mut self.writer else { return };
        match w.append_line(line) {
            Ok(()) => self.wake.notify_one(),
            Err(e) => self.write_failed(e),
        }
    }

    /// A line of the agent's own, `[labrelay-agent] ` put before it.
    pub fn note(&mut self, text: &str) {
        self.output(&format!("{PREFIX} {text}"));
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
