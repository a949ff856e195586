//! Calls from the entry to the store object on its `/internal/...` paths, with the caller's
//! own `Authorization`: the store authenticates and answers as for any API call, so its
//! error answers (401, 404, 409, 413...) are passed on as they are.

use crate::labs::Target;
use labrelay_api::error::ApiError;
use labrelay_api::Envelope;
use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::{Headers, Method, Request, RequestInit, Response};

/// The store said no: its answer, to pass on.
pub enum Refused {
    Answer(Response),
    Error(ApiError),
}

impl From<ApiError> for Refused {
    fn from(e: ApiError) -> Refused {
        Refused::Error(e)
    }
}

impl From<Refused> for ApiError {
    fn from(r: Refused) -> ApiError {
        match r {
            Refused::Error(e) => e,
            // Only used where the answer cannot be passed on whole.
            Refused::Answer(_) => ApiError::Internal("the store refused".into()),
        }
    }
}

pub async fn call<B: Serialize, T: DeserializeOwned>(
    to: &Target,
    path: &str,
    bearer: Option<&str>,
    body: &B,
) -> Result<T, Refused> {
    let internal = |e: worker::Error| Refused::Error(ApiError::Internal(e.to_string()));
    let headers = Headers::new();
    headers
        .set("content-type", "application/json")
        .map_err(internal)?;
    if let Some(b) = bearer {
        headers.set("authorization", b).map_err(internal)?;
    }
    to.mark(&headers).map_err(internal)?;
    let json = serde_json::to_string(body)
        .map_err(|e| Refused::Error(ApiError::Internal(e.to_string())))?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(json.into()));
    let req = Request::new_with_init(&format!("https://store{path}"), &init).map_err(internal)?;
    let mut resp = to
        .stub()
        .map_err(internal)?
        .fetch_with_request(req)
        .await
        .map_err(internal)?;
    if resp.status_code() >= 300 {
        return Err(Refused::Answer(resp));
    }
    let bytes = resp.bytes().await.map_err(internal)?;
    serde_json::from_slice::<Envelope<T>>(&bytes)
        .map(|e| e.data)
        .map_err(|e| Refused::Error(ApiError::Internal(format!("store answer: {e}"))))
}

/// A refusal as the response to send.
pub fn answer(r: Refused) -> worker::Result<Response> {
    match r {
        Refused::Answer(resp) => Ok(resp),
        Refused::Error(e) => crate::error::respond(e),
    }
}
