//! `GET /api/v1/results/{id}/tests/{seq}/log`: a test's log, parsed as CDRouter's `list_log`
//! answers it (`labrelay_api::logview`), or as plain text with `format=text`. The log is read
//! from R2 and parsed here, in the entry, never in the store; logs past [`MAX_PARSED`] are
//! for download only.

use super::{data, number, object, r2};
use crate::internal::Locate;
use crate::labs::Target;
use crate::store_call::Refused;
use labrelay_api::error::ApiError;
use labrelay_api::logview;
use std::rc::Rc;
use worker::{Request, Response};

/// The largest log parsed into lines (real test logs run to a few hundred KB).
const MAX_PARSED: u64 = 32 << 20;
/// Logs kept in this isolate between requests (paging through one log reads it once). R2
/// keys name a file's content (its SHA-256 is in the key), so a kept copy is never stale.
const CACHE_BYTES: usize = 32 << 20;

thread_local! {
    static CACHE: std::cell::RefCell<(usize, std::collections::HashMap<String, Rc<String>>)> =
        std::cell::RefCell::new((0, std::collections::HashMap::new()));
}

fn cached(key: &str) -> Option<Rc<String>> {
    CACHE.with(|c| c.borrow().1.get(key).cloned())
}

fn keep(key: &str, text: Rc<String>) {
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.0 + text.len() > CACHE_BYTES {
            c.1.clear();
            c.0 = 0;
        }
        c.0 += text.len();
        c.1.insert(key.to_string(), text);
    });
}

pub async fn list(
    req: &Request,
    to: &Target,
    result: &str,
    seq: &str,
) -> Result<Response, Refused> {
    let result = number(result, "result")?;
    let seq = number(seq, "test")?;
    let params = crate::routed::query(req);
    let format = params
        .iter()
        .find(|(k, _)| k == "format")
        .map_or("json", |(_, v)| v.as_str());
    if !matches!(format, "json" | "text" | "") {
        return Err(ApiError::invalid(format!("invalid format \"{format}\": json or text")).into());
    }
    // Bad parameters are a 400 before anything is fetched.
    logview::list_log("", &params).map_err(ApiError::Query)?;
    let text = read(req, to, result, seq).await?;
    if format == "text" {
        let mut resp =
            Response::ok(text.as_str()).map_err(|e| ApiError::Internal(e.to_string()))?;
        let _ = resp.headers_mut().set("x-content-type-options", "nosniff");
        return Ok(resp);
    }
    data(&logview::list_log(&text, &params).map_err(ApiError::Query)?)
}

/// The test's log as text: kept in this isolate, or read from R2. A test whose log has not
/// arrived yet (it is still running) has an empty log.
async fn read(req: &Request, to: &Target, result: u64, seq: u64) -> Result<Rc<String>, Refused> {
    let locate = Locate {
        result,
        seq: Some(seq),
        ..Locate::default()
    };
    let file = match super::locate(req, to, &locate).await {
        Ok(file) => file,
        Err(Refused::Answer(mut resp)) if resp.status_code() == 404 => {
            let body = resp.text().await.unwrap_or_default();
            if body.contains("no such log") {
                return Ok(Rc::new(String::new()));
            }
            return Err(Refused::Error(not_found_from(&body)));
        }
        Err(e) => return Err(e),
    };
    if let Some(text) = cached(&file.key) {
        return Ok(text);
    }
    if file.size > MAX_PARSED {
        return Err(ApiError::invalid(format!(
            "{} is {} bytes, too long to list: download it from logdir/",
            file.name, file.size
        ))
        .into());
    }
    let obj = object(to, &file.key, "log").await?;
    let bytes = obj
        .body()
        .ok_or(ApiError::NotFound("log"))?
        .bytes()
        .await
        .map_err(r2)?;
    let text = Rc::new(String::from_utf8_lossy(&bytes).into_owned());
    keep(&file.key, text.clone());
    Ok(text)
}

/// The store's 404 message, as the error to answer with.
fn not_found_from(body: &str) -> ApiError {
    let msg = serde_json::from_str::<labrelay_api::ErrorBody>(body)
        .map(|e| e.error)
        .unwrap_or_default();
    match msg.as_str() {
        "no such result" => ApiError::NotFound("result"),
        "no such test" => ApiError::NotFound("test"),
        _ => ApiError::NotFound("log"),
    }
}
