//! The agent endpoints other than the long-polls the store holds open itself (the claim, a
//! job's stop): `agent/jobs/{id}/{start,heartbeat,log,finish,tests}` and `agent/whoami`, all
//! with the agent's own token (the result files go through the entry worker: `crate::files`).
//! For the stop long-poll, [`stop_requested`] is what it asks each time it looks.

use super::db::Db;
use super::http::{self, parse_id, Ctx, Reply};
use super::{agents, lease, logs};
use labrelay_api::agents::{WhoAmI, MAX_WAIT_SECS};
use labrelay_api::error::ApiError;
use labrelay_api::Id;
use serde::Deserialize;
use worker::Method;

pub fn route(db: &Db, ctx: &Ctx, agent: Id, rest: &[&str]) -> Result<Reply, ApiError> {
    match (rest, &ctx.method) {
        // Changes nothing: `labrelay-agent check` asks it, the agent is not at work (not "seen").
        (["whoami"], Method::Get) => whoami(db, agent),
        (["jobs", id, action], Method::Post) => {
            agents::touch(db, agent)?;
            let id = parse_id(id, "job")?;
            match *action {
                "start" => lease::start(db, ctx, agent, id),
                "heartbeat" => lease::heartbeat(db, ctx, agent, id),
                "log" => logs::append(db, ctx, agent, id),
                "finish" => lease::finish(db, ctx, agent, id),
                "tests" => super::results::upsert_tests(db, ctx, agent, id),
                _ => Err(ApiError::NoRoute),
            }
        }
        (["claim" | "whoami"], _) | (["jobs", _, _], _) => Err(ApiError::MethodNotAllowed),
        _ => Err(ApiError::NoRoute),
    }
}

/// Whether a user asked to stop `job`, held by `agent`; a 409 once the job is not this
/// agent's to run any more (finished, or its lease gone elsewhere), as heartbeats answer.
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

fn whoami(db: &Db, agent: Id) -> Result<Reply, ApiError> {
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
