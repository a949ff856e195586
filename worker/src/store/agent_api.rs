//! What the agent's calls share: `agent/whoami`, the wait a long poll may hold, and for the
//! stop long-poll [`stop_requested`], what it asks each time it looks (the routes are rows of
//! `route_table.rs`; the lease's calls are in `lease.rs`, the result files go through the
//! entry worker: `crate::files`).

use super::db::Db;
use super::http::{self, Ctx, Reply};
use super::lease;
use labrelay_api::agents::{WhoAmI, MAX_WAIT_SECS};
use labrelay_api::error::ApiError;
use labrelay_api::Id;
use serde::Deserialize;

pub fn stop_requested(db: &Db, agent: Id, job: Id) -> Result<bool, ApiError> {
    let row = lease::held(db, agent, job)?;
    if row.status().is_finished() {
        return Err(ApiError::Conflict(format!(
            "lease lost: job is {}",
            row.status
        )));
    }
    Ok(row.stop_requested != 0)
}

/// The `wait` of a long-poll, in seconds: default 25, at most `MAX_WAIT_SECS`.
pub fn wait_secs(ctx: &Ctx) -> Result<u64, ApiError> {
    match ctx.param("wait") {
        None | Some("") => Ok(25),
        Some(v) => v
            .parse::<u64>()
            .map(|w| w.min(MAX_WAIT_SECS))
            .map_err(|_| ApiError::invalid(format!("invalid wait \"{v}\": must be a number"))),
    }
}

#[derive(Deserialize)]
struct WhoAmIRow {
    id: i64,
    name: String,
    host: String,
}

pub fn whoami(db: &Db, agent: Id) -> Result<Reply, ApiError> {
    let row: WhoAmIRow = db
        .first(
            "SELECT id, name, host FROM agents WHERE id = ?",
            vec![agent.as_i64().into()],
        )?
        .ok_or(ApiError::NotFound("agent"))?;
    http::data(&WhoAmI {
        id: Id(row.id as u64),
        name: row.name,
        hostname: row.host,
    })
}
