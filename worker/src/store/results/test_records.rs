//! A result's tests: the agent upserts them by `seq` as the run goes
//! (`POST agent/jobs/{id}/tests`); users list them (paging, filter, sort like every list) and
//! get one, and list a test's captures: the files `<log base>-<interface>.cap` of the result
//! directory (CDRouter's own `-m.cap` copies are not captures).

use super::lifecycle;
use super::rows::{FileRow, TestRow, FILE_COLUMNS, TEST_COLUMNS};
use crate::error::now;
use crate::store::db::{us, Db};
use crate::store::http::{self, parse_id, Ctx, Reply};
use crate::store::lease::held;
use crate::store::list::{self, Table};
use labrelay_api::cdrouter::{classify, FileKind};
use labrelay_api::error::ApiError;
use labrelay_api::query::{Bind, ListQuery, Plan};
use labrelay_api::results::{
    deceptive, valid_file_name, TestRecord, TestsAck, TestsUpload, MAX_RESULT_TESTS,
    MAX_TESTS_PER_UPLOAD, TEST_RESULTS, TEST_SCHEMA,
};
use labrelay_api::Id;

const TABLE: Table = Table {
    name: "result_tests",
    columns: TEST_COLUMNS,
    // UNIQUE (result_id, seq): a result's tests, listed by seq.
    indexed: &["seq"],
};

/// Longest test name and description stored (CDRouter's run far shorter).
const MAX_NAME: usize = 200;
const MAX_DESCRIPTION: usize = 2000;

/// A plan limited to one result's rows.
pub fn scoped(plan: Plan, result: i64) -> Plan {
    let mut binds = vec![Bind::Int(result)];
    binds.extend(plan.binds);
    Plan {
        where_sql: format!("result_id = ? AND ({})", plan.where_sql),
        binds,
        residual: plan.residual,
    }
}

pub fn find(db: &Db, result: Id, seq: Id) -> Result<TestRow, ApiError> {
    lifecycle::find(db, result)?;
    db.first(
        &format!("SELECT {TEST_COLUMNS} FROM result_tests WHERE result_id = ? AND seq = ?"),
        vec![result.as_i64().into(), seq.as_i64().into()],
    )?
    .ok_or(ApiError::NotFound("test"))
}

pub fn list(db: &Db, ctx: &Ctx, result: Id) -> Result<Reply, ApiError> {
    let csv = http::wants_csv(ctx)?;
    lifecycle::find(db, result)?;
    let q = ListQuery::parse(&ctx.query, &TEST_SCHEMA)?;
    let (rows, links) = list::page::<TestRow>(
        db,
        &TABLE,
        &scoped(q.plan(), result.as_i64()),
        &q.order_by_sql("seq ASC"),
        &q.page,
    )?;
    let items: Vec<_> = rows.iter().map(TestRow::to_wire).collect();
    if csv {
        return http::csv(&items, &TEST_SCHEMA);
    }
    http::list(&items, &links)
}

pub fn get(db: &Db, result: Id, seq: &str) -> Result<Reply, ApiError> {
    http::data(&find(db, result, parse_id(seq, "test")?)?.to_wire())
}

/// The captures of a test: (interface, file row), in name order.
pub fn captures_of(db: &Db, test: &TestRow) -> Result<Vec<(String, FileRow)>, ApiError> {
    let Some(base) = test.log_base() else {
        return Ok(Vec::new());
    };
    let files: Vec<FileRow> = db.rows(
        &format!(
            "SELECT {FILE_COLUMNS} FROM result_files WHERE result_id = ? AND complete = 1
             AND substr(name, 1, ?) = ? ORDER BY name"
        ),
        vec![
            test.result_id.into(),
            ((base.len() + 1) as i64).into(),
            format!("{base}-").into(),
        ],
    )?;
    Ok(files
        .into_iter()
        .filter_map(|f| match classify(&f.name) {
            FileKind::Capture { base: b, interface } if b == base => {
                Some((interface.to_string(), f.clone()))
            }
            _ => None,
        })
        .collect())
}

pub fn captures(
    db: &Db,
    result: Id,
    seq: &str,
    interface: Option<&str>,
) -> Result<Reply, ApiError> {
    let test = find(db, result, parse_id(seq, "test")?)?;
    let caps = captures_of(db, &test)?;
    match interface {
        None => {
            let items: Vec<_> = caps.iter().map(|(i, f)| f.capture(test.seq, i)).collect();
            http::data(&items)
        }
        Some(want) => caps
            .iter()
            .find(|(i, _)| i == want)
            .map(|(i, f)| http::data(&f.capture(test.seq, i)))
            .unwrap_or(Err(ApiError::NotFound("capture"))),
    }
}

/// `POST agent/jobs/{id}/tests`: upserts the records by `seq`.
pub fn upsert(db: &Db, ctx: &Ctx, agent: Id, job: Id) -> Result<Reply, ApiError> {
    let body: TestsUpload = ctx.json()?;
    let job = held(db, agent, job)?;
    let result: i64 = job
        .result_id
        .as_deref()
        .and_then(|r| r.parse().ok())
        .ok_or_else(|| ApiError::Conflict("the job has not started: no result yet".into()))?;
    lifecycle::find(db, Id(result as u64))?;
    if body.tests.len() > MAX_TESTS_PER_UPLOAD {
        return Err(ApiError::invalid(format!(
            "too many tests in one upload: at most {MAX_TESTS_PER_UPLOAD}"
        )));
    }
    for (i, t) in body.tests.iter().enumerate() {
        check_test(t).map_err(|why| ApiError::invalid(format!("tests[{i}]: {why}")))?;
    }
    let t = us(now());
    let seq = lifecycle::bump(db, result, t)?;
    for r in &body.tests {
        store_test(db, result, seq, t, r)?;
    }
    let count = db.int(
        "SELECT count(*) FROM result_tests WHERE result_id = ?",
        vec![result.into()],
    )?;
    if count as u64 > MAX_RESULT_TESTS {
        return Err(ApiError::invalid(format!(
            "a result holds at most {MAX_RESULT_TESTS} tests"
        )));
    }
    lifecycle::recount(db, result, t)?;
    http::data(&TestsAck {
        stored: body.tests.len() as u64,
    })
}

/// What an agent's test record must be: its seq, a printable name that shows as itself,
/// sizes, a known verdict, plain log file names.
fn check_test(t: &TestRecord) -> Result<(), String> {
    if t.seq == 0 || t.seq > MAX_RESULT_TESTS {
        return Err(format!("seq must be 1 to {MAX_RESULT_TESTS}"));
    }
    if t.name.is_empty() || t.name.len() > MAX_NAME || t.name.chars().any(char::is_control) {
        return Err("name must be 1 to 200 printable characters".into());
    }
    if let Some(c) = t.name.chars().find(|c| deceptive(*c).is_some()) {
        return Err(format!(
            "name has U+{:04X} ({}), which shows it as another",
            c as u32,
            deceptive(c).unwrap_or_default()
        ));
    }
    if t.description.len() > MAX_DESCRIPTION || t.skip_reason.len() > MAX_DESCRIPTION {
        return Err("description and skip_reason are at most 2000 bytes".into());
    }
    if !TEST_RESULTS.contains(&t.result.as_str()) {
        return Err(format!("result must be one of {}", TEST_RESULTS.join(", ")));
    }
    for f in [&t.log, &t.keylog].into_iter().filter(|f| !f.is_empty()) {
        if let Some(c) = f.chars().find(|c| deceptive(*c).is_some()) {
            return Err(format!(
                "log \"{}\" has U+{:04X} ({}), which shows it as another name",
                f.escape_debug(),
                c as u32,
                deceptive(c).unwrap_or_default()
            ));
        }
        if !valid_file_name(f) {
            return Err("log and keylog must be plain file names".into());
        }
    }
    Ok(())
}

/// Upserts one test record by its seq (`seq` the result's update number, `t` now).
fn store_test(db: &Db, result: i64, seq: i64, t: i64, r: &TestRecord) -> Result<(), ApiError> {
    db.exec(
        "INSERT INTO result_tests (result_id, seq, loop, name, description, result, started,
         duration, log, keylog, skip_reason, update_seq)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (result_id, seq) DO UPDATE SET loop = excluded.loop,
         name = excluded.name, description = excluded.description, result = excluded.result,
         started = coalesce(excluded.started, result_tests.started),
         duration = excluded.duration, log = excluded.log,
         keylog = excluded.keylog, skip_reason = excluded.skip_reason,
         update_seq = excluded.update_seq",
        vec![
            result.into(),
            (r.seq as i64).into(),
            (r.loop_.max(1) as i64).into(),
            r.name.clone().into(),
            r.description.clone().into(),
            r.result.clone().into(),
            r.started.map(us).into(),
            (r.duration.min(i64::MAX as u64) as i64).into(),
            r.log.clone().into(),
            r.keylog.clone().into(),
            r.skip_reason.clone().into(),
            seq.into(),
        ],
    )?;
    // A running test always has a start time (CDRouter's clients require one): one whose
    // agent sent none (an older agent, a log with no timed line yet) gets the time it
    // arrived here; a time the agent sends later replaces it (a `null` never wipes one).
    if r.started.is_none() && r.result == "running" {
        db.exec(
            "UPDATE result_tests SET started = ?
             WHERE result_id = ? AND seq = ? AND started IS NULL",
            vec![t.into(), result.into(), (r.seq as i64).into()],
        )?;
    }
    Ok(())
}
