//! How a run ended, as the job's finish: the verdicts from the result directory (or those
//! seen in the output), and completed, stopped or error from the exit and the stop.

use super::log::JobLog;
use super::run::Ran;
use super::StopReason;
use crate::config::RunSettings;
use crate::process::{self, Ended};
use crate::progress::Tally;
use crate::results::Watcher;
use labrelay_api::agents::{Finish, FinishStatus, Summary};
use std::process::ExitStatus;
use tokio::sync::Notify;

/// How a run ended: a finish to report, or the lease lost (nothing more is reported).
pub enum Outcome {
    Finish(Finish),
    LeaseLost(String),
}

/// An error finish, for a run that did not start or was lost track of.
pub(super) fn error_finish(reason: String, summary: Summary) -> Outcome {
    Outcome::Finish(Finish {
        status: FinishStatus::Error,
        exit_code: None,
        summary,
        reason,
    })
}

/// The finish of a run that started; the last notes go to the log and wake the delivery.
pub(super) fn outcome(
    ran: Ran,
    settings: &RunSettings,
    wake: &Notify,
    log: &mut JobLog,
) -> Outcome {
    let Ran {
        ended,
        stop,
        mut watcher,
        tally,
        ..
    } = ran;
    if let Some(Ok(Ended { killed: true, .. })) = &ended {
        log.note(&format!(
            "still running after {} s: SIGKILL",
            settings.stop_grace.as_secs()
        ));
    }
    let summary = summary(&mut watcher, &tally, log);
    wake.notify_one();
    let status = match ended {
        Some(Ok(e)) => Ok(e.status),
        Some(Err(e)) => Err(e.to_string()),
        None => Err("lost track of cdrouter-cli".to_string()),
    };
    if let Ok(st) = &status {
        log.note(&format!(
            "cdrouter-cli {}: {} tests, {} passed, {} failed",
            process::describe(st),
            summary.tests,
            summary.passed,
            summary.failed
        ));
    }
    finish(stop, status, summary)
}

/// The synopsis in final.txt is the authority on verdicts; without one (a run cut short),
/// the verdicts seen so far.
fn summary(watcher: &mut Watcher, tally: &Tally, log: &mut JobLog) -> Summary {
    let summary = match watcher.finish() {
        Ok(s) => s,
        Err(e) => {
            log.outbox_error(&e);
            log.note(&format!(
                "the result directory could not be read whole: {e}"
            ));
            tally.summary()
        }
    };
    for note in watcher.notes() {
        log.note(&note);
    }
    summary
}

/// Stopped (or the lease lost) whatever the exit; else completed when cdrouter-cli exited 0
/// or 1 (failed tests), an error otherwise.
fn finish(
    stop: Option<StopReason>,
    status: Result<ExitStatus, String>,
    summary: Summary,
) -> Outcome {
    let exit_code = status.as_ref().ok().and_then(ExitStatus::code);
    match (stop, status) {
        (Some(StopReason::LeaseLost(why)), _) => Outcome::LeaseLost(why),
        (Some(reason), _) => Outcome::Finish(Finish {
            status: FinishStatus::Stopped,
            exit_code,
            summary,
            reason: reason.describe(),
        }),
        (None, Ok(st)) if matches!(st.code(), Some(0 | 1)) => Outcome::Finish(Finish {
            status: FinishStatus::Completed,
            exit_code,
            summary,
            reason: String::new(),
        }),
        (None, Ok(st)) => Outcome::Finish(Finish {
            status: FinishStatus::Error,
            exit_code,
            summary,
            reason: format!("cdrouter-cli {}", process::describe(&st)),
        }),
        (None, Err(e)) => error_finish(format!("waiting for cdrouter-cli failed: {e}"), summary),
    }
}
