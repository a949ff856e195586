//! A result's performance metrics (`labrelay_api::metrics`), known from the names of its
//! result directory's files: `GET results/{id}/metrics/` and `tests/{seq}/metrics/` list
//! them, and `/internal/results/metric` says where one is for the entry, which reads its rows
//! from R2 (`crate::files::metrics`).

use super::files::complete_file;
use super::lifecycle;
use crate::internal::{MetricLocate, MetricLocated};
use crate::store::db::{from_micros, Db};
use crate::store::http::{self, parse_id, Ctx, Reply};
use labrelay_api::error::ApiError;
use labrelay_api::metrics::{list, metric_file, run_of_log, Metric, MAX_LISTED};
use labrelay_api::results::MAX_RESULT_FILES;
use labrelay_api::Id;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Deserialize)]
struct FileName {
    name: String,
    modified: i64,
}

#[derive(Deserialize)]
struct TestRef {
    seq: i64,
    name: String,
    log: String,
}

#[derive(Deserialize)]
struct Name {
    name: String,
}

/// The result's complete files that may be metrics, by name.
fn candidate_files(db: &Db, result: i64) -> Result<Vec<FileName>, ApiError> {
    db.rows(
        "SELECT name, modified FROM result_files WHERE result_id = ? AND complete = 1
         AND name LIKE '%graph%.csv' ORDER BY name LIMIT ?",
        vec![result.into(), (MAX_RESULT_FILES as i64).into()],
    )
}

/// The result's test names that prefix `file` (`perf_1` and `perf_12` for
/// `perf_12_latency_graph.csv`), or all of them.
fn test_names(db: &Db, result: i64, file: Option<&str>) -> Result<Vec<String>, ApiError> {
    let rows: Vec<Name> = match file {
        Some(f) => db.rows(
            "SELECT DISTINCT name FROM result_tests WHERE result_id = ? AND name <> ''
             AND substr(?, 1, length(name) + 1) = name || '_'",
            vec![result.into(), f.to_string().into()],
        )?,
        None => db.rows(
            "SELECT DISTINCT name FROM result_tests WHERE result_id = ?",
            vec![result.into()],
        )?,
    };
    Ok(rows.into_iter().map(|r| r.name).collect())
}

/// A metric file of a test: its metric, its run (details) or none (the graph), the file.
type Found<'a> = (&'a str, Option<u64>, &'a FileName);

/// The metrics of `tests` (of one result), in their order, each test's by metric name.
fn metrics_of(db: &Db, result: i64, tests: &[TestRef]) -> Result<Vec<Metric>, ApiError> {
    let files = candidate_files(db, result)?;
    if files.is_empty() || tests.is_empty() {
        return Ok(Vec::new());
    }
    let names = test_names(db, result, None)?;
    let mut by_test: HashMap<&str, Vec<Found>> = HashMap::new();
    for f in &files {
        if let Some(m) = metric_file(&f.name, names.iter().map(String::as_str)) {
            let test = &f.name[..m.test.len()];
            by_test.entry(test).or_default().push((m.metric, m.run, f));
        }
    }
    for fs in by_test.values_mut() {
        fs.sort_by(|a, b| (a.0, &a.2.name).cmp(&(b.0, &b.2.name)));
    }
    let mut out = Vec::new();
    for t in tests {
        let Some(fs) = by_test.get(t.name.as_str()) else {
            continue;
        };
        let run = run_of_log(&t.log, &t.name);
        for (metric, _, f) in fs.iter().filter(|(_, r, _)| r.is_none() || *r == run) {
            if out.len() == MAX_LISTED {
                return Err(ApiError::invalid(format!(
                    "result {result} has more than {MAX_LISTED} metrics, too many to list: \
                     list a test's with results/{result}/tests/{{seq}}/metrics/"
                )));
            }
            out.push(Metric {
                id: Id(result as u64),
                seq: Id(t.seq.max(0) as u64),
                created: from_micros(f.modified),
                updated: from_micros(f.modified),
                test_name: t.name.clone(),
                metric: metric.to_string(),
                filename: f.name.clone(),
                log_file: None,
            });
        }
    }
    Ok(out)
}

fn answer(ctx: &Ctx, items: Vec<Metric>) -> Result<Reply, ApiError> {
    let (page, links) = list::page(items, &ctx.query)?;
    http::list(&page, &links)
}

/// `GET results/{id}/metrics/`: every test's metrics, by test then metric.
pub fn list_result(db: &Db, ctx: &Ctx, result: Id) -> Result<Reply, ApiError> {
    lifecycle::find(db, result)?;
    // Bad parameters are a 400 before anything is read.
    list::page(Vec::new(), &ctx.query)?;
    let tests: Vec<TestRef> = db.rows(
        "SELECT seq, name, log FROM result_tests WHERE result_id = ? ORDER BY seq",
        vec![result.as_i64().into()],
    )?;
    answer(ctx, metrics_of(db, result.as_i64(), &tests)?)
}

/// A test of a result; "no such test" when either is not there (as CDRouter answers).
fn test(db: &Db, result: Id, seq: Id) -> Result<TestRef, ApiError> {
    db.first(
        "SELECT seq, name, log FROM result_tests WHERE result_id = ? AND seq = ?",
        vec![result.as_i64().into(), seq.as_i64().into()],
    )?
    .ok_or(ApiError::NotFound("test"))
}

/// `GET results/{id}/tests/{seq}/metrics/`.
pub fn list_test(db: &Db, ctx: &Ctx, result: &str, seq: &str) -> Result<Reply, ApiError> {
    let result = parse_id(result, "test")?;
    let t = test(db, result, parse_id(seq, "test")?)?;
    list::page(Vec::new(), &ctx.query)?;
    answer(ctx, metrics_of(db, result.as_i64(), &[t])?)
}

/// A metric's file when `name` is one of `test`'s and the result has it whole.
fn metric_at(
    db: &Db,
    result: i64,
    test: &str,
    name: &str,
) -> Result<Option<MetricLocated>, ApiError> {
    let names = test_names(db, result, Some(name))?;
    let ours = metric_file(name, names.iter().map(String::as_str)).is_some_and(|m| m.test == test);
    if !ours {
        return Ok(None);
    }
    Ok(complete_file(db, result, name)?.map(|file| MetricLocated {
        details: name.contains("_details_graph."),
        file,
    }))
}

/// `/internal/results/metric`: where a test's metric is, by the test's name
/// (`results/{id}/metrics/{name}/{metric}/`: its graph) or its `seq`
/// (`tests/{seq}/metrics/{metric}/`: its graph, else its run's details).
pub fn locate(db: &Db, ctx: &Ctx) -> Result<Reply, ApiError> {
    let req: MetricLocate = ctx.json()?;
    let plain = |s: &str| {
        !s.is_empty() && s.len() <= 200 && !s.contains('/') && !s.chars().any(char::is_control)
    };
    let result = Id(req.result);
    let found = match (&req.test, req.seq) {
        (Some(name), _) => {
            lifecycle::find(db, result)?;
            if !plain(name) || !plain(&req.metric) {
                return Err(ApiError::NotFound("metric"));
            }
            let file = format!("{name}_{}_graph.csv", req.metric);
            metric_at(db, result.as_i64(), name, &file)?
        }
        (None, Some(seq)) => {
            let t = test(db, result, Id(seq))?;
            if !plain(&req.metric) {
                return Err(ApiError::NotFound("metric"));
            }
            let graph = format!("{}_{}_graph.csv", t.name, req.metric);
            match metric_at(db, result.as_i64(), &t.name, &graph)? {
                Some(m) => Some(m),
                None => match run_of_log(&t.log, &t.name) {
                    Some(n) => {
                        let details = format!("{}_{}_details_graph.{n}.csv", t.name, req.metric);
                        metric_at(db, result.as_i64(), &t.name, &details)?
                    }
                    None => None,
                },
            }
        }
        (None, None) => return Err(ApiError::invalid("a metric needs a test name or seq")),
    };
    http::data(&found.ok_or(ApiError::NotFound("metric"))?)
}
