//! The rows of `webhooks` and `webhook_deliveries`, their finders and wire forms.

use crate::store::db::{from_micros, parse_json, Db};
use labrelay_api::error::ApiError;
use labrelay_api::webhooks::{Delivery, Webhook};
use labrelay_api::Id;
use serde::Deserialize;

#[derive(Deserialize, Clone)]
pub struct HookRow {
    pub id: i64,
    pub name: String,
    pub url: String,
    /// The lab's web address when the hook was made (links in events start with it).
    pub base: String,
    pub events: String,
    pub format: String,
    pub secret: String,
    pub own_jobs: i64,
    pub enabled: i64,
    pub disabled_reason: String,
    pub failing_since: i64,
    pub dropped: i64,
    pub user_id: i64,
    pub created: i64,
    pub updated: i64,
}

impl HookRow {
    pub fn events(&self) -> Vec<String> {
        parse_json(&self.events).unwrap_or_default()
    }

    pub fn to_wire(&self, with_secret: bool) -> Webhook {
        Webhook {
            id: Id(self.id as u64),
            name: self.name.clone(),
            url: self.url.clone(),
            events: self.events(),
            format: self.format.clone(),
            own_jobs: self.own_jobs != 0,
            enabled: self.enabled != 0,
            disabled_reason: self.disabled_reason.clone(),
            dropped: self.dropped.max(0) as u64,
            user_id: Id(self.user_id as u64),
            created: from_micros(self.created),
            updated: from_micros(self.updated),
            secret: with_secret.then(|| self.secret.clone()),
        }
    }
}

pub fn find(db: &Db, id: Id) -> Result<HookRow, ApiError> {
    db.first(
        "SELECT * FROM webhooks WHERE id = ?",
        vec![id.as_i64().into()],
    )?
    .ok_or(ApiError::NotFound("webhook"))
}

#[derive(Deserialize, Clone)]
pub struct DeliveryRow {
    pub id: i64,
    pub hook_id: i64,
    pub event: String,
    pub body: String,
    pub state: String,
    pub attempts: i64,
    pub next_at: i64,
    pub status: i64,
    pub ms: i64,
    pub response: String,
    pub error: String,
    pub created: i64,
    pub delivered: i64,
}

impl DeliveryRow {
    pub fn to_wire(&self) -> Delivery {
        Delivery {
            id: Id(self.id as u64),
            hook_id: Id(self.hook_id as u64),
            event: self.event.clone(),
            state: self.state.clone(),
            attempts: self.attempts.max(0) as u64,
            status: u16::try_from(self.status).unwrap_or(0),
            ms: self.ms.max(0) as u64,
            response: self.response.clone(),
            error: self.error.clone(),
            created: from_micros(self.created),
            next_attempt: (self.state == "pending").then(|| from_micros(self.next_at)),
            delivered: (self.delivered > 0).then(|| from_micros(self.delivered)),
        }
    }
}

pub fn find_delivery(db: &Db, hook: Id, id: Id) -> Result<DeliveryRow, ApiError> {
    db.first(
        "SELECT * FROM webhook_deliveries WHERE id = ? AND hook_id = ?",
        vec![id.as_i64().into(), hook.as_i64().into()],
    )?
    .ok_or(ApiError::NotFound("delivery"))
}

/// Queues a delivery of `body` to `hook` now, unless too many wait (then it counts a drop);
/// answers the delivery's id.
pub fn enqueue(
    db: &Db,
    hook: &HookRow,
    event: &str,
    body: &str,
    now_us: i64,
) -> Result<Option<i64>, ApiError> {
    let waiting = db.int(
        "SELECT count(*) FROM webhook_deliveries WHERE hook_id = ? AND state = 'pending'",
        vec![hook.id.into()],
    )?;
    if waiting >= labrelay_api::webhooks::MAX_QUEUED {
        db.exec(
            "UPDATE webhooks SET dropped = dropped + 1 WHERE id = ?",
            vec![hook.id.into()],
        )?;
        return Ok(None);
    }
    db.exec(
        "INSERT INTO webhook_deliveries (hook_id, event, body, next_at, created)
         VALUES (?, ?, ?, ?, ?)",
        vec![
            hook.id.into(),
            event.to_string().into(),
            body.to_string().into(),
            now_us.into(),
            now_us.into(),
        ],
    )?;
    Ok(Some(db.last_id()?))
}
