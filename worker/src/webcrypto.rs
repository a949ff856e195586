//! The runtime's WebCrypto (native code, not wasm) from Rust: SHA-256, random bytes, PBKDF2
//! and AES-GCM. Used by the entry worker only (result files, signing in).

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use labrelay_api::error::ApiError;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// workerd refuses PBKDF2 above this many iterations in one call; more are run as a chain.
pub const PBKDF2_STEP: u32 = 100_000;

pub fn js_err(what: &str) -> impl Fn(JsValue) -> ApiError + '_ {
    move |e| {
        ApiError::Internal(format!(
            "{what}: {}",
            e.as_string().unwrap_or_else(|| format!("{e:?}"))
        ))
    }
}

pub fn crypto() -> Result<JsValue, ApiError> {
    Reflect::get(&js_sys::global(), &"crypto".into()).map_err(js_err("crypto"))
}

fn subtle() -> Result<JsValue, ApiError> {
    Reflect::get(&crypto()?, &"subtle".into()).map_err(js_err("crypto.subtle"))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

/// Calls `crypto.subtle.<name>(args...)` and awaits its promise.
async fn call(name: &str, args: &[JsValue]) -> Result<JsValue, ApiError> {
    let subtle = subtle()?;
    let f: Function = Reflect::get(&subtle, &name.into())
        .and_then(|f| f.dyn_into())
        .map_err(js_err(name))?;
    let args: Array = args.iter().collect();
    let promise: Promise = f
        .apply(&subtle, &args)
        .and_then(|p| p.dyn_into())
        .map_err(js_err(name))?;
    JsFuture::from(promise).await.map_err(js_err(name))
}

fn object(pairs: &[(&str, JsValue)]) -> Result<Object, ApiError> {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &(*k).into(), v).map_err(js_err("object"))?;
    }
    Ok(o)
}

fn usages(list: &[&str]) -> JsValue {
    list.iter()
        .map(|u| JsValue::from(*u))
        .collect::<Array>()
        .into()
}

/// The SHA-256 of `bytes`, hex.
pub async fn sha256(bytes: &[u8]) -> Result<String, ApiError> {
    let buf = call(
        "digest",
        &["SHA-256".into(), Uint8Array::from(bytes).into()],
    )
    .await?;
    Ok(hex(&Uint8Array::new(&buf).to_vec()))
}

/// `n` random bytes from the runtime's CSPRNG.
pub fn random(n: usize) -> Result<Vec<u8>, ApiError> {
    let mut bytes = vec![0u8; n];
    getrandom::getrandom(&mut bytes).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(bytes)
}

/// PBKDF2-HMAC-SHA256, 32 bytes, `rounds` iterations. Up to [`PBKDF2_STEP`] it is exactly
/// PBKDF2; above, it runs as a chain of steps of at most that many (each step's key is the
/// next step's password), since workerd caps one call: the same work, HMAC for HMAC.
pub async fn pbkdf2(password: &[u8], salt: &[u8], rounds: u32) -> Result<Vec<u8>, ApiError> {
    let mut input = password.to_vec();
    let mut left = rounds.max(1);
    while left > 0 {
        let step = left.min(PBKDF2_STEP);
        let key = call(
            "importKey",
            &[
                "raw".into(),
                Uint8Array::from(&input[..]).into(),
                "PBKDF2".into(),
                false.into(),
                usages(&["deriveBits"]),
            ],
        )
        .await?;
        let params = object(&[
            ("name", "PBKDF2".into()),
            ("hash", "SHA-256".into()),
            ("salt", Uint8Array::from(salt).into()),
            ("iterations", step.into()),
        ])?;
        let bits = call("deriveBits", &[params.into(), key, 256.into()]).await?;
        input = Uint8Array::new(&bits).to_vec();
        left -= step;
    }
    Ok(input)
}

async fn aes_key(secret: &[u8], usage: &str) -> Result<JsValue, ApiError> {
    call(
        "importKey",
        &[
            "raw".into(),
            Uint8Array::from(secret).into(),
            "AES-GCM".into(),
            false.into(),
            usages(&[usage]),
        ],
    )
    .await
}

/// AES-256-GCM of `plain` under `secret` (32 bytes): hex of nonce and ciphertext.
pub async fn seal(secret: &[u8], plain: &[u8]) -> Result<String, ApiError> {
    let iv = random(12)?;
    let params = object(&[
        ("name", "AES-GCM".into()),
        ("iv", Uint8Array::from(&iv[..]).into()),
    ])?;
    let key = aes_key(secret, "encrypt").await?;
    let out = call(
        "encrypt",
        &[params.into(), key, Uint8Array::from(plain).into()],
    )
    .await?;
    Ok(format!(
        "{}{}",
        hex(&iv),
        hex(&Uint8Array::new(&out).to_vec())
    ))
}

/// What [`seal`] sealed; `None` when it was sealed under another secret or is damaged.
pub async fn unseal(secret: &[u8], sealed: &str) -> Option<Vec<u8>> {
    let bytes = unhex(sealed)?;
    if bytes.len() < 12 + 16 {
        return None;
    }
    let (iv, data) = bytes.split_at(12);
    let params = object(&[
        ("name", "AES-GCM".into()),
        ("iv", Uint8Array::from(iv).into()),
    ])
    .ok()?;
    let key = aes_key(secret, "decrypt").await.ok()?;
    let out = call(
        "decrypt",
        &[params.into(), key, Uint8Array::from(data).into()],
    )
    .await
    .ok()?;
    Some(Uint8Array::new(&out).to_vec())
}
