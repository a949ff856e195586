//! Who may do what. Tokens are random, shown once, and stored as SHA-256 hashes; passwords
//! as salted PBKDF2-HMAC-SHA256. The admin's first password and a standing admin token come
//! from the worker's environment (`ADMIN_PASSWORD`, `ADMIN_TOKEN`).

use super::db::{micros, Db};
use super::http::Caller;
use crate::error::now;
use labrelay_api::error::ApiError;
use labrelay_api::Id;
use sha2::{Digest, Sha256};

/// PBKDF2 rounds: enough to make an offline guess costly, few enough that a sign-in costs the
/// Durable Object only milliseconds of CPU.
const PBKDF2_ROUNDS: u32 = 10_000;

pub fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

pub fn new_token() -> Result<String, ApiError> {
    let mut bytes = [0u8; 24];
    getrandom::getrandom(&mut bytes).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(hex(&bytes))
}

pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| ApiError::Internal(e.to_string()))?;
    let key = derive(password, &salt, PBKDF2_ROUNDS);
    Ok(format!(
        "pbkdf2-sha256${PBKDF2_ROUNDS}${}${}",
        hex(&salt),
        hex(&key)
    ))
}

pub fn verify_password(password: &str, stored: &str) -> bool {
    let parts: Vec<&str> = stored.split('$').collect();
    let [_, rounds, salt, key] = parts.as_slice() else {
        return false;
    };
    let (Ok(rounds), Some(salt)) = (rounds.parse(), unhex(salt)) else {
        return false;
    };
    // Compare in constant time.
    let got = hex(&derive(password, &salt, rounds));
    got.len() == key.len()
        && got
            .bytes()
            .zip(key.bytes())
            .fold(0, |acc, (a, b)| acc | (a ^ b))
            == 0
}

fn derive(password: &str, salt: &[u8], rounds: u32) -> [u8; 32] {
    pbkdf2::pbkdf2_hmac_array::<Sha256, 32>(password.as_bytes(), salt, rounds)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

#[derive(serde::Deserialize)]
struct CallerRow {
    user_id: i64,
    admin: i64,
    disabled: i64,
}

/// The caller a bearer token belongs to.
pub fn caller(db: &Db, bearer: Option<&str>) -> Result<Caller, ApiError> {
    let token = bearer
        .filter(|t| !t.is_empty())
        .ok_or(ApiError::InvalidToken)?;
    let row: Option<CallerRow> = db.first(
        "SELECT t.user_id AS user_id, u.admin AS admin, u.disabled AS disabled
         FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = ?",
        vec![hash_token(token).into()],
    )?;
    match row {
        Some(r) if r.disabled == 0 => Ok(Caller {
            user_id: Id(r.user_id as u64),
            admin: r.admin != 0,
        }),
        Some(_) => Err(ApiError::InvalidToken),
        // An agent's token is valid, but never for user endpoints.
        None if agent_by_token(db, token)?.is_some() => Err(ApiError::Forbidden),
        None => Err(ApiError::InvalidToken),
    }
}

fn agent_by_token(db: &Db, token: &str) -> Result<Option<Id>, ApiError> {
    let id = db.int(
        "SELECT coalesce((SELECT id FROM agents WHERE token_hash = ?), 0)",
        vec![hash_token(token).into()],
    )?;
    Ok((id > 0).then_some(Id(id as u64)))
}

/// The lab agent a bearer token belongs to. User tokens never open agent endpoints.
pub fn agent(db: &Db, bearer: Option<&str>) -> Result<Id, ApiError> {
    let token = bearer
        .filter(|t| !t.is_empty())
        .ok_or(ApiError::InvalidToken)?;
    if let Some(id) = agent_by_token(db, token)? {
        return Ok(id);
    }
    let user = db.int(
        "SELECT count(*) FROM tokens WHERE hash = ?",
        vec![hash_token(token).into()],
    )?;
    Err(if user > 0 {
        ApiError::Forbidden
    } else {
        ApiError::InvalidToken
    })
}

pub fn require_admin(caller: &Caller) -> Result<(), ApiError> {
    if caller.admin {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// Stores a new token for a user and returns it (the only time it is seen).
pub fn mint(db: &Db, user: Id, source: &str) -> Result<String, ApiError> {
    let token = new_token()?;
    db.exec(
        "INSERT INTO tokens (hash, user_id, source, created) VALUES (?, ?, ?, ?)",
        vec![
            hash_token(&token).into(),
            user.as_i64().into(),
            source.into(),
            micros(now()),
        ],
    )?;
    Ok(token)
}

/// First start: the `admin` user (id 1) with `ADMIN_PASSWORD`. Every start: `ADMIN_TOKEN` is
/// the admin's standing token (replacing the one an earlier environment gave).
pub fn bootstrap(db: &Db, admin_password: &str, admin_token: &str) -> Result<(), ApiError> {
    let users = db.int("SELECT count(*) FROM users", vec![])?;
    if users == 0 {
        let t = micros(now());
        db.exec(
            "INSERT INTO users (id, name, description, admin, disabled, password_hash, created, updated)
             VALUES (1, 'admin', 'administrator', 1, 0, ?, ?, ?)",
            vec![hash_password(admin_password)?.into(), t.clone(), t],
        )?;
    }
    db.exec("DELETE FROM tokens WHERE source = 'env'", vec![])?;
    if !admin_token.is_empty() {
        db.exec(
            "INSERT OR REPLACE INTO tokens (hash, user_id, source, created) VALUES (?, 1, 'env', ?)",
            vec![hash_token(admin_token).into(), micros(now())],
        )?;
    }
    Ok(())
}
