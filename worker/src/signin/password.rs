//! Password keys: PBKDF2-HMAC-SHA256 by the runtime's WebCrypto, here in the entry worker
//! (never in the store object, whose one thread every request shares). Stored as
//! `pbkdf2-sha256$<rounds>$<salt hex>$<key hex>`.

use crate::internal::PBKDF2_ROUNDS;
use crate::webcrypto::{hex, pbkdf2, random, unhex};
use labrelay_api::error::ApiError;

/// The most rounds a stored hash may ask for (a damaged row must not cost minutes).
const MAX_ROUNDS: u32 = 10 * PBKDF2_ROUNDS;

/// The key of `password` with this salt and rounds, hex.
pub async fn key(password: &str, salt_hex: &str, rounds: u32) -> Result<String, ApiError> {
    let salt =
        unhex(salt_hex).ok_or_else(|| ApiError::Internal("stored salt is not hex".into()))?;
    if rounds == 0 || rounds > MAX_ROUNDS {
        return Err(ApiError::Internal(format!(
            "stored hash has {rounds} rounds"
        )));
    }
    Ok(hex(&pbkdf2(password.as_bytes(), &salt, rounds).await?))
}

/// A stored hash at today's rounds with this salt (hex) and key.
pub fn format(rounds: u32, salt_hex: &str, key_hex: &str) -> String {
    format!("pbkdf2-sha256${rounds}${salt_hex}${key_hex}")
}

/// A new stored hash of `password`: a fresh salt, today's rounds.
pub async fn hash(password: &str) -> Result<String, ApiError> {
    let salt = hex(&random(16)?);
    let key = key(password, &salt, PBKDF2_ROUNDS).await?;
    Ok(format(PBKDF2_ROUNDS, &salt, &key))
}

/// Compares in constant time (for the `ADMIN_PASSWORD` secret).
pub fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut diff = (a.len() ^ b.len()) as u8 | ((a.len() ^ b.len()) >> 8) as u8;
    for i in 0..a.len().max(b.len()) {
        diff |= a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0);
    }
    diff == 0
}
