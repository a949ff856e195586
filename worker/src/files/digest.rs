//! SHA-256 by the runtime's own WebCrypto (native code, not wasm): of a part in memory
//! (`crypto.subtle.digest`), and of a whole R2 object as it streams by (`crypto.DigestStream`,
//! a Workers extension), so verifying a 1 GiB file costs neither memory nor wasm CPU.

use js_sys::{Function, Promise, Reflect, Uint8Array};
use labrelay_api::error::ApiError;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

pub use crate::webcrypto::sha256;
use crate::webcrypto::{crypto, hex, js_err};

/// The SHA-256 of everything `stream` (a JS `ReadableStream`) yields, hex.
pub async fn sha256_of_stream(stream: &web_sys::ReadableStream) -> Result<String, ApiError> {
    let ctor: Function = Reflect::get(&crypto()?, &"DigestStream".into())
        .and_then(|f| f.dyn_into())
        .map_err(js_err("crypto.DigestStream"))?;
    let args = js_sys::Array::of1(&"SHA-256".into());
    let sink = Reflect::construct(&ctor, &args).map_err(js_err("new DigestStream"))?;
    let digest: Promise = Reflect::get(&sink, &"digest".into())
        .and_then(|p| p.dyn_into())
        .map_err(js_err("DigestStream.digest"))?;
    let pipe_to: Function = Reflect::get(stream, &"pipeTo".into())
        .and_then(|f| f.dyn_into())
        .map_err(js_err("pipeTo"))?;
    let piped: Promise = pipe_to
        .call1(stream, &sink)
        .and_then(|p| p.dyn_into())
        .map_err(js_err("pipeTo"))?;
    JsFuture::from(piped).await.map_err(js_err("pipeTo"))?;
    let buf = JsFuture::from(digest).await.map_err(js_err("digest"))?;
    Ok(hex(&Uint8Array::new(&buf).to_vec()))
}
