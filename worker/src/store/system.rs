//! `/api/v1/system/...` as CDRouter's client calls it (`labrelay_api::system`): the time,
//! Labrelay's info text, what the lab's results take, the interfaces its agents have and
//! which a running job uses, the lab's preferences; the calls that run a CDRouter box answer
//! 400 saying they do not apply.

use super::db::{from_micros, parse_json, us, Db};
use super::http::{self, Ctx, Reply};
use crate::error::now;
use labrelay_api::error::ApiError;
use labrelay_api::system::{
    not_here, InUseFlags, InUseInterface, InterfaceFlags, Preferences, Space, SystemInterface,
    SystemTime,
};
use serde::Deserialize;
use std::collections::BTreeMap;

/// An agent counts as up when heard from within this long.
const UP_SECS: i64 = 60;

pub fn time() -> Result<Reply, ApiError> {
    http::data(&SystemTime { time: now() })
}

#[derive(Deserialize)]
struct AgentSeen {
    name: String,
    version: String,
    host: String,
    interfaces: String,
    last_seen: Option<i64>,
}

fn agents(db: &Db) -> Result<Vec<AgentSeen>, ApiError> {
    db.rows(
        "SELECT name, version, host, interfaces, last_seen FROM agents ORDER BY name LIMIT 1000",
        vec![],
    )
}

/// `system/info`: what `cdrouter-cli -info` is to a CDRouter box, for a lab: Labrelay's
/// version, the lab, and its agents (name, version, host, interfaces, last heard).
pub fn info(db: &Db, ctx: &Ctx, hostname: &str) -> Result<Reply, ApiError> {
    let mut out = format!(
        "Labrelay {}\nHostname: {hostname}\nLab: {}\nTime: {}\n\nAgents:\n",
        env!("CARGO_PKG_VERSION"),
        ctx.lab.name,
        now()
    );
    for a in agents(db)? {
        let interfaces: Vec<String> = parse_json(&a.interfaces).unwrap_or_default();
        let seen = a
            .last_seen
            .map(|t| from_micros(t).to_string())
            .unwrap_or("never".into());
        out.push_str(&format!(
            "  {} (agent {}, host {}): interfaces {}; last heard {seen}\n",
            a.name,
            if a.version.is_empty() {
                "?"
            } else {
                &a.version
            },
            if a.host.is_empty() { "?" } else { &a.host },
            interfaces.join(", ")
        ));
    }
    Ok(Reply::Bytes("text/plain; charset=utf-8", out.into_bytes()))
}

/// `system/space`: the bytes of the lab's result files (`LAB_QUOTA_BYTES`, when set, is
/// its size).
pub fn space(db: &Db, ctx: &Ctx, quota: u64) -> Result<Reply, ApiError> {
    let used = db
        .int("SELECT coalesce(sum(size_on_disk), 0) FROM results", vec![])?
        .max(0) as u64;
    http::data(&Space {
        path: format!("r2://{}results/", ctx.lab.r2_prefix()),
        unit: "bytes".into(),
        size: quota,
        used,
        avail: quota.saturating_sub(used),
        pcent: (used * 100).checked_div(quota).unwrap_or(0),
    })
}

/// `system/interfaces` (every interface an agent has, by name; `up` while an agent that has
/// it is heard from), or with `in_use=true` which of them a running job uses.
pub fn interfaces(db: &Db, ctx: &Ctx) -> Result<Reply, ApiError> {
    let in_use_asked =
        matches!(ctx.param("in_use"), Some(v) if labrelay_api::query::parse_bool("in_use", v)?);
    let t = us(now());
    let mut names: BTreeMap<String, bool> = BTreeMap::new();
    for a in agents(db)? {
        let up = a.last_seen.is_some_and(|s| t - s < UP_SECS * 1_000_000);
        for i in parse_json::<Vec<String>>(&a.interfaces).unwrap_or_default() {
            *names.entry(i).or_default() |= up;
        }
    }
    if in_use_asked {
        let used: Vec<String> = db
            .rows::<Used>(
                "SELECT interface_names FROM jobs WHERE status = 'running' LIMIT 1000",
                vec![],
            )?
            .into_iter()
            .flat_map(|u| parse_json::<Vec<String>>(&u.interface_names).unwrap_or_default())
            .collect();
        let items: Vec<InUseInterface> = names
            .keys()
            .map(|n| InUseInterface {
                name: n.clone(),
                flags: InUseFlags {
                    in_use: used.contains(n),
                    is_wireless: n.starts_with("wlan") || n.starts_with("wifi"),
                    is_ics: false,
                },
            })
            .collect();
        return http::data(&items);
    }
    let items: Vec<SystemInterface> = names
        .into_iter()
        .enumerate()
        .map(|(i, (name, up))| SystemInterface {
            index: i as u64 + 1,
            name,
            flags: InterfaceFlags {
                up,
                broadcast: true,
                multicast: true,
                ..InterfaceFlags::default()
            },
            ..SystemInterface::default()
        })
        .collect();
    http::data(&items)
}

#[derive(Deserialize)]
struct Used {
    interface_names: String,
}

#[derive(Deserialize)]
struct Meta {
    value: String,
}

fn preferences_of(db: &Db) -> Result<Preferences, ApiError> {
    let row: Option<Meta> = db.first("SELECT value FROM meta WHERE key = 'preferences'", vec![])?;
    Ok(row
        .and_then(|r| serde_json::from_str(&r.value).ok())
        .unwrap_or_default())
}

pub fn preferences(db: &Db) -> Result<Reply, ApiError> {
    http::data(&preferences_of(db)?)
}

pub fn edit_preferences(db: &Db, ctx: &Ctx) -> Result<Reply, ApiError> {
    let edit: Preferences = ctx.json()?;
    edit.check().map_err(ApiError::Invalid)?;
    let mut p = preferences_of(db)?;
    p.merge(edit);
    db.exec(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('preferences', ?)",
        vec![super::db::json_string(&p).into()],
    )?;
    http::data(&p)
}

/// A `system/` call that runs a CDRouter box.
pub fn not_applicable(what: &str) -> Result<Reply, ApiError> {
    Err(ApiError::invalid(not_here(what)))
}
