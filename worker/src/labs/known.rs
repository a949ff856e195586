//! Which labs exist, in the entry worker: the directory's list of live labs (at most
//! `MAX_LABS`, a few KB), kept in this isolate for `KNOWN_TTL_SECS`, so a request for a lab
//! that does not exist is answered here and never names (and so never makes) a Durable
//! Object. A name the list lacks is asked again at most once a second (a lab just created
//! elsewhere is found within that); a lab created, deleted or restored through this isolate
//! is seen at once. A lab deleted through another isolate may still be routed to for up to
//! `KNOWN_TTL_SECS`: its object, closed by the delete, refuses every call itself.

use super::Target;
use crate::internal::{KnownLabs, LABS_KNOWN};
use crate::store_call::call;
use labrelay_api::error::ApiError;
use labrelay_api::labs::{LabRef, DEFAULT_LAB};
use std::cell::RefCell;
use worker::Env;

/// How long the list is trusted.
pub const KNOWN_TTL_SECS: f64 = 30.0;
/// How often a name the list lacks may send the entry back to the directory.
const MISS_REFRESH_SECS: f64 = 1.0;

struct Known {
    labs: Vec<LabRef>,
    at_ms: f64,
}

thread_local! {
    static KNOWN: RefCell<Option<Known>> = const { RefCell::new(None) };
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// The lab named `name` as the directory knows it, or `None` when there is no such lab.
pub async fn lookup(env: &Env, name: &str) -> Result<Option<LabRef>, ApiError> {
    if name == DEFAULT_LAB {
        return Ok(Some(LabRef::default_lab()));
    }
    let (hit, age_secs) = KNOWN.with(|k| match &*k.borrow() {
        Some(known) => (
            known.labs.iter().find(|l| l.name == name).cloned(),
            (now_ms() - known.at_ms) / 1000.0,
        ),
        None => (None, f64::INFINITY),
    });
    if age_secs < KNOWN_TTL_SECS && (hit.is_some() || age_secs < MISS_REFRESH_SECS) {
        return Ok(hit);
    }
    let fresh: KnownLabs = call(
        &Target::directory(env),
        LABS_KNOWN,
        None,
        &serde_json::json!({}),
    )
    .await
    .map_err(ApiError::from)?;
    let found = fresh.labs.iter().find(|l| l.name == name).cloned();
    KNOWN.with(|k| {
        *k.borrow_mut() = Some(Known {
            labs: fresh.labs,
            at_ms: now_ms(),
        })
    });
    Ok(found)
}

/// Labs were created, deleted or restored: the next lookup asks the directory.
pub fn forget() {
    KNOWN.with(|k| *k.borrow_mut() = None);
}
