//! The admin secrets the worker starts from, and the refusal to serve with weak ones: an empty
//! or local-default `ADMIN_PASSWORD`, or a short or default `ADMIN_TOKEN`, answer every API
//! call with 503 — unless `LABRELAY_DEV=1` (set only by `cargo xtask dev/serve/test`).

use labrelay_api::error::ApiError;
use labrelay_api::users::{DEV_ADMIN_PASSWORD, DEV_ADMIN_TOKEN};
use sha2::{Digest, Sha256};
use worker::Env;

/// The shortest admin password and standing token a deployment may use.
pub const MIN_ADMIN_PASSWORD: usize = 12;
pub const MIN_ADMIN_TOKEN: usize = 32;

/// A var or secret, "" when unset.
pub fn get(env: &Env, name: &str) -> String {
    env.secret(name)
        .map(|s| s.to_string())
        .or_else(|_| env.var(name).map(|v| v.to_string()))
        .unwrap_or_default()
}

fn dev(env: &Env) -> bool {
    get(env, "LABRELAY_DEV") == "1"
}

/// Whether the worker may serve the API with the secrets it has.
pub fn check(env: &Env) -> Result<(), ApiError> {
    if dev(env) {
        return Ok(());
    }
    let password = get(env, "ADMIN_PASSWORD");
    if password.is_empty() {
        return Err(ApiError::NotConfigured(
            "ADMIN_PASSWORD is not set (`wrangler secret put ADMIN_PASSWORD`)".into(),
        ));
    }
    if password == DEV_ADMIN_PASSWORD || password.chars().count() < MIN_ADMIN_PASSWORD {
        return Err(ApiError::NotConfigured(format!(
            "ADMIN_PASSWORD is the local default or shorter than {MIN_ADMIN_PASSWORD} characters"
        )));
    }
    let token = get(env, "ADMIN_TOKEN");
    if !token.is_empty() && (token == DEV_ADMIN_TOKEN || token.len() < MIN_ADMIN_TOKEN) {
        return Err(ApiError::NotConfigured(format!(
            "ADMIN_TOKEN is the local default or shorter than {MIN_ADMIN_TOKEN} characters \
             (leave it unset for no standing admin token)"
        )));
    }
    Ok(())
}

/// The key API tokens are sealed with (AES-256-GCM), and its id: `TOKEN_SEAL` when set, else
/// derived from the admin secrets. Changing it makes each user's next sign-in mint a new API
/// token (the store keeps a sealed token only while its id matches).
pub struct SealKey {
    pub key: [u8; 32],
    pub id: String,
}

pub fn seal_key(env: &Env) -> SealKey {
    let explicit = get(env, "TOKEN_SEAL");
    let secret = if explicit.is_empty() {
        format!(
            "{}\0{}",
            get(env, "ADMIN_PASSWORD"),
            get(env, "ADMIN_TOKEN")
        )
    } else {
        explicit
    };
    let key: [u8; 32] = Sha256::digest(format!("labrelay token seal\0{secret}").as_bytes()).into();
    let id = Sha256::digest(key);
    SealKey {
        key,
        id: crate::webcrypto::hex(&id[..6]),
    }
}
