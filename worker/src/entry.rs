//! The route table of the worker entry: signing in and passwords (`crate::signin`), result
//! files (`crate::files`, the bytes between the caller and R2), the store Durable Object
//! (every other API call), static assets (the app).

use crate::body::{bodiless, bounded, declared_length, MAX_BODY};
use crate::error::respond;
use crate::routed::Routed;
use labrelay_api::error::ApiError;
use worker::{Env, Method, Request, Response, Result};

pub async fn route(req: Request, env: Env) -> Result<Response> {
    let path = req.path();
    if path == "/healthz" {
        // Answered by the entry itself: the baseline for what the hop to the store costs.
        return Response::ok("hello");
    }
    if let Some(name) = path.strip_prefix("/healthz/put/") {
        return bench_put(req, &env, name).await;
    }
    if is_store_path(&path) && req.method() == Method::Get && req.inner().method() != "GET" {
        // The worker crate reads a method it does not know (QUERY, PROPFIND...) as GET.
        return respond(ApiError::MethodNotAllowed);
    }
    if let Some(answer) = crate::openapi::route(&req) {
        return answer;
    }
    if is_store_path(&path) {
        if !path.starts_with("/healthz/") {
            if let Err(e) = crate::signin::secrets::check(&env) {
                return respond(e);
            }
        }
        let routed = match crate::labs::route(&req, &env).await {
            Ok(r) => r,
            Err(e) => return respond(e),
        };
        let req = match relabel(&req, &routed.path, &routed.target) {
            Ok(r) => r,
            Err(e) => return respond(e),
        };
        let req = match crate::signin::route(req, &env).await {
            Routed::Done(answer) => return answer,
            Routed::Store(req) => req,
        };
        let req = match crate::files::route(req, &routed.target).await {
            Routed::Done(answer) => return answer,
            Routed::Store(req) => req,
        };
        if declared_length(&req).is_some_and(|n| n > MAX_BODY) {
            return respond(ApiError::TooLarge(MAX_BODY));
        }
        let req = match bounded(req).await {
            Ok(r) => r,
            Err(e) => return respond(e),
        };
        let changes_labs = routed.path.starts_with("/api/v1/labs") && req.method() != Method::Get;
        let answer = routed.target.stub()?.fetch_with_request(req).await;
        if changes_labs {
            // A lab created, deleted or restored: this isolate's list of labs is stale.
            crate::labs::known::forget();
        }
        return answer;
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

/// The request as its object sees it: the path without any `/labs/{lab}` prefix, and the
/// lab (and trusted caller) headers set by the entry alone. The body is passed on unread.
fn relabel(
    req: &Request,
    path: &str,
    target: &crate::labs::Target,
) -> std::result::Result<Request, ApiError> {
    let bad = |e: worker::Error| ApiError::Internal(e.to_string());
    let mut url = req
        .url()
        .map_err(|e| ApiError::invalid(format!("bad URL: {e}")))?;
    url.set_path(path);
    let headers = req.headers().clone();
    target.mark(&headers).map_err(bad)?;
    let mut init = worker::RequestInit::new();
    init.with_method(req.method()).with_headers(headers);
    // A GET or HEAD may arrive with a body, but no Request may be built with one: it is
    // dropped (no route reads it).
    if let Some(body) = req.inner().body().filter(|_| !bodiless(&req.method())) {
        init.with_body(Some(body.into()));
    }
    Request::new_with_init(url.as_str(), &init).map_err(bad)
}

fn is_store_path(path: &str) -> bool {
    // `/labs/{lab}/...`: judged by what follows the lab (a bad lab name is then a 404).
    let inner = path
        .strip_prefix("/labs/")
        .and_then(|rest| rest.split_once('/'))
        .map(|(_, inner)| format!("/{inner}"));
    let path = inner.as_deref().unwrap_or(path);
    path.starts_with("/api/")
        || path == "/api"
        || path.trim_end_matches('/') == "/authenticate"
        || path.starts_with("/healthz/")
}
