//! The agent endpoints other than the claim (which the store holds open itself):
//! `agent/jobs/{id}/{start,heartbeat,log,finish,tests}`, all with the agent's own token (the
//! result files go through the entry worker: `crate::files`).

use super::db::Db;
use super::http::{parse_id, Ctx, Reply};
use super::{agents, lease, logs};
use labrelay_api::error::ApiError;
use labrelay_api::Id;
use worker::Method;

pub fn route(db: &Db, ctx: &Ctx, agent: Id, rest: &[&str]) -> Result<Reply, ApiError> {
    agents::touch(db, agent)?;
    match (rest, &ctx.method) {
        (["jobs", id, action], Method::Post) => {
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
        (["claim"], _) | (["jobs", _, _], _) => Err(ApiError::MethodNotAllowed),
        _ => Err(ApiError::NoRoute),
    }
}
