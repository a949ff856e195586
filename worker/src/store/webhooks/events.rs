//! From what happened to what each hook is sent: the triggers of migration 12 write
//! `webhook_events` (a job launched, started or finished, a device bad or ready, by whatever
//! path); here each event becomes a delivery for every enabled hook that hears it, its body
//! the records as the API shows them (`labrelay_api::webhooks::Event`), or a Slack-style
//! message. Runs after a call that changed something, and from the alarm; a batch at a time.

use super::rows::{enqueue, HookRow};
use crate::error::now;
use crate::store::crud::Resource;
use crate::store::db::{from_micros, us, Db};
use crate::store::{devices, jobs, results};
use labrelay_api::error::ApiError;
use labrelay_api::webhooks::{summary, Event, EventResult, FailedTest, MAX_BODY, MAX_FAILED_TESTS};
use labrelay_api::Id;
use serde::Deserialize;

/// Events turned into deliveries per call.
const BATCH: i64 = 100;

#[derive(Deserialize)]
struct EventRow {
    id: i64,
    kind: String,
    record_id: i64,
    at: i64,
}

#[derive(Deserialize)]
struct FailedRow {
    seq: i64,
    name: String,
    description: String,
    result: String,
}

/// Whether events wait to be turned into deliveries.
pub fn pending(db: &Db) -> Result<bool, ApiError> {
    Ok(db.int(
        "SELECT count(*) FROM (SELECT 1 FROM webhook_events LIMIT 1)",
        vec![],
    )? > 0)
}

/// The event, with the records it concerns; `None` when they are gone.
fn event(db: &Db, e: &EventRow, base: &str) -> Result<Option<(Event, i64)>, ApiError> {
    let mut ev = Event {
        delivery: Id(0),
        event: e.kind.clone(),
        created: from_micros(e.at),
        lab: base
            .rsplit_once("/labs/")
            .map_or(labrelay_api::labs::DEFAULT_LAB, |(_, lab)| lab)
            .to_string(),
        job: None,
        result: None,
        failed_tests: Vec::new(),
        device: None,
    };
    let owner;
    if e.kind.starts_with("job.") {
        let Ok(row) = jobs::row::find(db, Id(e.record_id as u64)) else {
            return Ok(None);
        };
        owner = row.user_id;
        let result = row.result_id.as_deref().and_then(|r| r.parse::<u64>().ok());
        ev.job = Some(row.to_wire()?);
        if let Some(r) = result.and_then(|r| results::lifecycle::find(db, Id(r)).ok()) {
            ev.result = Some(EventResult {
                id: Id(r.id as u64),
                status: r.status().as_str().to_string(),
                tests: r.tests.max(0) as u64,
                pass: r.pass.max(0) as u64,
                fail: r.fail.max(0) as u64,
                duration: r.duration_at(us(now())),
                url: format!("{base}/results/{}", r.id),
                junit: format!("{base}/api/v1/results/{}/junit", r.id),
            });
            if e.kind == "job.finished" {
                let failed: Vec<FailedRow> = db.rows(
                    "SELECT seq, name, description, result FROM result_tests
                     WHERE result_id = ? AND result IN ('fail', 'fatal') ORDER BY seq LIMIT ?",
                    vec![r.id.into(), (MAX_FAILED_TESTS as i64).into()],
                )?;
                ev.failed_tests = failed
                    .into_iter()
                    .map(|f| FailedTest {
                        seq: Id(f.seq.max(0) as u64),
                        name: f.name,
                        description: f.description,
                        result: f.result,
                    })
                    .collect();
            }
        }
    } else {
        let Ok(row) = devices::find(db, Id(e.record_id as u64)) else {
            return Ok(None);
        };
        owner = row.user_id;
        ev.device = Some(row.wire(db, false)?);
    }
    Ok(Some((ev, owner)))
}

/// The body a hook is sent: the event as JSON, or a Slack/Teams-style message; cut to
/// `MAX_BODY` by leaving failed tests out.
fn body(hook: &HookRow, ev: &mut Event) -> String {
    if hook.format == "slack" {
        let text = summary(ev);
        let link = ev
            .result
            .as_ref()
            .map(|r| format!(" <{}|result {}>", r.url, r.id))
            .unwrap_or_default();
        let mut lines = vec![format!("{text}{link}")];
        lines.extend(
            ev.failed_tests
                .iter()
                .take(20)
                .map(|t| format!("• {} ({})", t.name, t.result)),
        );
        return serde_json::json!({
            "text": text,
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": lines.join("\n")}}],
        })
        .to_string();
    }
    loop {
        let text = serde_json::to_string(ev).unwrap_or_default();
        if text.len() <= MAX_BODY || ev.failed_tests.is_empty() {
            return text;
        }
        let keep = ev.failed_tests.len() / 2;
        ev.failed_tests.truncate(keep);
    }
}

/// Turns waiting events into deliveries (a batch); answers how many deliveries it made.
pub fn expand(db: &Db) -> Result<usize, ApiError> {
    let events: Vec<EventRow> = db.rows(
        "SELECT id, kind, record_id, at FROM webhook_events ORDER BY id LIMIT ?",
        vec![BATCH.into()],
    )?;
    if events.is_empty() {
        return Ok(0);
    }
    let hooks: Vec<HookRow> = db.rows("SELECT * FROM webhooks WHERE enabled = 1", vec![])?;
    let t = us(now());
    let mut made = 0;
    for e in &events {
        // The event once per lab address the hooks were made at (links differ by it).
        let mut built: std::collections::HashMap<&str, Option<(Event, i64)>> =
            std::collections::HashMap::new();
        for hook in hooks.iter().filter(|h| h.events().contains(&e.kind)) {
            if !built.contains_key(hook.base.as_str()) {
                built.insert(&hook.base, event(db, e, &hook.base)?);
            }
            let Some(Some((ev, owner))) = built.get(hook.base.as_str()) else {
                continue;
            };
            if hook.own_jobs != 0 && *owner != hook.user_id {
                continue;
            }
            if let Some(id) = enqueue(db, hook, &e.kind, "", t)? {
                let mut ev = ev.clone();
                ev.delivery = Id(id as u64);
                db.exec(
                    "UPDATE webhook_deliveries SET body = ? WHERE id = ?",
                    vec![body(hook, &mut ev).into(), id.into()],
                )?;
                made += 1;
            }
        }
        db.exec("DELETE FROM webhook_events WHERE id = ?", vec![e.id.into()])?;
    }
    Ok(made)
}
