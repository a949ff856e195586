//! `/api/v1/webhooks/...`: a lab's hooks. An admin manages every hook (and may hear every
//! job); a user makes and sees its own, which hear only its own jobs. The secret is shown
//! when a hook is made and when it is rotated, never again.

use super::rows::{find, find_delivery, DeliveryRow, HookRow};
use super::target;
use crate::error::now;
use crate::store::auth::{new_token, require_owner};
use crate::store::db::{json_string, us, Db};
use crate::store::http::{self, parse_id, Caller, Ctx, Reply};
use labrelay_api::error::ApiError;
use labrelay_api::webhooks::{check_input, WebhookInput, MAX_HOOKS};
use labrelay_api::Id;

/// A hook the caller may see: its own, or any for an admin (404 otherwise).
fn visible(db: &Db, caller: &Caller, id: &str) -> Result<HookRow, ApiError> {
    let hook = find(db, parse_id(id, "webhook")?)?;
    if caller.admin || caller.user_id.as_i64() == hook.user_id {
        Ok(hook)
    } else {
        Err(ApiError::NotFound("webhook"))
    }
}

/// A hook the caller may change.
fn owned(db: &Db, caller: &Caller, id: &str) -> Result<HookRow, ApiError> {
    let hook = visible(db, caller, id)?;
    require_owner(caller, hook.user_id, "webhook")?;
    Ok(hook)
}

fn secret() -> Result<String, ApiError> {
    Ok(format!("whsec_{}", new_token()?))
}

pub fn list(db: &Db, caller: &Caller) -> Result<Reply, ApiError> {
    let rows: Vec<HookRow> = if caller.admin {
        db.rows("SELECT * FROM webhooks ORDER BY id", vec![])?
    } else {
        db.rows(
            "SELECT * FROM webhooks WHERE user_id = ? ORDER BY id",
            vec![caller.user_id.as_i64().into()],
        )?
    };
    let items: Vec<_> = rows.iter().map(|h| h.to_wire(false)).collect();
    http::data(&items)
}

pub fn get(db: &Db, caller: &Caller, id: &str) -> Result<Reply, ApiError> {
    http::data(&visible(db, caller, id)?.to_wire(false))
}

/// Applies a create/edit body to `hook`, every value checked.
fn apply(
    hook: &mut HookRow,
    input: WebhookInput,
    caller: &Caller,
    dev: bool,
) -> Result<(), ApiError> {
    check_input(&input).map_err(ApiError::Invalid)?;
    if let Some(url) = input.url {
        target::check(&url, dev).map_err(ApiError::Invalid)?;
        hook.url = url;
    }
    if let Some(v) = input.name {
        hook.name = v;
    }
    if let Some(v) = input.events {
        let mut v = v;
        v.sort();
        v.dedup();
        hook.events = json_string(&v);
    }
    if let Some(v) = input.format {
        hook.format = v;
    }
    if let Some(v) = input.own_jobs {
        hook.own_jobs = i64::from(v || !caller.admin);
    }
    if let Some(v) = input.enabled {
        if v && hook.enabled == 0 {
            hook.disabled_reason.clear();
            hook.failing_since = 0;
        }
        hook.enabled = i64::from(v);
    }
    Ok(())
}

fn store(db: &Db, h: &HookRow) -> Result<(), ApiError> {
    db.exec(
        "UPDATE webhooks SET name = ?, url = ?, events = ?, format = ?, own_jobs = ?, enabled = ?,
         disabled_reason = ?, failing_since = ?, secret = ?, updated = ? WHERE id = ?",
        vec![
            h.name.clone().into(),
            h.url.clone().into(),
            h.events.clone().into(),
            h.format.clone().into(),
            h.own_jobs.into(),
            h.enabled.into(),
            h.disabled_reason.clone().into(),
            h.failing_since.into(),
            h.secret.clone().into(),
            h.updated.into(),
            h.id.into(),
        ],
    )
}

pub fn create(db: &Db, ctx: &Ctx, caller: &Caller, dev: bool) -> Result<Reply, ApiError> {
    let input: WebhookInput = ctx.json()?;
    if input.url.is_none() {
        return Err(ApiError::invalid("url is required"));
    }
    if db.int("SELECT count(*) FROM webhooks", vec![])? >= MAX_HOOKS as i64 {
        return Err(ApiError::invalid(format!(
            "a lab has at most {MAX_HOOKS} webhooks: delete one first"
        )));
    }
    let t = us(now());
    let mut hook = HookRow {
        id: 0,
        name: String::new(),
        url: String::new(),
        base: ctx.lab_base(),
        events: json_string(&["job.finished"]),
        format: "json".into(),
        secret: secret()?,
        own_jobs: i64::from(!caller.admin),
        enabled: 1,
        disabled_reason: String::new(),
        failing_since: 0,
        dropped: 0,
        user_id: caller.user_id.as_i64(),
        created: t,
        updated: t,
    };
    apply(&mut hook, input, caller, dev)?;
    // The row, then its columns as an edit writes them.
    db.exec(
        "INSERT INTO webhooks (url, base, secret, user_id, created, updated)
         VALUES (?, ?, ?, ?, ?, ?)",
        vec![
            hook.url.clone().into(),
            hook.base.clone().into(),
            hook.secret.clone().into(),
            hook.user_id.into(),
            t.into(),
            t.into(),
        ],
    )?;
    hook.id = db.last_id()?;
    store(db, &hook)?;
    http::data(&find(db, Id(hook.id as u64))?.to_wire(true))
}

pub fn edit(db: &Db, ctx: &Ctx, caller: &Caller, id: &str, dev: bool) -> Result<Reply, ApiError> {
    let mut hook = owned(db, caller, id)?;
    apply(&mut hook, ctx.json()?, caller, dev)?;
    hook.updated = us(now());
    store(db, &hook)?;
    http::data(&hook.to_wire(false))
}

/// `POST webhooks/{id}/secret`: a new secret, shown this once; the old one stops at once.
pub fn rotate(db: &Db, caller: &Caller, id: &str) -> Result<Reply, ApiError> {
    let mut hook = owned(db, caller, id)?;
    hook.secret = secret()?;
    hook.updated = us(now());
    store(db, &hook)?;
    http::data(&hook.to_wire(true))
}

pub fn delete(db: &Db, caller: &Caller, id: &str) -> Result<Reply, ApiError> {
    let hook = owned(db, caller, id)?;
    db.exec(
        "DELETE FROM webhook_deliveries WHERE hook_id = ?",
        vec![hook.id.into()],
    )?;
    db.exec("DELETE FROM webhooks WHERE id = ?", vec![hook.id.into()])?;
    Ok(Reply::NoContent)
}

/// `GET webhooks/{id}/deliveries`: the newest first (at most `KEEP_DELIVERIES`, and those
/// waiting).
pub fn deliveries(db: &Db, caller: &Caller, id: &str) -> Result<Reply, ApiError> {
    let hook = visible(db, caller, id)?;
    let rows: Vec<DeliveryRow> = db.rows(
        "SELECT * FROM webhook_deliveries WHERE hook_id = ? ORDER BY id DESC LIMIT ?",
        vec![hook.id.into(), labrelay_api::webhooks::MAX_QUEUED.into()],
    )?;
    let items: Vec<_> = rows.iter().map(DeliveryRow::to_wire).collect();
    http::data(&items)
}

/// `POST webhooks/{id}/deliveries/{d}/redeliver`: the same body, as a new delivery now.
pub fn redeliver(db: &Db, caller: &Caller, id: &str, delivery: &str) -> Result<Reply, ApiError> {
    let hook = owned(db, caller, id)?;
    let d = find_delivery(db, Id(hook.id as u64), parse_id(delivery, "delivery")?)?;
    let t = us(now());
    let Some(new_id) = super::rows::enqueue(db, &hook, &d.event, &d.body, t)? else {
        return Err(ApiError::invalid(format!(
            "{} deliveries of this hook are waiting already",
            labrelay_api::webhooks::MAX_QUEUED
        )));
    };
    http::data(&find_delivery(db, Id(hook.id as u64), Id(new_id as u64))?.to_wire())
}
