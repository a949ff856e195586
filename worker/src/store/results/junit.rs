//! What a run's JUnit is made of (`/internal/results/junit`, for the entry's
//! `GET results/{id}/junit`): the result's counts, its tests in order, and where the logs of
//! its failed tests are. The XML itself is built in the entry (`crate::files::junit`), which
//! reads the logs' `FAIL` lines from R2.

use super::files::complete_file;
use super::lifecycle;
use super::rows::{TestRow, TEST_COLUMNS};
use crate::internal::{ArchiveRequest, JunitSource, JUNIT_CASES, JUNIT_LOGS};
use crate::store::db::Db;
use crate::store::http::{self, Ctx, Reply};
use labrelay_api::error::ApiError;
use labrelay_api::junit::{Case, Suite};
use labrelay_api::Id;

pub fn source(db: &Db, ctx: &Ctx) -> Result<Reply, ApiError> {
    let req: ArchiveRequest = ctx.json()?;
    let row = lifecycle::find(db, Id(req.result))?;
    let tests: Vec<TestRow> = db.rows(
        &format!(
            "SELECT {TEST_COLUMNS} FROM result_tests WHERE result_id = ? ORDER BY seq LIMIT ?"
        ),
        vec![row.id.into(), (JUNIT_CASES as i64 + 1).into()],
    )?;
    if tests.len() > JUNIT_CASES {
        return Err(ApiError::invalid(format!(
            "result {} has more than {JUNIT_CASES} tests, too many for one JUnit document: \
             list them with results/{}/tests/",
            row.id, row.id
        )));
    }
    let mut logs = Vec::new();
    let cases: Vec<Case> = tests
        .iter()
        .map(|t| Case {
            seq: t.seq.max(0) as u64,
            name: t.name.clone(),
            description: t.description.clone(),
            result: t.result.clone(),
            duration: t.duration.max(0) as u64,
        })
        .collect();
    for (case, test) in cases.iter().zip(&tests) {
        if case.failed() && !case.is_bookend() && !test.log.is_empty() && logs.len() < JUNIT_LOGS {
            if let Some(file) = complete_file(db, row.id, &test.log)? {
                logs.push((case.seq, file));
            }
        }
    }
    http::data(&JunitSource {
        suite: Suite {
            package_name: row.package_name.clone(),
            tests: row.tests.max(0) as u64,
            fail: row.fail.max(0) as u64,
            result_id: row.id.max(0) as u64,
        },
        cases,
        logs,
    })
}
