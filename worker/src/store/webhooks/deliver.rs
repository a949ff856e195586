//! Sending deliveries, from the lab object's alarm (never inside a request): a batch of due
//! ones at a time, each a signed POST (`X-Labrelay-Signature`, see `labrelay_api::webhooks`)
//! with a 10 s timeout and no redirects followed. A 2xx is delivered; anything else is tried
//! again after a growing, jittered pause, until the hook has failed for `give_up` seconds:
//! then the delivery is `failed` and the hook turns itself off, saying why.

use super::rows::{DeliveryRow, HookRow};
use crate::error::now;
use crate::store::db::{us, Db};
use hmac::{Hmac, Mac};
use labrelay_api::error::ApiError;
use labrelay_api::webhooks::{
    backoff_secs, signature, signed_payload, KEEP_ANSWER, KEEP_DELIVERIES,
};
use labrelay_api::webhooks::{SIGNATURE_HEADER, TIMEOUT_SECS};
use sha2::Sha256;
use worker::{AbortController, Delay, Fetch, Headers, Method, Request, RequestInit};

/// Deliveries sent per alarm.
const BATCH: i64 = 10;

/// How an attempt went.
pub struct Attempt {
    pub status: u16,
    pub ms: u64,
    pub answer: String,
    pub error: String,
}

impl Attempt {
    fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// The hex HMAC-SHA256 of `"<t>.<body>"` under the hook's secret.
pub fn mac(secret: &str, t: i64, body: &str) -> String {
    let Ok(mut m) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    m.update(signed_payload(t, body).as_bytes());
    m.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The due deliveries of enabled hooks, with their hooks.
pub fn due(db: &Db) -> Result<Vec<(DeliveryRow, HookRow)>, ApiError> {
    let rows: Vec<DeliveryRow> = db.rows(
        "SELECT d.* FROM webhook_deliveries d JOIN webhooks h ON h.id = d.hook_id
         WHERE d.state = 'pending' AND d.next_at <= ? AND h.enabled = 1
         ORDER BY d.next_at LIMIT ?",
        vec![us(now()).into(), BATCH.into()],
    )?;
    let mut out = Vec::new();
    for d in rows {
        let hook = super::rows::find(db, labrelay_api::Id(d.hook_id as u64))?;
        out.push((d, hook));
    }
    Ok(out)
}

/// When the next delivery is due (µs), for the alarm.
pub fn next_due(db: &Db) -> Result<Option<i64>, ApiError> {
    let at = db.int(
        "SELECT coalesce(min(d.next_at), 0) FROM webhook_deliveries d
         JOIN webhooks h ON h.id = d.hook_id WHERE d.state = 'pending' AND h.enabled = 1",
        vec![],
    )?;
    Ok((at > 0).then_some(at))
}

/// The signed POST of delivery `d` to its hook, at `t` (Unix seconds).
fn request(hook: &HookRow, d: &DeliveryRow, t: i64) -> Result<Request, String> {
    let headers = Headers::new();
    let set = [
        ("content-type", "application/json".to_string()),
        ("user-agent", "Labrelay-Webhooks/1".to_string()),
        ("x-labrelay-event", d.event.clone()),
        ("x-labrelay-delivery", d.id.to_string()),
        (
            SIGNATURE_HEADER,
            signature(t, &mac(&hook.secret, t, &d.body)),
        ),
    ];
    for (k, v) in set {
        headers.set(k, &v).map_err(|e| format!("header {k}: {e}"))?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(d.body.clone().into()))
        .with_redirect(worker::RequestRedirect::Manual);
    Request::new_with_init(&hook.url, &init).map_err(|e| format!("bad request: {e}"))
}

/// The receiver's answer within `TIMEOUT_SECS` (the call is aborted past it).
async fn answer_of(req: Request) -> Result<worker::Response, String> {
    let abort = AbortController::default();
    let signal = abort.signal();
    let fetch = Fetch::Request(req);
    let call = fetch.send_with_signal(&signal);
    let timeout = Delay::from(std::time::Duration::from_secs(TIMEOUT_SECS));
    futures::pin_mut!(call);
    futures::pin_mut!(timeout);
    match futures::future::select(call, timeout).await {
        futures::future::Either::Left((Ok(resp), _)) => Ok(resp),
        futures::future::Either::Left((Err(e), _)) => Err(format!("no answer: {e}")),
        futures::future::Either::Right(_) => {
            abort.abort();
            Err(format!("no answer within {TIMEOUT_SECS} s"))
        }
    }
}

/// One attempt: the POST, signed, answered within `TIMEOUT_SECS` or given up.
pub async fn send(hook: &HookRow, d: &DeliveryRow) -> Attempt {
    let started = js_sys::Date::now();
    let ms = || (js_sys::Date::now() - started).max(0.0) as u64;
    let answered = match request(hook, d, (started / 1000.0) as i64) {
        Ok(req) => answer_of(req).await,
        Err(e) => Err(e),
    };
    let mut resp = match answered {
        Ok(resp) => resp,
        Err(error) => {
            return Attempt {
                status: 0,
                ms: ms(),
                answer: String::new(),
                error,
            }
        }
    };
    let status = resp.status_code();
    let text = resp.text().await.unwrap_or_default();
    Attempt {
        status,
        ms: ms(),
        error: match status {
            200..=299 => String::new(),
            300..=399 => format!("answered {status}: redirects are not followed"),
            _ => format!("answered {status}"),
        },
        answer: text.chars().take(KEEP_ANSWER).collect(),
    }
}

fn span(secs: i64) -> String {
    if secs % 3600 == 0 {
        format!("{} h", secs / 3600)
    } else {
        format!("{secs} s")
    }
}

/// Records an attempt: delivered, tried again later, or given up (and the hook off) once
/// the hook has failed for `give_up_secs`.
pub fn record(
    db: &Db,
    hook: &HookRow,
    d: &DeliveryRow,
    a: &Attempt,
    give_up_secs: i64,
) -> Result<(), ApiError> {
    let t = us(now());
    if a.ok() {
        db.exec(
            "UPDATE webhook_deliveries SET state = 'delivered', attempts = ?, status = ?, ms = ?,
             response = ?, error = '', delivered = ? WHERE id = ?",
            vec![
                (d.attempts + 1).into(),
                i64::from(a.status).into(),
                (a.ms as i64).into(),
                a.answer.clone().into(),
                t.into(),
                d.id.into(),
            ],
        )?;
        db.exec(
            "UPDATE webhooks SET failing_since = 0 WHERE id = ?",
            vec![hook.id.into()],
        )?;
    } else {
        failed(db, hook, d, a, give_up_secs, t)?;
    }
    // The newest deliveries are kept, and every one still waiting.
    db.exec(
        "DELETE FROM webhook_deliveries WHERE hook_id = ? AND state != 'pending' AND id <
         (SELECT coalesce(min(id), 0) FROM (SELECT id FROM webhook_deliveries WHERE hook_id = ?
          ORDER BY id DESC LIMIT ?))",
        vec![hook.id.into(), hook.id.into(), KEEP_DELIVERIES.into()],
    )
}

/// A failed attempt: tried again after the backoff, or given up once older than the
/// window; the hook turned off once it has failed for all of it.
fn failed(
    db: &Db,
    hook: &HookRow,
    d: &DeliveryRow,
    a: &Attempt,
    give_up_secs: i64,
    t: i64,
) -> Result<(), ApiError> {
    let window = give_up_secs * 1_000_000;
    let attempts = d.attempts + 1;
    let failing_since = if hook.failing_since > 0 {
        hook.failing_since
    } else {
        t
    };
    let give_up = t - d.created >= window;
    let wait = backoff_secs(attempts as u64, js_sys::Math::random()) as i64 * 1_000_000;
    db.exec(
        "UPDATE webhook_deliveries SET state = ?, attempts = ?, status = ?, ms = ?,
         response = ?, error = ?, next_at = ? WHERE id = ?",
        vec![
            (if give_up { "failed" } else { "pending" }).into(),
            attempts.into(),
            i64::from(a.status).into(),
            (a.ms as i64).into(),
            a.answer.clone().into(),
            a.error.clone().into(),
            (t + wait.min(window)).into(),
            d.id.into(),
        ],
    )?;
    db.exec(
        "UPDATE webhooks SET failing_since = ? WHERE id = ?",
        vec![failing_since.into(), hook.id.into()],
    )?;
    if t - failing_since < window {
        return Ok(());
    }
    let reason = format!(
        "turned off: every delivery failed for {} (last: {})",
        span(give_up_secs),
        a.error
    );
    db.exec(
        "UPDATE webhooks SET enabled = 0, disabled_reason = ?, updated = ? WHERE id = ?",
        vec![reason.into(), t.into(), hook.id.into()],
    )?;
    db.exec(
        "UPDATE webhook_deliveries SET state = 'failed' WHERE hook_id = ? AND state = 'pending'",
        vec![hook.id.into()],
    )
}
