//! Result files, served by the entry worker: the bytes travel between the caller and R2 here,
//! never through the store object (which stays small and quick); the store says who may do
//! what and where each file is (`crate::internal`).
//!
//! | route | what |
//! |---|---|
//! | `PUT /api/v1/agent/jobs/{id}/files/{name}` | an agent sends a part of a file ([`upload`]) |
//! | `GET /api/v1/agent/jobs/{id}/files/{name}` | which parts the server has |
//! | `POST /api/v1/agent/jobs/{id}/files/` | many small files at once |
//! | `GET /api/v1/results/{id}/logdir/{name}` | download a file ([`download`]) |
//! | `GET /api/v1/results/{id}/logdir/?format=zip\|tgz` | the whole directory ([`archive`]) |
//! | `GET /api/v1/results/{id}/tests/{seq}/captures/{intf}/?format=cap` | a capture as pcap |
//! | `GET /api/v1/results/{id}/tests/{seq}/log` | a test's log, parsed ([`testlog`]) |
//!
//! Everything else goes on to the store.

mod archive;
mod digest;
mod download;

mod testlog;
mod upload;

use crate::labs::Target;
use crate::store_call::{answer, Refused};
use labrelay_api::error::ApiError;
use worker::{Method, Request, Response};

pub use crate::routed::Routed;

fn param(req: &Request, key: &str) -> Option<String> {
    req.url()
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// The path's segments after `/api/v1/`, percent-decoded.
fn segments(req: &Request) -> Vec<String> {
    let Ok(url) = req.url() else {
        return Vec::new();
    };
    let Some(rest) = url.path().strip_prefix("/api/v1/") else {
        return Vec::new();
    };
    rest.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect()
}

pub async fn route(req: Request, to: &Target) -> Routed {
    let seg = segments(&req);
    let seg: Vec<&str> = seg.iter().map(String::as_str).collect();
    let method = req.method();
    let format = param(&req, "format");
    let done = |r: Result<Response, Refused>| Routed::Done(r.or_else(answer));
    match (seg.as_slice(), method) {
        (["agent", "jobs", job, "files", name], Method::Put) => {
            done(upload::put_part(req, to, job, name).await)
        }
        (["agent", "jobs", job, "files"], Method::Post) => {
            done(upload::put_batch(req, to, job).await)
        }
        (["agent", "jobs", job, "files", name], Method::Get) => {
            done(upload::state(&req, to, job, name).await)
        }
        (["results", id, "logdir", name], Method::Get) => {
            done(download::file(&req, to, id, name).await)
        }
        (["results", id, "logdir"], Method::Get) if format.is_some() => {
            done(archive::download(&req, to, id, format.as_deref().unwrap_or("")).await)
        }
        (["results", id, "tests", seq, "captures", intf], Method::Get)
            if format.as_deref() == Some("cap") =>
        {
            done(download::capture(&req, to, id, seq, intf).await)
        }
        (["results", id, "tests", seq, "log"], Method::Get) => {
            done(testlog::list(&req, to, id, seq).await)
        }
        _ => Routed::Store(req),
    }
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
