//! `GET /api/v1/openapi.json`: the API's OpenAPI 3.1 document (`docs/openapi.json`, kept true
//! by xtask's tests and by schemathesis against the running worker). No token needed; its rows
//! are in the entry's route table (`entry/table.rs`).

use crate::error::json_response;
use worker::{Response, Result};

const DOCUMENT: &str = include_str!("../../docs/openapi.json");

/// The document, as JSON.
pub fn document() -> Result<Response> {
    json_response(200, DOCUMENT.as_bytes().to_vec())
}
