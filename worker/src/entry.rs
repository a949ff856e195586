//! The route table of the worker entry: result files (`crate::files`, the bytes between the
//! caller and R2), the store Durable Object (every other API call), static assets (the app).

use crate::error::respond;
use labrelay_api::error::ApiError;
use worker::{Env, Request, Response, Result};

/// The largest request body the API accepts (1 MiB); bigger ones get 413.
pub const MAX_BODY: usize = 1 << 20;

/// The one Durable Object every API request is served by.
const STORE_NAME: &str = "labrelay";

pub async fn route(req: Request, env: Env) -> Result<Response> {
    let path = req.path();
    if path == "/healthz" {
        // Answered by the entry itself: the baseline for what the hop to the store costs.
        return Response::ok("hello");
    }
    if let Some(name) = path.strip_prefix("/healthz/put/") {
        return bench_put(req, &env, name).await;
    }
    if is_store_path(&path) {
        let req = match crate::files::route(req, &env).await {
            crate::files::Routed::Done(answer) => return answer,
            crate::files::Routed::Store(req) => req,
        };
        if declared_length(&req).is_some_and(|n| n > MAX_BODY) {
            return respond(ApiError::TooLarge(MAX_BODY));
        }
        return store_stub(&env)?.fetch_with_request(req).await;
    }
    env.assets("ASSETS")?.fetch_request(req).await
}

/// `PUT /healthz/put/{name}`: the body straight into R2, nothing checked, no store: the
/// baseline of `cargo xtask bench results`. Exists only when the worker runs with
/// `BENCH_ENDPOINTS=1` (never set in wrangler.toml).
async fn bench_put(mut req: Request, env: &Env, name: &str) -> Result<Response> {
    let enabled = env
        .var("BENCH_ENDPOINTS")
        .map(|v| v.to_string() == "1")
        .unwrap_or(false);
    if !enabled || req.method() != worker::Method::Put {
        return respond(ApiError::NoRoute);
    }
    let body = req.bytes().await?;
    let len = body.len();
    env.bucket("RESULTS")?
        .put(format!("bench/{name}"), body)
        .execute()
        .await?;
    Response::ok(len.to_string())
}

/// The store object.
pub fn store_stub(env: &Env) -> Result<worker::Stub> {
    env.durable_object("STORE")?
        .id_from_name(STORE_NAME)?
        .get_stub()
}

fn is_store_path(path: &str) -> bool {
    path.starts_with("/api/")
        || path == "/api"
        || path.trim_end_matches('/') == "/authenticate"
        || path.starts_with("/healthz/")
}

fn declared_length(req: &Request) -> Option<usize> {
    req.headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.parse().ok())
}
