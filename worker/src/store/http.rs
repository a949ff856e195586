//! What a handler sees of a request (method, path segments, query pairs, body, caller) and
//! what it answers (`Reply`), turned into the `{timestamp, data[, links]}` envelope here.

use crate::body::MAX_BODY;
use crate::error::{json_response, now};
use labrelay_api::error::ApiError;
use labrelay_api::query::Links;
use labrelay_api::Id;
use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::{Method, Request, Response};

/// Who is calling.
#[derive(Clone, Copy, Debug)]
pub struct Caller {
    pub user_id: Id,
    pub admin: bool,
    /// May only read.
    pub readonly: bool,
}

pub struct Ctx {
    pub method: Method,
    pub query: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub bearer: Option<String>,
    pub path: String,
    /// The caller's view of the server: `https://host` (what links in webhook events start
    /// with).
    pub origin: String,
    /// The lab this object serves (`x-labrelay-lab` and `x-labrelay-incarnation`, set by the
    /// entry worker on every call).
    pub lab: labrelay_api::labs::LabRef,
    /// In a lab other than the default: who calls, as the entry worker checked it with the
    /// directory (`x-labrelay-caller`; the entry removes any a client sends).
    pub trusted: Option<labrelay_api::labs::Whois>,
}

impl Ctx {
    pub async fn read(mut req: Request) -> Result<Ctx, ApiError> {
        let url = req
            .url()
            .map_err(|e| ApiError::invalid(format!("bad URL: {e}")))?;
        let path = url.path().to_string();
        let origin = url.origin().ascii_serialization();
        let query = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let header = |name: &str| req.headers().get(name).ok().flatten();
        let bearer = header("authorization").and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim().to_string())
        });
        let lab = labrelay_api::labs::LabRef {
            name: header(crate::labs::LAB_HEADER)
                .filter(|l| labrelay_api::labs::valid_name(l))
                .unwrap_or_else(|| labrelay_api::labs::DEFAULT_LAB.to_string()),
            incarnation: header(crate::labs::INCARNATION_HEADER)
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
        };
        let trusted =
            header(crate::labs::CALLER_HEADER).and_then(|v| serde_json::from_str(&v).ok());
        let body = req
            .bytes()
            .await
            .map_err(|e| ApiError::invalid(format!("unreadable body: {e}")))?;
        if body.len() > MAX_BODY {
            return Err(ApiError::TooLarge(MAX_BODY));
        }
        Ok(Ctx {
            method: req.method(),
            query,
            body,
            bearer,
            path,
            origin,
            lab,
            trusted,
        })
    }

    /// The path's segments, without empty ones (so a trailing slash is optional).
    pub fn segments(&self) -> Vec<&str> {
        self.path.split('/').filter(|s| !s.is_empty()).collect()
    }

    /// The web address the lab's pages hang below: `https://host` or `https://host/labs/x`.
    pub fn lab_base(&self) -> String {
        if self.lab.is_default() {
            self.origin.clone()
        } else {
            format!("{}/labs/{}", self.origin, self.lab.name)
        }
    }

    /// Whether this object serves the default lab (and is the directory of users and labs).
    pub fn is_directory(&self) -> bool {
        self.lab.is_default()
    }

    /// The JSON body as `T`; an empty body (or `null`) reads as `{}` (every key optional).
    /// Anything but an object is refused: serde would read `[1,2]` as a struct's fields.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        let text = self.body.trim_ascii();
        let body = if text.is_empty() || text == b"null" {
            b"{}".as_slice()
        } else if text.starts_with(b"{") {
            text
        } else {
            return Err(ApiError::BadJson("expected a JSON object".into()));
        };
        serde_json::from_slice(body).map_err(|e| ApiError::BadJson(e.to_string()))
    }

    /// The JSON body as a list of `T` (CDRouter's stats take `[{"id": ...}]`); empty reads as
    /// `[]`, anything but an array is refused.
    pub fn json_list<T: DeserializeOwned>(&self) -> Result<Vec<T>, ApiError> {
        let text = self.body.trim_ascii();
        if text.is_empty() || text == b"null" {
            return Ok(Vec::new());
        }
        if !text.starts_with(b"[") {
            return Err(ApiError::BadJson("expected a JSON array".into()));
        }
        serde_json::from_slice(text).map_err(|e| ApiError::BadJson(e.to_string()))
    }

    pub fn param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// A path segment that must be an id.
pub fn parse_id(segment: &str, what: &'static str) -> Result<Id, ApiError> {
    match segment.parse::<u64>() {
        Ok(n) if n > 0 => Ok(Id(n)),
        _ => Err(ApiError::NotFound(what)),
    }
}

pub enum Reply {
    Json(Vec<u8>),
    /// Not JSON: its content type and bytes (a list as CSV, `system/info`'s text).
    Bytes(&'static str, Vec<u8>),
    NoContent,
}

#[derive(Serialize)]
struct DataOut<'a, T> {
    timestamp: labrelay_api::Timestamp,
    data: &'a T,
}

#[derive(Serialize)]
struct ListOut<'a, T> {
    timestamp: labrelay_api::Timestamp,
    data: &'a [T],
    links: &'a Links,
}

pub fn data<T: Serialize>(value: &T) -> Result<Reply, ApiError> {
    let out = DataOut {
        timestamp: now(),
        data: value,
    };
    serde_json::to_vec(&out)
        .map(Reply::Json)
        .map_err(|e| ApiError::Internal(e.to_string()))
}

pub fn list<T: Serialize>(items: &[T], links: &Links) -> Result<Reply, ApiError> {
    let out = ListOut {
        timestamp: now(),
        data: items,
        links,
    };
    serde_json::to_vec(&out)
        .map(Reply::Json)
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// A list's `?format=`: JSON (none, `json`) or `csv`; anything else is a 400.
pub fn wants_csv(ctx: &Ctx) -> Result<bool, ApiError> {
    match ctx.param("format") {
        None | Some("" | "json") => Ok(false),
        Some("csv") => Ok(true),
        Some(f) => Err(ApiError::invalid(format!(
            "invalid format \"{f}\": json or csv"
        ))),
    }
}

/// A list as CSV: its schema's fields as columns (`labrelay_api::csv`).
pub fn csv<T: Serialize>(
    items: &[T],
    schema: &labrelay_api::query::Schema,
) -> Result<Reply, ApiError> {
    let values = items
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let columns = labrelay_api::csv::columns(schema);
    Ok(Reply::Bytes(
        "text/csv; charset=utf-8",
        labrelay_api::csv::table(&columns, &values).into_bytes(),
    ))
}

impl Reply {
    pub fn into_response(self) -> worker::Result<Response> {
        match self {
            Reply::Json(body) => json_response(200, body),
            Reply::Bytes(content_type, body) => {
                let mut resp = Response::from_bytes(body)?;
                resp.headers_mut().set("content-type", content_type)?;
                resp.headers_mut()
                    .set("x-content-type-options", "nosniff")?;
                Ok(resp)
            }
            Reply::NoContent => Ok(Response::empty()?.with_status(204)),
        }
    }
}
