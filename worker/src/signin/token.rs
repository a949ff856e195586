//! API and session tokens: random, shown to their user, stored as SHA-256 hashes. A user's API
//! token is also kept sealed (AES-GCM, key from `secrets::seal_key`) so that `/authenticate`
//! can give the same one each time, as CDRouter does, while a copy of the database alone
//! reveals no token.

use super::secrets::seal_key;
use crate::webcrypto::{hex, random, seal, unseal};
use labrelay_api::error::ApiError;
use sha2::{Digest, Sha256};
use worker::Env;

pub struct Minted {
    pub token: String,
    pub hash: String,
    /// `<key id>:<sealed>`.
    pub sealed: String,
}

/// A new random token (48 hex digits).
pub fn new_token() -> Result<String, ApiError> {
    Ok(hex(&random(24)?))
}

pub fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// A new API token with its hash and sealed copy.
pub async fn mint(env: &Env) -> Result<Minted, ApiError> {
    let token = new_token()?;
    let key = seal_key(env);
    let sealed = format!("{}:{}", key.id, seal(&key.key, token.as_bytes()).await?);
    Ok(Minted {
        hash: hash_token(&token),
        token,
        sealed,
    })
}

/// The token a sealed copy holds, if it was sealed under today's key.
pub async fn reveal(env: &Env, sealed: &str) -> Option<String> {
    let key = seal_key(env);
    let body = sealed.strip_prefix(&format!("{}:", key.id))?;
    String::from_utf8(unseal(&key.key, body).await?).ok()
}
