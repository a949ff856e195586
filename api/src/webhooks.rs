//! Webhooks: a lab tells a URL when something happens (a job launched, started, finished; a
//! device turned `bad` or `ready`) — a signed JSON POST, delivered from the lab object's
//! alarm with retries. The wire types, the events, the caps and the signature's format.

use crate::{Id, Timestamp};
use serde::{Deserialize, Serialize};

/// The events a hook may subscribe to.
pub const EVENTS: &[&str] = &[
    "job.launched",
    "job.started",
    "job.finished",
    "device.bad",
    "device.ready",
];

/// Hooks one lab may have.
pub const MAX_HOOKS: usize = 100;
/// Deliveries one hook may have waiting; past it, new events for it are dropped (counted in
/// `dropped`).
pub const MAX_QUEUED: i64 = 1_000;
/// Deliveries kept per hook (the newest), for the API and the app.
pub const KEEP_DELIVERIES: i64 = 100;
/// The longest URL.
pub const MAX_URL: usize = 2_048;
/// The longest body a delivery carries (a finished job's failed tests are cut to fit).
pub const MAX_BODY: usize = 64 << 10;
/// Failed tests named in a `job.finished` event.
pub const MAX_FAILED_TESTS: usize = 100;
/// How long one delivery attempt may take.
pub const TIMEOUT_SECS: u64 = 10;
/// How much of a receiver's answer is kept.
pub const KEEP_ANSWER: usize = 512;
/// The signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
pub const SIGNATURE_HEADER: &str = "X-Labrelay-Signature";

/// A hook as the API shows it (its secret only once: when made or rotated).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Webhook {
    pub id: Id,
    pub name: String,
    pub url: String,
    /// The events it hears (see [`EVENTS`]).
    pub events: Vec<String>,
    /// `json` (the event) or `slack` (Slack/Teams-style incoming webhooks: text + blocks).
    pub format: String,
    /// Only the events of its owner's own jobs (a user's hook always is).
    pub own_jobs: bool,
    pub enabled: bool,
    /// Why it turned itself off ("" while enabled).
    pub disabled_reason: String,
    /// Events dropped because too many deliveries were waiting.
    pub dropped: u64,
    pub user_id: Id,
    pub created: Timestamp,
    pub updated: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// A create or edit body (every key optional on edit; `url` required on create).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct WebhookInput {
    pub name: Option<String>,
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub format: Option<String>,
    pub own_jobs: Option<bool>,
    pub enabled: Option<bool>,
}

/// One delivery of an event to a hook, and how it went.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub id: Id,
    pub hook_id: Id,
    pub event: String,
    /// `pending` (waiting for its next attempt), `delivered` or `failed` (gave up).
    pub state: String,
    pub attempts: u64,
    /// The receiver's HTTP status on the last attempt (0: no answer).
    pub status: u16,
    /// How long the last attempt took.
    pub ms: u64,
    /// The first bytes of the receiver's last answer.
    pub response: String,
    /// Why the last attempt failed ("" when it did not).
    pub error: String,
    pub created: Timestamp,
    #[serde(default)]
    pub next_attempt: Option<Timestamp>,
    #[serde(default)]
    pub delivered: Option<Timestamp>,
}

/// A delivery's body (`format: json`): the event, and the records it concerns as the API
/// shows them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// This delivery's id (also in `X-Labrelay-Delivery`): a receiver drops repeats by it.
    pub delivery: Id,
    pub event: String,
    /// When it happened.
    pub created: Timestamp,
    pub lab: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<crate::jobs::Job>,
    /// A started or finished job's run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<EventResult>,
    /// A finished run's failed tests (the first [`MAX_FAILED_TESTS`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed_tests: Vec<FailedTest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<crate::resources::Device>,
}

/// A run, as an event names it: its verdict counts and where to read it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventResult {
    pub id: Id,
    pub status: String,
    pub tests: u64,
    pub pass: u64,
    pub fail: u64,
    pub duration: u64,
    /// The result's page in the app.
    pub url: String,
    /// Its JUnit XML (`GET /api/v1/results/{id}/junit`, with a token).
    pub junit: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FailedTest {
    pub seq: Id,
    pub name: String,
    pub description: String,
    pub result: String,
}

/// The one-line summary of an event (Slack's `text`, a log line).
pub fn summary(e: &Event) -> String {
    if let Some(job) = &e.job {
        let mut s = format!(
            "Job {} ({}) {}",
            job.id,
            job.package_name,
            e.event.trim_start_matches("job.")
        );
        if e.event == "job.finished" {
            s.push_str(&format!(": {}", job.status.as_str()));
            if let Some(r) = &e.result {
                s.push_str(&format!(", {} passed, {} failed", r.pass, r.fail));
            }
            if !job.reason.is_empty() {
                s.push_str(&format!(" ({})", job.reason));
            }
        }
        return s;
    }
    if let Some(d) = &e.device {
        return format!(
            "Device {} ({}) is {}",
            d.id,
            d.name,
            e.event.trim_start_matches("device.")
        );
    }
    e.event.clone()
}

/// Checks a create/edit body's values (not the URL's target: the worker does that).
pub fn check_input(input: &WebhookInput) -> Result<(), String> {
    if let Some(url) = &input.url {
        if url.len() > MAX_URL {
            return Err(format!("url is longer than {MAX_URL} bytes"));
        }
    }
    if let Some(name) = &input.name {
        if name.len() > 200 {
            return Err("name is longer than 200 bytes".into());
        }
    }
    if let Some(events) = &input.events {
        if events.is_empty() {
            return Err(format!(
                "events: name at least one of {}",
                EVENTS.join(", ")
            ));
        }
        if let Some(e) = events.iter().find(|e| !EVENTS.contains(&e.as_str())) {
            return Err(format!(
                "unknown event \"{}\": one of {}",
                e.chars().take(64).collect::<String>(),
                EVENTS.join(", ")
            ));
        }
    }
    if let Some(f) = &input.format {
        if f != "json" && f != "slack" {
            return Err(format!(
                "invalid format \"{}\": json or slack",
                f.chars().take(64).collect::<String>()
            ));
        }
    }
    Ok(())
}

/// The signature header's value for a body sent at `t` (Unix seconds), given the hex MAC.
pub fn signature(t: i64, mac_hex: &str) -> String {
    format!("t={t},v1={mac_hex}")
}

/// What the MAC is computed over: `"<t>.<body>"`.
pub fn signed_payload(t: i64, body: &str) -> String {
    format!("{t}.{body}")
}

/// Seconds before attempt `n + 1` (n ≥ 1 attempts made): 10 s doubling to at most an hour,
/// plus up to a fifth more at random (`jitter` in 0..1).
pub fn backoff_secs(attempts: u64, jitter: f64) -> u64 {
    let base = 10u64
        .saturating_mul(1 << attempts.saturating_sub(1).min(9))
        .min(3_600);
    base + (base as f64 * 0.2 * jitter.clamp(0.0, 1.0)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_checked() {
        let bad = |i: WebhookInput| check_input(&i).unwrap_err();
        assert_eq!(
            bad(WebhookInput {
                events: Some(vec!["job.exploded".into()]),
                ..Default::default()
            }),
            "unknown event \"job.exploded\": one of job.launched, job.started, job.finished, \
             device.bad, device.ready"
        );
        assert!(bad(WebhookInput {
            format: Some("xml".into()),
            ..Default::default()
        })
        .starts_with("invalid format"));
        assert!(check_input(&WebhookInput {
            events: Some(vec!["job.finished".into()]),
            format: Some("slack".into()),
            ..Default::default()
        })
        .is_ok());
    }

    #[test]
    fn backoff_doubles_to_an_hour_with_a_fifth_of_jitter() {
        assert_eq!(backoff_secs(1, 0.0), 10);
        assert_eq!(backoff_secs(2, 0.0), 20);
        assert_eq!(backoff_secs(4, 1.0), 96);
        assert_eq!(backoff_secs(30, 0.0), 3_600);
        assert_eq!(backoff_secs(u64::MAX, 1.0), 4_320);
    }
}
