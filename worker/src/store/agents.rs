//! Lab agents as users see them: register (admin; the token is shown once), list, get,
//! delete. Online means it has a claim open now or was heard from within `ONLINE_SECS`.

use super::auth::{hash_token, new_token};
use super::db::{from_micros, json_string, parse_json, us, Db};
use super::http::{self, Ctx, Reply};
use super::list::{self, Table};
use crate::error::now;
use labrelay_api::agents::{Agent, AgentInput, AGENT_SCHEMA};
use labrelay_api::error::ApiError;
use labrelay_api::query::ListQuery;
use labrelay_api::Id;
use serde::Deserialize;

/// An agent re-polls at once after each claim answer and heartbeats every 10 s, so a minute
/// of silence means it is gone.
const ONLINE_SECS: i64 = 60;

const TABLE: Table = Table {
    name: "agents",
    columns: "id, name, labels, version, host, interfaces, last_seen, created",
    indexed: &["name"],
};

#[derive(Deserialize)]
struct AgentRow {
    id: i64,
    name: String,
    labels: String,
    version: String,
    host: String,
    interfaces: String,
    last_seen: Option<i64>,
    created: i64,
}

/// Agents with a claim open right now (from the store's waiters).
pub type Polling<'a> = &'a dyn Fn(Id) -> bool;

impl AgentRow {
    fn to_wire(&self, db: &Db, polling: Polling, token: Option<String>) -> Result<Agent, ApiError> {
        let id = Id(self.id as u64);
        let recent = self
            .last_seen
            .is_some_and(|t| us(now()) - t < ONLINE_SECS * 1_000_000);
        let jobs = db
            .scalars(
                "SELECT id FROM jobs WHERE agent_id = ? AND status IN ('pending', 'running')
                 ORDER BY id",
                vec![self.id.into()],
            )?
            .iter()
            .filter_map(|r| match r.first() {
                Some(labrelay_api::query::Scalar::Int(i)) => Some(Id(*i as u64)),
                _ => None,
            })
            .collect();
        Ok(Agent {
            id,
            name: self.name.clone(),
            labels: parse_json(&self.labels)?,
            online: polling(id) || recent,
            last_seen: self.last_seen.map(from_micros),
            version: self.version.clone(),
            host: self.host.clone(),
            interfaces: parse_json(&self.interfaces)?,
            jobs,
            created: from_micros(self.created),
            token,
        })
    }
}

fn find(db: &Db, id: Id) -> Result<AgentRow, ApiError> {
    db.first(
        &format!("SELECT {} FROM agents WHERE id = ?", TABLE.columns),
        vec![id.as_i64().into()],
    )?
    .ok_or(ApiError::NotFound("agent"))
}

pub fn list(db: &Db, ctx: &Ctx, polling: Polling) -> Result<Reply, ApiError> {
    let q = ListQuery::parse(&ctx.query, &AGENT_SCHEMA)?;
    let (rows, links) =
        list::page::<AgentRow>(db, &TABLE, &q.plan(), &q.order_by_sql("id ASC"), &q.page)?;
    let items = rows
        .iter()
        .map(|r| r.to_wire(db, polling, None))
        .collect::<Result<Vec<_>, _>>()?;
    http::list(&items, &links)
}

pub fn get(db: &Db, id: Id, polling: Polling) -> Result<Reply, ApiError> {
    http::data(&find(db, id)?.to_wire(db, polling, None)?)
}

pub fn register(db: &Db, ctx: &Ctx, polling: Polling) -> Result<Reply, ApiError> {
    let input: AgentInput = ctx.json()?;
    let name = input.name.unwrap_or_default().trim().to_string();
    if name.is_empty() {
        return Err(ApiError::invalid("name is required"));
    }
    if name.len() > labrelay_api::limits::MAX_NAME || name.chars().any(char::is_control) {
        return Err(ApiError::invalid("name is at most 200 printable bytes"));
    }
    if let Some(labels) = &input.labels {
        if labels.len() > labrelay_api::limits::MAX_TAGS
            || labels
                .iter()
                .any(|l| l.len() > labrelay_api::limits::MAX_TAG)
        {
            return Err(ApiError::invalid("at most 100 labels of at most 200 bytes"));
        }
    }
    if db.int(
        "SELECT count(*) FROM agents WHERE name = ?",
        vec![name.clone().into()],
    )? > 0
    {
        return Err(ApiError::NameTaken);
    }
    // A lab's agents carry its name in their token, so the entry routes them to it.
    let token = if ctx.is_directory() {
        new_token()?
    } else {
        format!("{}.{}", ctx.lab.name, new_token()?)
    };
    db.exec(
        "INSERT INTO agents (name, labels, token_hash, created) VALUES (?, ?, ?, ?)",
        vec![
            name.into(),
            json_string(&input.labels.unwrap_or_default()).into(),
            hash_token(&token).into(),
            us(now()).into(),
        ],
    )?;
    let id = Id(db.last_id()? as u64);
    http::data(&find(db, id)?.to_wire(db, polling, Some(token))?)
}

pub fn delete(db: &Db, id: Id) -> Result<Reply, ApiError> {
    find(db, id)?;
    let running = db.int(
        "SELECT count(*) FROM jobs WHERE agent_id = ? AND status = 'running'",
        vec![id.as_i64().into()],
    )?;
    if running > 0 {
        return Err(ApiError::Conflict(
            "agent is running jobs: stop them first".into(),
        ));
    }
    // Jobs it had claimed but not started go back to the queue.
    db.exec(
        "UPDATE jobs SET agent_id = 0, agent_name = '', lease_expires = NULL
         WHERE agent_id = ? AND status = 'pending'",
        vec![id.as_i64().into()],
    )?;
    db.exec("DELETE FROM agents WHERE id = ?", vec![id.as_i64().into()])?;
    Ok(Reply::NoContent)
}

/// Records what an agent said about itself on a claim.
pub fn seen(
    db: &Db,
    id: Id,
    version: &str,
    host: &str,
    interfaces: &[String],
) -> Result<(), ApiError> {
    db.exec(
        "UPDATE agents SET version = ?, host = ?, interfaces = ?, last_seen = ? WHERE id = ?",
        vec![
            version.into(),
            host.into(),
            json_string(&interfaces).into(),
            us(now()).into(),
            id.as_i64().into(),
        ],
    )
}

/// Any other agent request: just the time.
pub fn touch(db: &Db, id: Id) -> Result<(), ApiError> {
    db.exec(
        "UPDATE agents SET last_seen = ? WHERE id = ?",
        vec![us(now()).into(), id.as_i64().into()],
    )
}
