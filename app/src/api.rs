//! The only code that talks HTTP. Same origin as the API; every call sends the session's
//! token, returns `labrelay_api` types, and turns failures into words a person can act on.
//! A 401 on a signed-in call ends the session (the app shows the sign-in form again).

mod compare;
mod js_reader;
mod json;
pub mod lab;
mod overview;
mod reservations;
mod session;
mod words;

pub use compare::result_diff;
pub use overview::{lab_summary, labs, LabSummary};
pub use reservations::{release, renew, reservations, reserve};
pub use session::{on_signed_out, session, sign_out, Session};
pub use words::user_words;

use json::{decode, decode_list, error_text, json};

use crate::model::resource::Resource;
use gloo_net::http::{Method, RequestBuilder};
use labrelay_api::agents::LogChunk;
use labrelay_api::interfaces::Interface;
use labrelay_api::jobs::{Job, JobInput};
use labrelay_api::metrics::{GraphMetric, Metric};
use labrelay_api::resources::{Package, PackageTests};
use labrelay_api::results::{Capture, RunResult, TestLog, TestResult};
use labrelay_api::users::User;
use labrelay_api::{Id, ListEnvelope};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use web_sys::AbortSignal;

/// A failed call: the HTTP status (0 when the server could not be reached) and what to tell
/// the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub status: u16,
    pub message: String,
}

impl Error {
    /// A request the form refuses before sending (as the server would: a 400).
    pub fn invalid(message: String) -> Error {
        Error {
            status: 400,
            message,
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

pub type Result<T> = std::result::Result<T, Error>;

enum Body {
    None,
    Json(String),
    Form(String),
}

/// Sends one request; answers the body text of a 2xx, or the error.
async fn send(
    method: Method,
    path: &str,
    body: Body,
    abort: Option<&AbortSignal>,
) -> Result<String> {
    let token = session().map(|s| s.token);
    let mut req = RequestBuilder::new(&lab::scoped(path, None))
        .method(method)
        .header("accept", "application/json")
        .abort_signal(abort);
    if let Some(t) = &token {
        req = req.header("authorization", &format!("Bearer {t}"));
    }
    let req = match body {
        Body::None => req.build(),
        Body::Json(s) => req.header("content-type", "application/json").body(s),
        Body::Form(s) => req
            .header("content-type", "application/x-www-form-urlencoded")
            .body(s),
    };
    let unreachable = |_| Error {
        status: 0,
        message: user_words(0, ""),
    };
    let resp = req
        .map_err(unreachable)?
        .send()
        .await
        .map_err(unreachable)?;
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    if (200..300).contains(&status) {
        return Ok(text);
    }
    let server = error_text(&text);
    if status == 401 && token.is_some() {
        session::expire();
    }
    Err(Error {
        status,
        message: user_words(status, &server),
    })
}

async fn get<T: DeserializeOwned>(path: &str) -> Result<T> {
    let text = send(Method::GET, path, Body::None, None).await?;
    decode::<T>(&text)
}

async fn list<T: DeserializeOwned>(path: &str, query: &str) -> Result<ListEnvelope<T>> {
    let text = send(Method::GET, &format!("{path}?{query}"), Body::None, None).await?;
    decode_list(&text)
}

async fn write<B: Serialize + ?Sized, T: DeserializeOwned>(
    method: Method,
    path: &str,
    body: &B,
) -> Result<T> {
    let text = send(method, path, json(body)?, None).await?;
    decode::<T>(&text)
}

async fn delete(path: &str) -> Result<()> {
    send(Method::DELETE, path, Body::None, None)
        .await
        .map(|_| ())
}

// --- sign-in -------------------------------------------------------------------------------

/// `POST /authenticate` for a browser session (`session=1`: a token that expires and ends
/// with sign-out, not the user's API token); kept in sessionStorage.
pub async fn sign_in(username: &str, password: &str) -> Result<Session> {
    let form = crate::model::query::Query::new()
        .push("username", username)
        .push("password", password)
        .push("session", "1")
        .build();
    let text = send(Method::POST, "/authenticate", Body::Form(form), None).await?;
    let user: User = decode(&text)?;
    session::start(&user).ok_or_else(|| Error {
        status: 200,
        message: "The server signed you in but sent no token.".to_string(),
    })
}

/// Ends the session on the server (`POST /api/v1/logout`), then forgets it here, whatever
/// the server answered (an expired session is as good as ended).
pub async fn sign_out_everywhere() {
    let _ = send(Method::POST, "/api/v1/logout", Body::None, None).await;
    sign_out();
}

// --- users ---------------------------------------------------------------------------------

/// A user (administrators may read anyone, others only themselves).
pub async fn user(id: Id) -> Result<User> {
    get(&format!("/api/v1/users/{id}/")).await
}

// --- jobs ----------------------------------------------------------------------------------

pub async fn jobs(query: &str) -> Result<ListEnvelope<Job>> {
    list("/api/v1/jobs/", query).await
}

pub async fn job(id: Id) -> Result<Job> {
    get(&format!("/api/v1/jobs/{id}/")).await
}

pub async fn launch(input: &JobInput) -> Result<Job> {
    write(Method::POST, "/api/v1/jobs/", input).await
}

/// The interfaces a launch would use (`?process=interfaces`), without creating a job.
pub async fn preview_interfaces(input: &JobInput) -> Result<Vec<Interface>> {
    write(Method::POST, "/api/v1/jobs/?process=interfaces", input).await
}

pub async fn stop_job(id: Id) -> Result<Job> {
    let text = send(
        Method::POST,
        &format!("/api/v1/jobs/{id}/stop"),
        Body::None,
        None,
    )
    .await?;
    decode::<Job>(&text)
}

pub async fn delete_job(id: Id) -> Result<()> {
    delete(&format!("/api/v1/jobs/{id}/")).await
}

pub async fn job_log(id: Id, offset: u64) -> Result<LogChunk> {
    get(&format!("/api/v1/jobs/{id}/log?offset={offset}")).await
}

#[derive(Serialize)]
struct IdOnly {
    id: Id,
}

/// `{"jobs": [{"id": "1"}, ...]}`
#[derive(Serialize)]
struct BulkDelete {
    jobs: Vec<IdOnly>,
}

/// `{"fields": {...}}`
#[derive(Serialize)]
struct BulkFields<'a> {
    fields: &'a JobInput,
}

/// Deletes these jobs (running ones are kept by the server).
pub async fn delete_jobs(ids: &[Id]) -> Result<()> {
    let body = BulkDelete {
        jobs: ids.iter().map(|&id| IdOnly { id }).collect(),
    };
    send(
        Method::POST,
        "/api/v1/jobs/?bulk=delete",
        json(&body)?,
        None,
    )
    .await
    .map(|_| ())
}

/// One job per package matching `package_filters`, each with the shared `fields`.
pub async fn bulk_launch(package_filters: &str, fields: &JobInput) -> Result<Vec<Job>> {
    write(
        Method::POST,
        &format!("/api/v1/jobs/?bulk=launch&{package_filters}"),
        &BulkFields { fields },
    )
    .await
}

// --- packages, configs, devices, agents ------------------------------------------------------

/// A page of a resource's list.
pub async fn list_of<T: DeserializeOwned>(r: Resource, query: &str) -> Result<ListEnvelope<T>> {
    list(&r.api_path(), query).await
}

/// One record, in full (`detailed`: a package's testlist, a config's contents).
pub async fn one_of<T: DeserializeOwned>(r: Resource, id: Id) -> Result<T> {
    get(&format!("{}{id}/", r.api_path())).await
}

/// Creates (no id) or edits a record.
pub async fn save<B: Serialize, T: DeserializeOwned>(
    r: Resource,
    id: Option<Id>,
    input: &B,
) -> Result<T> {
    match id {
        Some(id) => write(Method::PATCH, &format!("{}{id}/", r.api_path()), input).await,
        None => write(Method::POST, &r.api_path(), input).await,
    }
}

pub async fn delete_resource(r: Resource, id: Id) -> Result<()> {
    delete(&format!("{}{id}/", r.api_path())).await
}

pub async fn packages(query: &str) -> Result<ListEnvelope<Package>> {
    list_of(Resource::Packages, query).await
}

pub async fn package(id: Id) -> Result<Package> {
    one_of(Resource::Packages, id).await
}

/// A package's testlist alone (the same request, read for that field only).
pub async fn package_tests(id: Id) -> Result<PackageTests> {
    one_of(Resource::Packages, id).await
}

// --- results --------------------------------------------------------------------------------

pub async fn result(id: Id) -> Result<RunResult> {
    get(&format!("/api/v1/results/{id}/")).await
}

pub async fn result_tests(id: Id, query: &str) -> Result<ListEnvelope<TestResult>> {
    list(&format!("/api/v1/results/{id}/tests/"), query).await
}

/// Every test of a result matching `query`, a page of 1,000 at a time (the server answers
/// at most that many in one request).
pub async fn result_tests_all(id: Id, query: &str) -> Result<ListEnvelope<TestResult>> {
    let mut first = result_tests(id, &format!("{query}&limit=1000&page=1")).await?;
    let mut next = first.links.next;
    while let Some(page) = next {
        let more = result_tests(id, &format!("{query}&limit=1000&page={page}")).await?;
        first.data.extend(more.data);
        next = more.links.next;
    }
    Ok(first)
}

/// Graphs a result's performance charts show at most.
const MAX_GRAPHS: usize = 24;

/// A result's performance graphs: each `<test>_<metric>_graph.csv` its metrics name (the
/// first [`MAX_GRAPHS`]), with its rows.
pub async fn result_graphs(id: Id) -> Result<Vec<(Metric, Vec<GraphMetric>)>> {
    let metrics: ListEnvelope<Metric> =
        list(&format!("/api/v1/results/{id}/metrics/"), "limit=1000").await?;
    let mut out: Vec<(Metric, Vec<GraphMetric>)> = Vec::new();
    for m in metrics.data {
        let seen = out.iter().any(|(o, _)| o.filename == m.filename);
        if seen || m.filename.contains("_details_graph.") || out.len() == MAX_GRAPHS {
            continue;
        }
        let path = format!(
            "/api/v1/results/{id}/metrics/{}/{}/",
            crate::model::query::encode(&m.test_name),
            crate::model::query::encode(&m.metric)
        );
        out.push((m, get(&path).await?));
    }
    Ok(out)
}

pub async fn result_test(id: Id, seq: Id) -> Result<TestResult> {
    get(&format!("/api/v1/results/{id}/tests/{seq}/")).await
}

/// A test's log, parsed (`query`: `filter=prefix=FAIL`, `offset`, `limit`).
pub async fn test_log(id: Id, seq: Id, query: &str) -> Result<TestLog> {
    get(&format!("/api/v1/results/{id}/tests/{seq}/log?{query}")).await
}

pub async fn captures(id: Id, seq: Id) -> Result<Vec<Capture>> {
    get(&format!("/api/v1/results/{id}/tests/{seq}/captures/")).await
}

/// Downloads `path` with the session's token and hands it to the browser as `file_name`
/// (a plain link could not send the token).
pub async fn download(path: &str, file_name: &str) -> Result<()> {
    let token = session().map(|s| s.token);
    let mut req = RequestBuilder::new(&lab::scoped(path, None)).method(Method::GET);
    if let Some(t) = &token {
        req = req.header("authorization", &format!("Bearer {t}"));
    }
    let unreachable = |_| Error {
        status: 0,
        message: user_words(0, ""),
    };
    let resp = req
        .build()
        .map_err(unreachable)?
        .send()
        .await
        .map_err(unreachable)?;
    if !(200..300).contains(&resp.status()) {
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        let server = error_text(&text);
        return Err(Error {
            status,
            message: user_words(status, &server),
        });
    }
    let bytes = resp.binary().await.map_err(unreachable)?;
    save_bytes(&bytes, file_name).map_err(|()| Error {
        status: 0,
        message: "The browser would not save the file.".into(),
    })
}

fn save_bytes(bytes: &[u8], file_name: &str) -> std::result::Result<(), ()> {
    use wasm_bindgen::JsCast;
    let array = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let blob = web_sys::Blob::new_with_u8_array_sequence(&array).map_err(drop)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(drop)?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or(())?;
    let a: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(drop)?
        .dyn_into()
        .map_err(drop)?;
    a.set_href(&url);
    a.set_download(file_name);
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

// --- live updates ---------------------------------------------------------------------------

#[derive(Deserialize)]
struct Version {
    version: u64,
}

/// `GET /api/v1/changes`: the store's version, as soon as it differs from `after` (or after
/// `wait` seconds). Without `after` it answers at once.
pub async fn changes(after: Option<u64>, wait: u64, abort: &AbortSignal) -> Result<u64> {
    let path = match after {
        Some(v) => format!("/api/v1/changes?after={v}&wait={wait}"),
        None => "/api/v1/changes".to_string(),
    };
    let text = send(Method::GET, &path, Body::None, Some(abort)).await?;
    decode::<Version>(&text).map(|v| v.version)
}
