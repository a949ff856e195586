//! JSON in and out of the browser's own reader and writer: a body becomes a JS value
//! (serde-wasm-bindgen) for `JSON.stringify`; an answer's text goes through `JSON.parse`,
//! and the wire types are read from that (`js_reader`). The app carries no JSON parser.

use super::{js_reader, Body, Error, Result};
use labrelay_api::{ErrorBody, ListEnvelope};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::JsValue;

/// A JSON body, written by the browser's own JSON writer (plain objects for maps, numbers
/// for integers: what `serde_json` would write).
pub(super) fn json<T: Serialize + ?Sized>(value: &T) -> Result<Body> {
    let unwritable = |e: &dyn std::fmt::Display| Error {
        status: 0,
        message: format!("The request could not be written: {e}."),
    };
    let v = value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| unwritable(&e))?;
    js_sys::JSON::stringify(&v)
        .map(|s| Body::Json(s.into()))
        .map_err(|_| unwritable(&"not JSON"))
}

fn unreadable(e: impl std::fmt::Display) -> Error {
    Error {
        status: 200,
        message: format!("The server's answer could not be read ({e})."),
    }
}

/// The answer's text as a JS value: the browser's own JSON reader, so the app carries none.
fn parse(text: &str) -> Result<JsValue> {
    js_sys::JSON::parse(text).map_err(|_| unreadable("it is not JSON"))
}

fn field(v: &JsValue, k: &str) -> JsValue {
    js_sys::Reflect::get(v, &JsValue::from_str(k)).unwrap_or_default()
}

fn read<T: DeserializeOwned>(v: JsValue) -> Result<T> {
    js_reader::read(v).map_err(unreadable)
}

pub(super) fn decode<T: DeserializeOwned>(text: &str) -> Result<T> {
    read(field(&parse(text)?, "data"))
}

pub(super) fn decode_list<T: DeserializeOwned>(text: &str) -> Result<ListEnvelope<T>> {
    let v = parse(text)?;
    Ok(ListEnvelope {
        data: read(field(&v, "data"))?,
        links: read(field(&v, "links"))?,
        timestamp: read(field(&v, "timestamp"))?,
    })
}

pub(super) fn error_text(text: &str) -> String {
    parse(text)
        .ok()
        .and_then(|v| read::<ErrorBody>(v).ok())
        .map(|b| b.error)
        .unwrap_or_default()
}
