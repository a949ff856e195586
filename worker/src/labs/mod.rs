//! Labs, in the entry worker: a request's lab comes from its path (`/labs/{lab}/api/v1/...`;
//! the bare `/api/v1/...` is the default lab) or, for an agent, from its token; users, tokens
//! and labs live in the directory (the default lab's object) whatever the path says. For a
//! lab other than the default the entry checks the token with the directory (cached,
//! [`whois`]) and tells the lab's object who calls.
//!
//! | path (after any `/labs/{lab}`) | object |
//! |---|---|
//! | `/authenticate`, `/api/v1/users/…`, `/api/v1/logout`, `/api/v1/labs/…` | the directory |
//! | `/api/v1/agent/…` | the lab the agent token names (`<lab>.<hex>`), else the default |
//! | any other `/api/v1/…` | the path's lab, for its members and admins |
//!
//! Only labs the directory knows reach an object ([`known`]): a request naming any other
//! lab is answered here (404, or 401 for an agent token) and makes no Durable Object.

pub mod known;
mod target;
mod whois;

pub use target::{Target, CALLER_HEADER, INCARNATION_HEADER, LAB_HEADER};

use labrelay_api::error::ApiError;
use labrelay_api::labs::{agent_token_lab, valid_name, DEFAULT_LAB};
use worker::{Env, Request};

/// A request on its way to an object: the path without any `/labs/{lab}` prefix, and where
/// it goes.
pub struct Destination {
    pub path: String,
    pub target: Target,
}

/// `/labs/{lab}/rest` → (`lab`, `/rest`); anything else is the default lab's.
pub fn split(path: &str) -> Result<(String, String), ApiError> {
    let Some(rest) = path.strip_prefix("/labs/") else {
        return Ok((DEFAULT_LAB.to_string(), path.to_string()));
    };
    let (lab, inner) = rest.split_once('/').unwrap_or((rest, ""));
    if !valid_name(lab) {
        return Err(ApiError::NotFound("lab"));
    }
    Ok((lab.to_string(), format!("/{inner}")))
}

fn directory_path(path: &str) -> bool {
    let p = path.trim_end_matches('/');
    p == "/authenticate"
        || p == "/api/v1/logout"
        || p == "/api/v1/users"
        || p.starts_with("/api/v1/users/")
        || p == "/api/v1/labs"
        || p.starts_with("/api/v1/labs/")
}

fn bearer(req: &Request) -> Option<String> {
    let v = req.headers().get("authorization").ok().flatten()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

/// Where a request goes, and as whom.
pub async fn route(req: &Request, env: &Env) -> Result<Destination, ApiError> {
    let (lab, path) = split(&req.path())?;
    if directory_path(&path) || path.starts_with("/healthz/") {
        return Ok(Destination {
            path,
            target: Target::directory(env),
        });
    }
    let token = bearer(req);
    if path.starts_with("/api/v1/agent/") || path == "/api/v1/agent" {
        // An agent's own lab, by its token; a lab in the path must agree.
        let own = token
            .as_deref()
            .and_then(agent_token_lab)
            .unwrap_or(DEFAULT_LAB);
        if own != lab && lab != DEFAULT_LAB {
            return Err(ApiError::InvalidToken);
        }
        // A token naming a lab there is not (never was, or deleted) is no agent's.
        let own = known::lookup(env, own)
            .await?
            .ok_or(ApiError::InvalidToken)?;
        return Ok(Destination {
            path,
            target: Target::lab(env, own, None),
        });
    }
    if lab == DEFAULT_LAB {
        // The directory checks the token itself, at no extra cost.
        return Ok(Destination {
            path,
            target: Target::directory(env),
        });
    }
    // The token first: a caller without one learns nothing of which labs exist.
    whois::check(env, token.as_deref(), None).await?;
    let Some(known) = known::lookup(env, &lab).await? else {
        return Err(ApiError::NotFound("lab"));
    };
    // For this lab, this incarnation: a membership of a deleted lab of the same name is none.
    let who = whois::check(env, token.as_deref(), Some(&known)).await?;
    if !who.may_use(&known) {
        return Err(ApiError::NotFound("lab"));
    }
    // The lab's object needs who calls, not the caller's other labs.
    let who = labrelay_api::labs::Whois {
        labs: Vec::new(),
        ..who
    };
    let caller = serde_json::to_string(&who).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Destination {
        path,
        target: Target::lab(env, known, Some(caller)),
    })
}
