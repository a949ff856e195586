//! Downloads of single files: a result directory's file by name, a test's capture as pcap.
//! The store says where the bytes are (and that the caller may have them); R2 streams them
//! to the caller without passing through wasm.

use super::{locate, number, object, r2};
use crate::internal::{Locate, Located};
use crate::labs::Target;
use crate::store_call::Refused;
use labrelay_api::error::ApiError;
use labrelay_api::results::content_disposition;
use worker::{Headers, Request, Response};

/// What a browser should take a file for.
pub fn content_type(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    match ext {
        "txt" | "log" | "conf" => "text/plain; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "cap" | "pcap" => "application/vnd.tcpdump.pcap",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}

/// Streams a located file with its name, length and checksum.
pub async fn stream(to: &Target, file: &Located, content_type: &str) -> Result<Response, Refused> {
    let obj = object(to, &file.key, "file").await?;
    let body = obj
        .body()
        .ok_or(ApiError::NotFound("file"))?
        .response_body()
        .map_err(r2)?;
    let headers = Headers::new();
    let set = |k: &str, v: &str| headers.set(k, v).map_err(r2);
    set("content-type", content_type)?;
    set("content-length", &file.size.to_string())?;
    set("content-disposition", &content_disposition(&file.name))?;
    set("x-content-type-options", "nosniff")?;
    set("etag", &format!("\"{}\"", file.sha256))?;
    set("x-checksum-sha256", &file.sha256)?;
    Ok(Response::from_body(body).map_err(r2)?.with_headers(headers))
}

pub async fn file(
    req: &Request,
    to: &Target,
    result: &str,
    name: &str,
) -> Result<Response, Refused> {
    let file = Locate {
        result: number(result, "result")?,
        name: Some(name.to_string()),
        ..Locate::default()
    };
    let located = locate(req, to, &file).await?;
    let ct = content_type(&located.name);
    stream(to, &located, ct).await
}

pub async fn capture(
    req: &Request,
    to: &Target,
    result: &str,
    seq: &str,
    interface: &str,
) -> Result<Response, Refused> {
    let capture = Locate {
        result: number(result, "result")?,
        seq: Some(number(seq, "test")?),
        interface: Some(interface.to_string()),
        ..Locate::default()
    };
    let located = locate(req, to, &capture).await?;
    stream(to, &located, "application/vnd.tcpdump.pcap").await
}
