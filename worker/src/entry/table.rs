//! The entry worker's route table: the one place a route the entry answers itself is named.
//! A row is `METHOD "path", Needs => handler;` — the method (`ANY`: every method, one the
//! worker cannot read too), the path pattern (`{x}` one segment; `?k` / `?k=v` the query switch
//! that selects the row: the first row that matches wins) and what the row needs
//! (`routed::Needs`: `Nothing`, looked for first on the request's own path; `Lab`, looked for
//! after the secrets check and the lab's routing, with the lab). `entry.rs` finds the row and
//! runs it; a request with no row goes on to the store (or, off the API, to the app's assets).
//! xtask's OpenAPI test reads these rows to check `docs/openapi.json`.

use crate::error::respond;
use crate::files::{archive, batch, download, junit, metrics, testlog, upload};
use crate::routed::Needs::{Lab, Nothing};
use crate::routed::{Pending, Route, Routed};
use crate::signin;
use crate::store_call::Refused;
use labrelay_api::error::ApiError;
use std::future::Future;
use worker::{Env, Method, Request, Response, Result};

macro_rules! routes {
    ($( $m:ident $path:expr, $needs:ident => $run:expr; )*) => {
        &[$( Route {
            method: crate::path_pattern::method!($m),
            path: $path,
            needs: $needs,
            run: $run,
        } ),*]
    };
}

/// An answer made here.
fn done<'a>(answer: impl Future<Output = Result<Response>> + 'a) -> Pending<'a> {
    Box::pin(async move { Routed::Done(answer.await) })
}

/// An answer made with the store's help: its refusals are passed on as it gave them.
fn answer<'a>(
    answer: impl Future<Output = std::result::Result<Response, Refused>> + 'a,
) -> Pending<'a> {
    Box::pin(async move { Routed::Done(answer.await.or_else(crate::store_call::answer)) })
}

/// Served here, not with this method.
fn refused<'a>() -> Pending<'a> {
    done(async { respond(ApiError::MethodNotAllowed) })
}

#[rustfmt::skip]
pub static ROUTES: &[Route] = routes! {
    // Answered by the entry itself: the baseline for what the hop to the store costs.
    ANY "/healthz", Nothing => |_, _| done(async { Response::ok("hello") });
    ANY "/healthz/put/{name}", Nothing => |req, c| done(bench_put(req, c.env, c.at(0)));
    // The API's document (`crate::openapi`), no token needed.
    GET "/api/v1/openapi.json", Nothing => |_, _| done(async { crate::openapi::document() });
    HEAD "/api/v1/openapi.json", Nothing => |_, _| done(async { crate::openapi::document() });
    ANY "/api/v1/openapi.json", Nothing => |_, _| refused();
    // Signing in and passwords (`crate::signin`): the PBKDF2 work runs here, not in the store.
    POST "/authenticate", Lab => |req, c| answer(signin::authenticate(req, c.env));
    ANY "/authenticate", Lab => |_, _| refused();
    POST "/api/v1/users", Lab => |req, c| answer(signin::create(req, c.env));
    POST "/api/v1/users/{id}/password", Lab => |req, c| answer(signin::change_password(req, c.env, c.at(0)));
    POST "/api/v1/users/{id}/token", Lab => |req, c| answer(signin::change_token(req, c.env, c.at(0)));
    // A password set here first; the rest of the edit goes on to the store.
    PATCH "/api/v1/users/{id}", Lab => |req, c| Box::pin(signin::edit(req, c.env, c.at(0)));
    PUT "/api/v1/users/{id}", Lab => |req, c| Box::pin(signin::edit(req, c.env, c.at(0)));
    // Result files (`crate::files`): the bytes between the caller and R2, names percent-decoded.
    PUT "/api/v1/agent/jobs/{id}/files/{name}", Lab => |req, c| answer(async move { upload::put_part(req, c.lab()?, &c.decoded(0), &c.decoded(1)).await });
    POST "/api/v1/agent/jobs/{id}/files", Lab => |req, c| answer(async move { batch::put_batch(req, c.lab()?, &c.decoded(0)).await });
    GET "/api/v1/agent/jobs/{id}/files/{name}", Lab => |req, c| answer(async move { upload::state(&req, c.lab()?, &c.decoded(0), &c.decoded(1)).await });
    GET "/api/v1/results/{id}/logdir/{name}", Lab => |req, c| answer(async move { download::file(&req, c.lab()?, &c.decoded(0), &c.decoded(1)).await });
    GET "/api/v1/results/{id}/logdir?format", Lab => |req, c| answer(async move { archive::download(&req, c.lab()?, &c.decoded(0)).await });
    GET "/api/v1/results/{id}/tests/{seq}/captures/{intf}?format=cap", Lab => |req, c| answer(async move { download::capture(&req, c.lab()?, &c.decoded(0), &c.decoded(1), &c.decoded(2)).await });
    GET "/api/v1/results/{id}/junit", Lab => |req, c| answer(async move { junit::junit(&req, c.lab()?, &c.decoded(0)).await });
    GET "/api/v1/results/{id}/tests/{seq}/log", Lab => |req, c| answer(async move { testlog::list(&req, c.lab()?, &c.decoded(0), &c.decoded(1)).await });
    GET "/api/v1/results/{id}/metrics/{name}/{metric}", Lab => |req, c| answer(async move { metrics::by_name(&req, c.lab()?, &c.decoded(0), &c.decoded(1), &c.decoded(2)).await });
    GET "/api/v1/results/{id}/tests/{seq}/metrics/{metric}", Lab => |req, c| answer(async move { metrics::by_test(&req, c.lab()?, &c.decoded(0), &c.decoded(1), &c.decoded(2)).await });
};

/// `PUT /healthz/put/{name}`: the body straight into R2, nothing checked, no store: the
/// baseline of `cargo xtask bench results`. Exists only when the worker runs with
/// `BENCH_ENDPOINTS=1` (never set in wrangler.toml).
async fn bench_put(mut req: Request, env: &Env, name: &str) -> Result<Response> {
    let enabled = env
        .var("BENCH_ENDPOINTS")
        .map(|v| v.to_string() == "1")
        .unwrap_or(false);
    if !enabled || req.method() != Method::Put {
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

#[cfg(test)]
mod tests {
    use super::ROUTES;
    use crate::routed::{find, Needs, Route};
    use worker::Method;

    /// The row for a method (`None`: one the worker cannot read), a needs and a path with its
    /// query, and its `{x}` values.
    fn row(needs: Needs, m: Option<Method>, url: &str) -> Option<(&'static Route, Vec<String>)> {
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let query: Vec<(String, String)> = query
            .split('&')
            .filter(|q| !q.is_empty())
            .map(|q| q.split_once('=').unwrap_or((q, "")))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        find(ROUTES, needs, m.as_ref(), &segs, &query)
            .map(|(r, at)| (r, at.iter().map(|i| segs[*i].to_string()).collect()))
    }

    fn lab(m: Method, url: &str) -> Option<&'static str> {
        row(Needs::Lab, Some(m), url).map(|r| r.0.path)
    }

    fn first(m: Option<Method>, url: &str) -> Option<&'static Route> {
        row(Needs::Nothing, m, url).map(|r| r.0)
    }

    #[test]
    fn files_rows_take_their_segments_and_switches() {
        let (put, at) = row(
            Needs::Lab,
            Some(Method::Put),
            "/api/v1/agent/jobs/7/files/a%20b",
        )
        .unwrap();
        assert_eq!(put.path, "/api/v1/agent/jobs/{id}/files/{name}");
        assert_eq!(at, ["7", "a%20b"]);
        let batch = "/api/v1/agent/jobs/{id}/files";
        assert_eq!(
            lab(Method::Post, "/api/v1/agent/jobs/7/files/"),
            Some(batch)
        );
        // The whole directory only with `?format=`; without it the store lists the directory.
        let (logdir, archive) = (
            "/api/v1/results/3/logdir",
            "/api/v1/results/{id}/logdir?format",
        );
        assert_eq!(
            lab(Method::Get, &format!("{logdir}?format=zip")),
            Some(archive)
        );
        assert_eq!(
            lab(Method::Get, &format!("{logdir}/?a=1&format=")),
            Some(archive)
        );
        assert_eq!(lab(Method::Get, logdir), None);
        let cap = "/api/v1/results/3/tests/2/captures/lan";
        assert!(lab(Method::Get, &format!("{cap}?format=cap")).is_some());
        assert_eq!(lab(Method::Get, cap), None);
        assert_eq!(lab(Method::Get, &format!("{cap}?format=json")), None);
        // Another method on a served path goes on to the store.
        assert_eq!(lab(Method::Delete, "/api/v1/agent/jobs/7/files/x"), None);
    }

    #[test]
    fn metric_rows_take_the_test_and_the_metric() {
        let url = "/api/v1/results/3/metrics/perf_1/bandwidth/?format=csv";
        let (r, at) = row(Needs::Lab, Some(Method::Get), url).unwrap();
        assert_eq!(r.path, "/api/v1/results/{id}/metrics/{name}/{metric}");
        assert_eq!(at, ["3", "perf_1", "bandwidth"]);
        assert_eq!(
            lab(Method::Get, "/api/v1/results/3/tests/2/metrics/latency"),
            Some("/api/v1/results/{id}/tests/{seq}/metrics/{metric}")
        );
        // The lists are the store's.
        assert_eq!(lab(Method::Get, "/api/v1/results/3/metrics/"), None);
        assert_eq!(lab(Method::Get, "/api/v1/results/3/tests/2/metrics"), None);
    }

    #[test]
    fn sign_in_rows_and_what_goes_on_to_the_store() {
        let auth = |m| {
            row(Needs::Lab, Some(m), "/authenticate/")
                .unwrap()
                .0
                .method
                .clone()
        };
        assert_eq!(auth(Method::Post), Some(Method::Post));
        // Any other method is refused here (`ANY`), after the secrets check.
        assert_eq!(auth(Method::Get), None);
        assert_eq!(lab(Method::Post, "/api/v1/users/"), Some("/api/v1/users"));
        assert_eq!(lab(Method::Get, "/api/v1/users"), None);
        assert_eq!(
            lab(Method::Post, "/api/v1/users/4/token"),
            Some("/api/v1/users/{id}/token")
        );
        assert_eq!(lab(Method::Post, "/api/v1/usersx/token"), None);
        assert_eq!(
            lab(Method::Patch, "/api/v1/users/4"),
            Some("/api/v1/users/{id}")
        );
        assert_eq!(lab(Method::Delete, "/api/v1/users/4"), None);
        assert_eq!(lab(Method::Get, "/api/v1/jobs"), None);
        // Rows that need the lab are not looked for first, and the other way round.
        assert!(first(Some(Method::Post), "/authenticate").is_none());
        assert_eq!(lab(Method::Get, "/healthz"), None);
    }

    #[test]
    fn rows_that_need_nothing_and_unreadable_methods() {
        let path = |m, url| first(m, url).map(|r| r.path);
        assert_eq!(path(Some(Method::Get), "/healthz"), Some("/healthz"));
        let doc = "/api/v1/openapi.json";
        assert_eq!(path(Some(Method::Get), "/api/v1/openapi.json/"), Some(doc));
        assert_eq!(
            first(Some(Method::Head), doc).unwrap().method,
            Some(Method::Head)
        );
        assert_eq!(first(Some(Method::Post), doc).unwrap().method, None);
        assert_eq!(path(Some(Method::Get), "/labs/x/api/v1/openapi.json"), None);
        assert_eq!(path(Some(Method::Get), "/healthz/store"), None);
        // A method the worker cannot read takes only `ANY` rows (the document's is a 405).
        assert_eq!(first(None, doc).unwrap().method, None);
        assert_eq!(path(None, "/healthz/put/x"), Some("/healthz/put/{name}"));
    }

    #[test]
    fn every_route_is_named_once() {
        let mut seen = std::collections::BTreeSet::new();
        for r in ROUTES {
            let row = (format!("{:?}", r.method), r.path);
            assert!(seen.insert(row), "{:?} {} twice", r.method, r.path);
        }
    }
}
