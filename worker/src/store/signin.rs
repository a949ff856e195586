//! Signing in, the store's half. Passwords are hashed in the entry worker (WebCrypto PBKDF2,
//! `crate::signin`), never in this object: here are the salts, the stored keys, the
//! comparison, the throttles and the tokens' records.
//!
//! Throttling: per user name and per client address, [`MAX_FAILURES`] failed sign-ins within
//! [`WINDOW_SECS`] lock further tries for [`LOCK_SECS`] (429 with Retry-After). A success
//! clears the user's count. An unknown user gets a decoy salt derived from its name, so a
//! sign-in costs the same whether the user exists or not.

use super::auth::{hash_token, CallerRow};
use super::db::{us, Db};
use super::http::{self, Ctx, Reply};
use crate::error::now;
use crate::internal::{
    SigninBegin, SigninChallenge, SigninFinish, SigninOk, PBKDF2_ROUNDS, SESSION_SECS,
};
use labrelay_api::error::ApiError;
use labrelay_api::Id;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// Failed sign-ins a name, or an address, may make within the window.
pub const MAX_FAILURES: i64 = 5;
/// Per address, for a whole office behind one address.
pub const MAX_FAILURES_PER_ADDRESS: i64 = 30;
pub const WINDOW_SECS: i64 = 15 * 60;
pub const LOCK_SECS: i64 = 15 * 60;

#[derive(Deserialize)]
pub(super) struct Stored {
    pub id: i64,
    name: String,
    password_hash: String,
    disabled: i64,
}

fn throttle_keys(user: &str, address: &str) -> [(String, i64); 2] {
    [
        (format!("user:{}", user.to_ascii_lowercase()), MAX_FAILURES),
        (format!("addr:{address}"), MAX_FAILURES_PER_ADDRESS),
    ]
}

/// Refuses (429) while a name or an address is locked out.
fn check_throttle(db: &Db, user: &str, address: &str, now_us: i64) -> Result<(), ApiError> {
    for (key, _) in throttle_keys(user, address) {
        let until = db.int(
            "SELECT coalesce((SELECT locked_until FROM login_failures WHERE key = ?), 0)",
            vec![key.into()],
        )?;
        if until > now_us {
            return Err(ApiError::TooManyRequests {
                retry_after: ((until - now_us) / 1_000_000).max(1) as u64,
            });
        }
    }
    Ok(())
}

fn record_failure(db: &Db, user: &str, address: &str, now_us: i64) -> Result<(), ApiError> {
    let window_start = now_us - WINDOW_SECS * 1_000_000;
    for (key, max) in throttle_keys(user, address) {
        db.exec(
            "INSERT INTO login_failures (key, count, first, locked_until) VALUES (?, 1, ?, 0)
             ON CONFLICT (key) DO UPDATE SET
               count = CASE WHEN first < ? THEN 1 ELSE count + 1 END,
               first = CASE WHEN first < ? THEN excluded.first ELSE first END",
            vec![
                key.clone().into(),
                now_us.into(),
                window_start.into(),
                window_start.into(),
            ],
        )?;
        db.exec(
            "UPDATE login_failures SET locked_until = ? WHERE key = ? AND count >= ?",
            vec![
                (now_us + LOCK_SECS * 1_000_000).into(),
                key.into(),
                max.into(),
            ],
        )?;
    }
    Ok(())
}

/// `pbkdf2-sha256$<rounds>$<salt hex>$<key hex>` (the key is `env` for the built-in admin
/// until it first signs in: its password is the `ADMIN_PASSWORD` secret).
pub fn parse_hash(stored: &str) -> Option<(u32, String, String)> {
    let parts: Vec<&str> = stored.split('$').collect();
    match parts.as_slice() {
        ["pbkdf2-sha256", rounds, salt, key] => {
            Some((rounds.parse().ok()?, salt.to_string(), key.to_string()))
        }
        _ => None,
    }
}

/// A salt for a name no user has: the same for the same name, never a real user's.
fn decoy_salt(name: &str) -> String {
    let h = Sha256::digest(format!("labrelay decoy salt\0{name}").as_bytes());
    h[..16].iter().map(|b| format!("{b:02x}")).collect()
}

fn stored_user(db: &Db, begin: &SigninBegin) -> Result<Option<Stored>, ApiError> {
    match begin.user_id {
        Some(id) => db.first(
            "SELECT id, name, password_hash, disabled FROM users WHERE id = ?",
            vec![(id as i64).into()],
        ),
        None => db.first(
            "SELECT id, name, password_hash, disabled FROM users WHERE name = ?",
            vec![begin.username.clone().into()],
        ),
    }
}

/// `internal::SIGNIN_BEGIN`: the salt and rounds to derive the key with.
pub fn begin(db: &Db, ctx: &Ctx) -> Result<Reply, ApiError> {
    let req: SigninBegin = ctx.json()?;
    let t = us(now());
    let user = stored_user(db, &req)?;
    // Throttled by the user's name, however it is named (a password change names it by id).
    let name = user
        .as_ref()
        .map_or(req.username.as_str(), |u| u.name.as_str());
    check_throttle(db, name, &req.address, t)?;
    let challenge = match user.and_then(|u| parse_hash(&u.password_hash)) {
        Some((rounds, salt, key)) => SigninChallenge {
            rounds,
            salt,
            env_password: key == "env",
        },
        None => SigninChallenge {
            rounds: PBKDF2_ROUNDS,
            salt: decoy_salt(&req.username),
            env_password: false,
        },
    };
    http::data(&challenge)
}

/// Compares in constant time.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Checks a derived key; on success the user — the entry turns that into a session or the API
/// token. Every failure is counted.
pub(super) fn check(db: &Db, req: &SigninFinish, t: i64) -> Result<Stored, ApiError> {
    let begin = SigninBegin {
        username: req.username.clone(),
        user_id: req.user_id,
        address: req.address.clone(),
    };
    let user = stored_user(db, &begin)?;
    let name = user
        .as_ref()
        .map_or(req.username.clone(), |u| u.name.clone());
    check_throttle(db, &name, &req.address, t)?;
    let ok = user.as_ref().is_some_and(|u| {
        u.disabled == 0
            && match parse_hash(&u.password_hash) {
                Some((_, _, key)) if key == "env" => req.env_ok,
                Some((_, _, key)) => same(&key, &req.key),
                None => false,
            }
    });
    match (ok, user) {
        (true, Some(u)) => {
            db.exec(
                "DELETE FROM login_failures WHERE key = ?",
                vec![format!("user:{}", name.to_ascii_lowercase()).into()],
            )?;
            // A better hash, worked out by the entry while it had the password.
            if let Some(h) = req.upgrade.as_deref().filter(|h| parse_hash(h).is_some()) {
                db.exec(
                    "UPDATE users SET password_hash = ? WHERE id = ?",
                    vec![h.to_string().into(), u.id.into()],
                )?;
            }
            Ok(u)
        }
        _ => {
            record_failure(db, &name, &req.address, t)?;
            Err(ApiError::BadLogin)
        }
    }
}

/// `internal::SIGNIN_FINISH`: the password's key checked; a session token stored when asked
/// for; the user's sealed API token (the entry's candidate stored when it has none yet).
pub fn finish(db: &Db, ctx: &Ctx) -> Result<Reply, ApiError> {
    let req: SigninFinish = ctx.json()?;
    let t = us(now());
    let user = check(db, &req, t)?;
    if req.session {
        let hash = req
            .session_hash
            .clone()
            .ok_or_else(|| ApiError::invalid("no session token"))?;
        db.exec(
            "INSERT INTO tokens (hash, user_id, source, created, expires) VALUES (?, ?, 'session', ?, ?)",
            vec![hash.into(), user.id.into(), t.into(), (t + SESSION_SECS * 1_000_000).into()],
        )?;
    } else {
        ensure_api_token(db, user.id, &req.api_hash, &req.api_sealed, t)?;
    }
    let sealed = db
        .first::<SealedRow>(
            "SELECT api_token_sealed FROM users WHERE id = ?",
            vec![user.id.into()],
        )?
        .map(|r| r.api_token_sealed)
        .unwrap_or_default();
    http::data(&SigninOk {
        user: super::users::row::find(db, Id(user.id as u64))?.to_wire(None),
        api_sealed: sealed,
    })
}

#[derive(Deserialize)]
struct SealedRow {
    api_token_sealed: String,
}

/// The user's API token: kept when it has one sealed under the entry's current key (the key id
/// before the `:`), else this one (hash and sealed copy).
fn ensure_api_token(db: &Db, user: i64, hash: &str, sealed: &str, t: i64) -> Result<(), ApiError> {
    let key_id = sealed.split(':').next().unwrap_or_default();
    let has = db.int(
        "SELECT count(*) FROM users u WHERE u.id = ? AND substr(u.api_token_sealed, 1, ?) = ?
           AND EXISTS (SELECT 1 FROM tokens WHERE user_id = u.id AND source = 'api')",
        vec![
            user.into(),
            (key_id.len() as i64 + 1).into(),
            format!("{key_id}:").into(),
        ],
    )? > 0;
    if !has {
        set_api_token(db, user, hash, sealed, t)?;
    }
    Ok(())
}

/// Replaces the user's API token.
pub fn set_api_token(db: &Db, user: i64, hash: &str, sealed: &str, t: i64) -> Result<(), ApiError> {
    if hash.len() != 64 || sealed.is_empty() {
        return Err(ApiError::invalid(
            "a new API token needs its hash and sealed copy",
        ));
    }
    db.exec(
        "DELETE FROM tokens WHERE user_id = ? AND source = 'api'",
        vec![user.into()],
    )?;
    db.exec(
        "INSERT INTO tokens (hash, user_id, source, created) VALUES (?, ?, 'api', ?)",
        vec![hash.to_string().into(), user.into(), t.into()],
    )?;
    db.exec(
        "UPDATE users SET api_token_sealed = ? WHERE id = ?",
        vec![sealed.to_string().into(), user.into()],
    )
}

/// `POST /api/v1/logout`: the caller's session ends (an API token is not a session: it stays).
pub fn logout(db: &Db, bearer: Option<&str>) -> Result<Reply, ApiError> {
    let token = bearer
        .filter(|t| !t.is_empty())
        .ok_or(ApiError::InvalidToken)?;
    let row: Option<CallerRow> = super::auth::caller_row(db, token)?;
    if row.is_none() {
        return Err(ApiError::InvalidToken);
    }
    db.exec(
        "DELETE FROM tokens WHERE hash = ? AND source = 'session'",
        vec![hash_token(token).into()],
    )?;
    Ok(Reply::NoContent)
}

/// Every session of a user ends (a password change, a disabled user).
pub fn end_sessions(db: &Db, user: Id) -> Result<(), ApiError> {
    db.exec(
        "DELETE FROM tokens WHERE user_id = ? AND source IN ('session', 'login')",
        vec![user.as_i64().into()],
    )
}
