//! The worker entry: each request's row in the entry's route table (`table.rs`) is found and
//! run, first among the rows that need nothing (`/healthz`, the OpenAPI document), then, for an
//! API path, after the secrets check and the lab's routing, among the rows that need the lab
//! (signing in, result files); an API call with no row goes on to the store Durable Object,
//! anything else to the static assets (the app).

mod table;

use crate::body::{bodiless, bounded, declared_length, MAX_BODY};
use crate::error::respond;
use crate::routed::{find, query, Call, Needs, Routed};
use labrelay_api::error::ApiError;
use table::ROUTES;
use worker::{Env, Method, Request, Response, Result};

pub async fn route(req: Request, env: Env) -> Result<Response> {
    let path = req.path();
    let req = match run_row(req, Needs::Nothing, &path, &env, None).await {
        Routed::Done(answer) => return answer,
        Routed::Store(req) => req,
    };
    if !is_store_path(&path) {
        return env.assets("ASSETS")?.fetch_request(req).await;
    }
    if method(&req).is_none() {
        return respond(ApiError::MethodNotAllowed);
    }
    if !path.starts_with("/healthz/") {
        if let Err(e) = crate::signin::secrets::check(&env) {
            return respond(e);
        }
    }
    let to = match crate::labs::route(&req, &env).await {
        Ok(r) => r,
        Err(e) => return respond(e),
    };
    let req = match relabel(&req, &to.path, &to.target) {
        Ok(r) => r,
        Err(e) => return respond(e),
    };
    let req = match run_row(req, Needs::Lab, &to.path, &env, Some(&to.target)).await {
        Routed::Done(answer) => return answer,
        Routed::Store(req) => req,
    };
    if declared_length(&req).is_some_and(|n| n > MAX_BODY as u64) {
        return respond(ApiError::TooLarge(MAX_BODY));
    }
    let req = match bounded(req).await {
        Ok(r) => r,
        Err(e) => return respond(e),
    };
    let changes_labs = to.path.starts_with("/api/v1/labs") && req.method() != Method::Get;
    let answer = to.target.stub()?.fetch_with_request(req).await;
    if changes_labs {
        // A lab created, deleted or restored: this isolate's list of labs is stale.
        crate::labs::known::forget();
    }
    answer
}

/// The request's method; `None` for one the worker cannot read (QUERY, PROPFIND...), which
/// the worker crate reads as GET.
fn method(req: &Request) -> Option<Method> {
    let m = req.method();
    (m != Method::Get || req.inner().method() == "GET").then_some(m)
}

/// Runs the row of the route table that `needs` this, for `path`; with no row, the request
/// back.
async fn run_row(
    req: Request,
    needs: Needs,
    path: &str,
    env: &Env,
    lab: Option<&crate::labs::Target>,
) -> Routed {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let query = query(&req);
    match find(ROUTES, needs, method(&req).as_ref(), &segs, &query) {
        Some((row, at)) => (row.run)(req, Call::new(env, lab, &segs, &at)).await,
        None => Routed::Store(req),
    }
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
