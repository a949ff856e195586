//! Who a user token belongs to, for requests to labs other than the default: asked of the
//! directory and kept in this isolate for `WHOIS_TTL_SECS` (30 s), so most calls pay no
//! second object round trip. A revoked token, a disabled user or a removed membership takes
//! effect in other labs within that time (in the default lab, at once: it checks itself); a
//! new lab or membership at once (a cached answer that does not allow the lab is asked
//! again).

use super::Target;
use crate::store_call::{call, Refused};
use labrelay_api::error::ApiError;
use labrelay_api::labs::{agent_token_lab, LabRef, Whois, WHOIS_TTL_SECS};
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::collections::HashMap;
use worker::Env;

/// Entries kept at most (the cache starts afresh past it).
const MAX_ENTRIES: usize = 10_000;

thread_local! {
    static CACHE: RefCell<HashMap<[u8; 32], (Whois, f64)>> = RefCell::new(HashMap::new());
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// The caller of a user token; 401 for a missing or unknown token, 403 for an agent's. A
/// kept answer that does not let it use `lab` (when one is named) is asked again: a new lab
/// or membership counts at once.
pub async fn check(
    env: &Env,
    token: Option<&str>,
    lab: Option<&LabRef>,
) -> Result<Whois, ApiError> {
    let token = token
        .filter(|t| !t.is_empty())
        .ok_or(ApiError::InvalidToken)?;
    if agent_token_lab(token).is_some() {
        // A lab's agent token: never for user endpoints.
        return Err(ApiError::Forbidden);
    }
    let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    let hit = CACHE.with(|c| {
        c.borrow()
            .get(&key)
            .filter(|(_, at)| now_ms() - at < WHOIS_TTL_SECS as f64 * 1000.0)
            .map(|(w, _)| w.clone())
    });
    if let Some(w) = hit.filter(|w| lab.is_none_or(|l| w.may_use(l))) {
        return Ok(w);
    }
    let bearer = format!("Bearer {token}");
    let who: Whois = call(
        &Target::directory(env),
        crate::internal::WHOIS,
        Some(&bearer),
        &serde_json::json!({}),
    )
    .await
    .map_err(|r| match r {
        Refused::Error(e) => e,
        // The directory's 401/403 as they are.
        Refused::Answer(resp) if resp.status_code() == 403 => ApiError::Forbidden,
        Refused::Answer(_) => ApiError::InvalidToken,
    })?;
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= MAX_ENTRIES {
            c.clear();
        }
        c.insert(key, (who.clone(), now_ms()));
    });
    Ok(who)
}
