//! `GET /api/v1/results/{id}/junit`: the run's JUnit XML (`labrelay_api::junit`), built here
//! from what the store has of the run and the `FAIL` lines of its failed tests' logs, read
//! from R2 — a CI job's verdict in one request, no client-side loop over tests and logs.
//! Bounded: the store gives at most `JUNIT_CASES` tests and `JUNIT_LOGS` logs, and a log
//! past [`MAX_LOG`] (or past [`MAX_READ`] in all) is named, not read.

use super::{bearer, number, object, r2};
use crate::internal::{ArchiveRequest, JunitSource, Located, JUNIT, JUNIT_LOGS};
use crate::labs::Target;
use crate::store_call::{call, Refused};
use labrelay_api::error::ApiError;
use labrelay_api::junit::{document, fail_lines, Failure};
use std::collections::HashMap;
use worker::{Headers, Request, Response};

/// The largest log whose `FAIL` lines are read (real test logs run to a few hundred KB).
const MAX_LOG: u64 = 8 << 20;
/// Log bytes one JUnit reads in all.
const MAX_READ: u64 = 64 << 20;
/// Logs read at once (a worker keeps six connections open at a time).
const AT_ONCE: usize = 6;

pub async fn junit(req: &Request, to: &Target, result: &str) -> Result<Response, Refused> {
    let result = number(result, "result")?;
    let ask = ArchiveRequest {
        result,
        exclude_captures: true,
    };
    let src: JunitSource = call(to, JUNIT, bearer(req).as_deref(), &ask).await?;
    let mut failures = read_failures(to, &src.logs).await;
    let failed = src
        .cases
        .iter()
        .filter(|c| c.failed() && !c.is_bookend())
        .count();
    let xml = document(&src.suite, &base(req, to), &src.cases, |case| {
        failures.remove(&case.seq).unwrap_or_else(|| {
            Failure::Unread(if failed > JUNIT_LOGS {
                format!("more than {JUNIT_LOGS} tests failed: read this test's log from its page")
            } else {
                "the test's log is not in the result directory".to_string()
            })
        })
    });
    let headers = Headers::new();
    let set = |k: &str, v: &str| headers.set(k, v).map_err(r2);
    set("content-type", "application/xml; charset=utf-8")?;
    set(
        "content-disposition",
        &format!("inline; filename=\"result-{result}-junit.xml\""),
    )?;
    set("x-content-type-options", "nosniff")?;
    Ok(Response::ok(xml).map_err(r2)?.with_headers(headers))
}

/// Each failed test's `FAIL` lines, by `seq`; a log that cannot be read says why.
async fn read_failures(to: &Target, logs: &[(u64, Located)]) -> HashMap<u64, Failure> {
    let mut out = HashMap::new();
    let mut budget = MAX_READ;
    for chunk in logs.chunks(AT_ONCE) {
        let mut reads = Vec::new();
        for (seq, file) in chunk {
            if file.size > MAX_LOG || file.size > budget {
                let why = format!(
                    "{} is {} bytes, more than a JUnit reads: download it from logdir/",
                    file.name, file.size
                );
                out.insert(*seq, Failure::Unread(why));
                continue;
            }
            budget -= file.size;
            reads.push(async move { (*seq, read(to, file).await) });
        }
        for (seq, lines) in futures::future::join_all(reads).await {
            out.insert(seq, lines);
        }
    }
    out
}

async fn read(to: &Target, file: &Located) -> Failure {
    let bytes = async {
        let obj = object(to, &file.key, "log").await?;
        let body = obj.body().ok_or(ApiError::NotFound("log"))?;
        body.bytes().await.map_err(r2)
    };
    match bytes.await {
        Ok(b) => Failure::Lines(fail_lines(&String::from_utf8_lossy(&b))),
        Err(e) => Failure::Unread(format!("{} could not be read: {e}", file.name)),
    }
}

/// The web address the run's pages hang below: the request's origin and the lab's prefix
/// (`https://host/labs/x`), as the CI examples' base URL.
fn base(req: &Request, to: &Target) -> String {
    let origin = req
        .url()
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    if to.lab.is_default() {
        origin
    } else {
        format!("{origin}/labs/{}", to.lab.name)
    }
}
