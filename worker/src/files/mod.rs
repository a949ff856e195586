//! Result files, served by the entry worker: the bytes travel between the caller and R2 here,
//! never through the store object (which stays small and quick); the store says who may do
//! what and where each file is (`crate::internal`).
//!
//! | route | what |
//! |---|---|
//! | `PUT /api/v1/agent/jobs/{id}/files/{name}` | an agent sends a part of a file ([`upload`]) |
//! | `GET /api/v1/agent/jobs/{id}/files/{name}` | which parts the server has |
//! | `POST /api/v1/agent/jobs/{id}/files/` | many small files at once ([`batch`]) |
//! | `GET /api/v1/results/{id}/logdir/{name}` | download a file ([`download`]) |
//! | `GET /api/v1/results/{id}/logdir/?format=zip\|tgz` | the whole directory ([`archive`]) |
//! | `GET /api/v1/results/{id}/tests/{seq}/captures/{intf}/?format=cap` | a capture as pcap |
//! | `GET /api/v1/results/{id}/tests/{seq}/log` | a test's log, parsed ([`testlog`]) |
//! | `GET /api/v1/results/{id}/junit` | the run's JUnit XML ([`junit`]) |
//! | `GET /api/v1/results/{id}/metrics/{name}/{metric}` | a test's metric, parsed ([`metrics`]) |
//! | `GET /api/v1/results/{id}/tests/{seq}/metrics/{metric}` | the same, by the test's `seq` |
//!
//! Their rows are in the entry's route table (`entry/table.rs`), with the path's segments
//! percent-decoded; everything else goes on to the store.

pub mod archive;
pub mod batch;
mod digest;
pub mod download;
mod held;
pub mod junit;
pub mod metrics;
pub mod testlog;
pub mod upload;

use crate::error::json_response;
use crate::internal::{Locate, Located, LOCATE};
use crate::labs::Target;
use crate::store_call::{call, Refused};
use labrelay_api::error::ApiError;
use labrelay_api::Envelope;
use worker::{Request, Response};

fn param(req: &Request, key: &str) -> Option<String> {
    req.url()
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// A path segment that must be a positive number.
fn number(segment: &str, what: &'static str) -> Result<u64, ApiError> {
    segment
        .parse::<u64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or(ApiError::NotFound(what))
}

fn bucket(to: &Target) -> Result<worker::Bucket, ApiError> {
    to.env
        .bucket("RESULTS")
        .map_err(|e| ApiError::Internal(format!("the RESULTS bucket is not bound: {e}")))
}

fn bearer(req: &Request) -> Option<String> {
    req.headers().get("authorization").ok().flatten()
}

/// `{timestamp, data}`: a 200 answer of `value`.
fn data<T: serde::Serialize>(value: &T) -> Result<Response, Refused> {
    let body = serde_json::to_vec(&Envelope {
        timestamp: crate::error::now(),
        data: value,
    })
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    json_response(200, body).map_err(|e| Refused::Error(ApiError::Internal(e.to_string())))
}

fn r2(e: worker::Error) -> ApiError {
    ApiError::Internal(format!("R2: {e}"))
}

/// Where the store says a result's file is (and that the caller, by its token, may have it).
async fn locate(req: &Request, to: &Target, file: &Locate) -> Result<Located, Refused> {
    call(to, LOCATE, bearer(req).as_deref(), file).await
}

/// A result file's object in R2; "no such `what`" when it is not there.
async fn object(to: &Target, key: &str, what: &'static str) -> Result<worker::Object, ApiError> {
    bucket(to)?
        .get(key.to_string())
        .execute()
        .await
        .map_err(r2)?
        .ok_or(ApiError::NotFound(what))
}
