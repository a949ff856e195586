//! The agent endpoints other than the claim (which the store holds open itself):
//! `agent/jobs/{id}/{start,heartbeat,log,finish,tests}` and `agent/whoami`, all with the
//! agent's own token (the result files go through the entry worker: `crate::files`).

use super::db::Db;
use super::http::{self, parse_id, Ctx, Reply};
use super::{agents, lease, logs};
use labrelay_api::agents::WhoAmI;
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
