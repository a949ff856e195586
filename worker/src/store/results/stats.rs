//! CDRouter's result statistics (`POST results/?stats=all|set|diff`, `GET results/{id}/
//! ?stats=all|summary|progress`): the store reads the results' test records — bounded by
//! `labrelay_api::stats`' caps, a clear 400 past them — and `labrelay_api::stats` computes.

use super::lifecycle;
use super::rows::{TestRow, TEST_COLUMNS};
use crate::store::db::Db;
use crate::store::http::{self, Ctx, Reply};
use labrelay_api::error::ApiError;
use labrelay_api::results::TestResult;
use labrelay_api::stats::{
    self, AllStats, DeviceCount, PackageCount, ResultRef, MAX_ALL, MAX_DIFF, MAX_SET, MAX_TESTS,
    TOP,
};
use labrelay_api::Id;
use serde::Deserialize;

/// The results a `?stats=set|diff` body names (`[{"id": "..."}]`), each one that exists.
fn results_named(db: &Db, ctx: &Ctx, what: &str, max: usize) -> Result<Vec<Id>, ApiError> {
    let refs: Vec<ResultRef> = ctx.json_list()?;
    if refs.is_empty() {
        return Err(ApiError::invalid(format!(
            "stats={what} needs the results: a body [{{\"id\": \"...\"}}, ...]"
        )));
    }
    if refs.len() > max {
        return Err(ApiError::invalid(format!(
            "stats={what} takes at most {max} results; {} given",
            refs.len()
        )));
    }
    let ids: Vec<Id> = refs.into_iter().map(|r| r.id).collect();
    for id in &ids {
        lifecycle::find(db, *id)?;
    }
    Ok(ids)
}

/// The test records of these results, each result's in `seq` order.
fn tests_of(db: &Db, ids: &[Id]) -> Result<Vec<TestResult>, ApiError> {
    let mut unique: Vec<i64> = ids.iter().map(|id| id.as_i64()).collect();
    unique.sort_unstable();
    unique.dedup();
    let marks = vec!["?"; unique.len()].join(", ");
    let mut binds: Vec<_> = unique.into_iter().map(Into::into).collect();
    binds.push((MAX_TESTS as i64 + 1).into());
    let rows: Vec<TestRow> = db.rows(
        &format!(
            "SELECT {TEST_COLUMNS} FROM result_tests WHERE result_id IN ({marks})
             ORDER BY result_id, seq LIMIT ?"
        ),
        binds,
    )?;
    if rows.len() > MAX_TESTS {
        return Err(ApiError::invalid(format!(
            "these results hold more than {MAX_TESTS} test records, more than one request \
             reads: ask for fewer results"
        )));
    }
    Ok(rows.iter().map(TestRow::to_wire).collect())
}

pub fn set(db: &Db, ctx: &Ctx) -> Result<Reply, ApiError> {
    let ids = results_named(db, ctx, "set", MAX_SET)?;
    http::data(&stats::set_stats(&tests_of(db, &ids)?))
}

pub fn diff(db: &Db, ctx: &Ctx) -> Result<Reply, ApiError> {
    let ids = results_named(db, ctx, "diff", MAX_DIFF)?;
    http::data(&stats::diff_stats(&ids, &tests_of(db, &ids)?))
}

pub fn single(db: &Db, id: Id) -> Result<Reply, ApiError> {
    let row = lifecycle::find(db, id)?;
    http::data(&stats::single_stats(&tests_of(db, &[id])?, row.progress()))
}

pub fn summary(db: &Db, id: Id) -> Result<Reply, ApiError> {
    lifecycle::find(db, id)?;
    http::data(&stats::summary_stats(tests_of(db, &[id])?))
}

pub fn progress(db: &Db, id: Id) -> Result<Reply, ApiError> {
    http::data(&lifecycle::find(db, id)?.progress())
}

pub fn unsupported(ctx: &Ctx) -> Result<Reply, ApiError> {
    let v = ctx.param("stats").unwrap_or_default();
    if v.is_empty() {
        return Err(ApiError::invalid(
            "stats is required: all, set or diff (on results/), all, summary or progress \
             (on results/{id}/)",
        ));
    }
    Err(ApiError::invalid(format!(
        "unsupported stats \"{}\": all, set or diff (on results/), all, summary or progress \
         (on results/{{id}}/)",
        v.chars().take(64).collect::<String>()
    )))
}

#[derive(Deserialize)]
struct Named {
    name: String,
    count: i64,
}

/// Names of `column` among the newest `MAX_ALL` results: the most frequent `TOP` (most
/// first), and every one (by name, at most 1,000).
fn names(db: &Db, column: &str) -> Result<(Vec<Named>, Vec<Named>), ApiError> {
    let grouped = |order: &str, limit: i64| {
        db.rows::<Named>(
            &format!(
                "SELECT {column} AS name, COUNT(*) AS count
                 FROM (SELECT {column} FROM results ORDER BY id DESC LIMIT ?)
                 WHERE {column} != '' GROUP BY {column} ORDER BY {order} LIMIT ?"
            ),
            vec![(MAX_ALL as i64).into(), limit.into()],
        )
    };
    Ok((
        grouped("count DESC, name", TOP as i64)?,
        grouped("name", 1_000)?,
    ))
}

pub fn all(db: &Db) -> Result<Reply, ApiError> {
    let (frequent_packages, package_names) = names(db, "package_name")?;
    let (frequent_devices, device_names) = names(db, "device_name")?;
    let package = |n: Named, counted: bool| PackageCount {
        package_name: n.name,
        count: counted.then_some(n.count.max(0) as u64),
    };
    let device = |n: Named, counted: bool| DeviceCount {
        device_name: n.name,
        count: counted.then_some(n.count.max(0) as u64),
    };
    http::data(&AllStats {
        frequent_packages: frequent_packages
            .into_iter()
            .map(|n| package(n, true))
            .collect(),
        package_names: package_names
            .into_iter()
            .map(|n| package(n, false))
            .collect(),
        frequent_devices: frequent_devices
            .into_iter()
            .map(|n| device(n, true))
            .collect(),
        device_names: device_names.into_iter().map(|n| device(n, false)).collect(),
    })
}
