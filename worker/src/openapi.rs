//! `GET /api/v1/openapi.json`: the API's OpenAPI 3.1 document (`docs/openapi.json`, kept true
//! by xtask's tests and by schemathesis against the running worker). No token needed.

use crate::error::json_response;
use labrelay_api::error::ApiError;
use worker::{Method, Request, Response, Result};

/// Where the document is served (a trailing slash is optional, as everywhere).
pub const PATH: &str = "/api/v1/openapi.json";

const DOCUMENT: &str = include_str!("../../docs/openapi.json");

/// The document, when `req` asks for it; `None` for every other request.
pub fn route(req: &Request) -> Option<Result<Response>> {
    if req.path().trim_end_matches('/') != PATH {
        return None;
    }
    Some(match req.method() {
        Method::Get | Method::Head => json_response(200, DOCUMENT.as_bytes().to_vec()),
        _ => crate::error::respond(ApiError::MethodNotAllowed),
    })
}
