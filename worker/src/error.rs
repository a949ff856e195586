//! The one place an `ApiError` becomes an HTTP response: its status and a
//! `{"timestamp", "error"}` JSON body.

use labrelay_api::error::ApiError;
use labrelay_api::{ErrorBody, Timestamp};
use worker::{Headers, Response};

pub fn now() -> Timestamp {
    Timestamp::from_millis(js_sys::Date::now())
}

/// What a 5xx says: the details (SQL, runtime messages) go to the log, never to the caller.
const INTERNAL: &str = "internal error: the server could not complete this request";

pub fn respond(err: ApiError) -> worker::Result<Response> {
    let status = err.status();
    if let ApiError::TooManyRequests { retry_after } = &err {
        let body = serde_json::to_vec(&ErrorBody {
            timestamp: Some(now()),
            error: err.to_string(),
        });
        let resp = json_response(status, body.unwrap_or_default())?;
        resp.headers()
            .set("retry-after", &retry_after.to_string())?;
        return Ok(resp);
    }
    if let ApiError::NotConfigured(_) = &err {
        let body = serde_json::to_vec(&ErrorBody {
            timestamp: Some(now()),
            error: err.to_string(),
        });
        return json_response(status, body.unwrap_or_default());
    }
    if status >= 500 {
        worker::console_error!("internal error: {err}");
        let body = serde_json::to_vec(&ErrorBody {
            timestamp: Some(now()),
            error: INTERNAL.into(),
        });
        return json_response(status, body.unwrap_or_default());
    }
    let body = match &err {
        // A log gap also says, as data, where the agent should resend from.
        ApiError::LogGap(next) => serde_json::to_vec(&serde_json::json!({
            "timestamp": now(),
            "error": err.to_string(),
            "data": labrelay_api::agents::LogAck { next_offset: *next },
        })),
        _ => serde_json::to_vec(&ErrorBody {
            timestamp: Some(now()),
            error: err.to_string(),
        }),
    };
    json_response(status, body.unwrap_or_default())
}

pub fn json_response(status: u16, body: Vec<u8>) -> worker::Result<Response> {
    let headers = Headers::new();
    headers.set("content-type", "application/json")?;
    headers.set("x-content-type-options", "nosniff")?;
    Ok(Response::from_bytes(body)?
        .with_status(status)
        .with_headers(headers))
}

/// A worker/runtime failure inside the store is an internal error with its message.
pub fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(e.to_string())
}
