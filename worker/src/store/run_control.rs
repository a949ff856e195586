//! CDRouter's run control on a result (`POST results/{id}/stop/`, `pause/`, `unpause/`, the
//! official client's `results.stop`, `pause`, `unpause`), through the result's job: a stop
//! is the job's stop (cdrouter-cli is told at once). Stopping at the end of a test or loop,
//! and pausing, are refused with a 400 that says why: the agent cannot do them safely on
//! cdrouter-cli (it has no pause, and a stop between tests needs CDRouter's own scheduler).

use super::http::{Caller, Ctx, Reply};
use super::{jobs, results};
use labrelay_api::error::ApiError;

pub fn stop(db: &super::db::Db, ctx: &Ctx, caller: &Caller, id: &str) -> Result<Reply, ApiError> {
    match ctx.param("when").unwrap_or_default() {
        "" | "now" => {}
        "end-of-test" | "end-of-loop" => {
            return Err(ApiError::invalid(
                "stopping at the end of a test or a loop is not supported: Labrelay stops \
                 cdrouter-cli at once (POST results/{id}/stop/ without when)",
            ))
        }
        other => {
            return Err(ApiError::invalid(format!(
                "invalid when \"{}\": end-of-test or end-of-loop, or none to stop now",
                other.chars().take(64).collect::<String>()
            )))
        }
    }
    let job = results::job_of(db, caller, id)?;
    jobs::stop(db, caller, &job.to_string())
}

/// `pause/` and `unpause/`: not something cdrouter-cli can do under an agent.
pub fn pause(db: &super::db::Db, caller: &Caller, id: &str) -> Result<Reply, ApiError> {
    results::job_of(db, caller, id)?;
    Err(ApiError::invalid(
        "pausing a run is not supported: cdrouter-cli under a Labrelay agent has no pause; \
         stop the run (POST results/{id}/stop/) and launch it again",
    ))
}
