//! Request bodies in the entry worker: read at most `MAX_BODY` bytes however they are sent
//! (413 past it), and a request rebuilt with its body, for the store.

use futures::StreamExt;
use labrelay_api::error::ApiError;
use worker::{ByteStream, Request};

/// The largest request body the API accepts (1 MiB); bigger ones get 413.
pub const MAX_BODY: usize = 1 << 20;

/// The request with its body read here, at most `MAX_BODY` bytes (a chunked body with no
/// length is counted as it comes): the store never holds more than that of any request.
pub async fn bounded(mut req: Request) -> std::result::Result<Request, ApiError> {
    if matches!(
        req.method(),
        worker::Method::Get
            | worker::Method::Head
            | worker::Method::Delete
            | worker::Method::Options
    ) {
        return Ok(req);
    }
    let body = read_body(&mut req).await?;
    with_body(&req, &body)
}

/// The body, at most `MAX_BODY` bytes (413 past that, however it is sent).
pub async fn read_body(req: &mut Request) -> std::result::Result<Vec<u8>, ApiError> {
    if declared_length(req).is_some_and(|n| n > MAX_BODY as u64) {
        return Err(ApiError::TooLarge(MAX_BODY));
    }
    let Ok(stream) = req.stream() else {
        // No body at all.
        return Ok(Vec::new());
    };
    collect(stream, MAX_BODY as u64, || ApiError::TooLarge(MAX_BODY)).await
}

/// A body's bytes as they come, refused with `too_long()` as soon as they pass `limit`
/// (more is never buffered).
pub async fn collect(
    mut stream: ByteStream,
    limit: u64,
    too_long: impl Fn() -> ApiError,
) -> std::result::Result<Vec<u8>, ApiError> {
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::invalid(format!("unreadable body: {e}")))?;
        if body.len() as u64 + chunk.len() as u64 > limit {
            return Err(too_long());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A copy of `req` (method, URL, headers) with this body.
pub fn with_body(req: &Request, body: &[u8]) -> std::result::Result<Request, ApiError> {
    let url = req
        .url()
        .map_err(|e| ApiError::invalid(format!("bad URL: {e}")))?;
    let mut init = worker::RequestInit::new();
    init.with_method(req.method())
        .with_headers(req.headers().clone());
    if !bodiless(&req.method()) {
        init.with_body(Some(js_sys::Uint8Array::from(body).into()));
    }
    Request::new_with_init(url.as_str(), &init).map_err(|e| ApiError::Internal(e.to_string()))
}

/// Methods whose requests may not carry a body once rebuilt.
pub fn bodiless(method: &worker::Method) -> bool {
    matches!(method, worker::Method::Get | worker::Method::Head)
}

/// The body's length as the request declares it (`content-length`).
pub fn declared_length(req: &Request) -> Option<u64> {
    req.headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.parse().ok())
}
