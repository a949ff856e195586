//! One performance metric of a test, its rows read from R2 and parsed here
//! (`labrelay_api::metrics`), never in the store: `GET results/{id}/metrics/{name}/{metric}/`
//! (the client's `results.get_test_metric`: the graph's rows) and
//! `GET results/{id}/tests/{seq}/metrics/{metric}/` (`tests.get_test_metric`: bandwidth,
//! latency, or a run's per-client rates). `?format=csv` answers the file as CDRouter wrote it.

use super::download::stream;
use super::{bearer, data, number, object, r2};
use crate::internal::{MetricLocate, MetricLocated, METRIC};
use crate::labs::Target;
use crate::store_call::{call, Refused};
use labrelay_api::error::ApiError;
use labrelay_api::metrics::{client_rows, graph_rows, MAX_FILE_BYTES};
use worker::{Request, Response};

/// How a metric's rows are answered.
#[derive(Clone, Copy, PartialEq)]
enum Shape {
    /// `GraphMetric`: every column by position.
    Graph,
    /// By the metric's name: `Bandwidth`, `Latency`, else `GraphMetric`.
    Named,
}

/// `?format=`: JSON (none, `json`) or the file as it is (`csv`).
fn wants_csv(req: &Request) -> Result<bool, ApiError> {
    match super::param(req, "format").as_deref() {
        None | Some("" | "json") => Ok(false),
        Some("csv") => Ok(true),
        Some(f) => Err(ApiError::invalid(format!(
            "invalid format \"{f}\": json or csv"
        ))),
    }
}

pub async fn by_name(
    req: &Request,
    to: &Target,
    result: &str,
    test: &str,
    metric: &str,
) -> Result<Response, Refused> {
    let ask = MetricLocate {
        result: number(result, "result")?,
        test: Some(test.to_string()),
        seq: None,
        metric: metric.to_string(),
    };
    answer(req, to, &ask, Shape::Graph).await
}

pub async fn by_test(
    req: &Request,
    to: &Target,
    result: &str,
    seq: &str,
    metric: &str,
) -> Result<Response, Refused> {
    let ask = MetricLocate {
        result: number(result, "test")?,
        test: None,
        seq: Some(number(seq, "test")?),
        metric: metric.to_string(),
    };
    answer(req, to, &ask, Shape::Named).await
}

async fn answer(
    req: &Request,
    to: &Target,
    ask: &MetricLocate,
    shape: Shape,
) -> Result<Response, Refused> {
    let csv = wants_csv(req)?;
    let found: MetricLocated = call(to, METRIC, bearer(req).as_deref(), ask).await?;
    let file = &found.file;
    if csv {
        return stream(to, file, "text/csv; charset=utf-8").await;
    }
    if file.size > MAX_FILE_BYTES {
        return Err(ApiError::invalid(format!(
            "{} is {} bytes, too long to list (at most {MAX_FILE_BYTES}): download it with ?format=csv",
            file.name, file.size
        ))
        .into());
    }
    let bytes = object(to, &file.key, "metric")
        .await?
        .body()
        .ok_or(ApiError::NotFound("metric"))?
        .bytes()
        .await
        .map_err(r2)?;
    let text = String::from_utf8_lossy(&bytes);
    let bad = |e: labrelay_api::metrics::MetricError| ApiError::invalid(e.to_string());
    if found.details {
        return data(&client_rows(&file.name, &text).map_err(bad)?);
    }
    let rows = graph_rows(&file.name, &text).map_err(bad)?;
    match (shape, ask.metric.as_str()) {
        (Shape::Named, "bandwidth") => {
            data(&rows.iter().map(|r| r.to_bandwidth()).collect::<Vec<_>>())
        }
        (Shape::Named, "latency") => data(&rows.iter().map(|r| r.to_latency()).collect::<Vec<_>>()),
        _ => data(&rows),
    }
}
