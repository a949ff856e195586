//! The files of a result directory as the store keeps them: one row per name with its size,
//! SHA-256, R2 key and, while it arrives in parts, the parts received. The entry worker moves
//! the bytes (see `crate::files`); these are its calls (`crate::internal`), plus the
//! `logdir/` listing users see.
//!
//! Caps, checked before any byte is stored: the result's total (`RESULT_MAX_BYTES`, 1 GiB by
//! default), files per result, parts per file. A new SHA-256 for a name replaces the file; the
//! old bytes are queued for deletion.

use super::lifecycle;
use super::rows::{FileRow, FILE_COLUMNS};
use super::test_records::{captures_of, find as find_test, scoped};
use crate::error::now;
use crate::internal::{
    file_key, ArchiveList, ArchiveRequest, Assemble, Begin, BeginReply, Commit, CommitReply,
    Complete, Holds, HoldsReply, Locate, Located, Whole, WholeBatch,
};
use crate::store::db::{from_micros, us, Db};
use crate::store::http::{self, Ctx, Reply};
use crate::store::lease::held;
use crate::store::list::{self, Table};
use labrelay_api::error::ApiError;
use labrelay_api::query::{ListQuery, PageRequest};
use labrelay_api::results::BatchOutcome;
use labrelay_api::results::{
    file_name_problem, part_count, FileState, LOGDIR_SCHEMA, MAX_RESULT_FILES,
};
use labrelay_api::Id;
use serde::{Deserialize, Serialize};

const TABLE: Table = Table {
    name: "result_files",
    columns: FILE_COLUMNS,
    // UNIQUE (result_id, name): a result's files, listed by name.
    indexed: &["name"],
};

/// A part received: its number, R2 etag, CRC-32 and length.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
struct Part {
    part: u32,
    etag: String,
    crc32: u32,
    len: u64,
}

fn parts_of(row: &FileRow) -> Vec<Part> {
    serde_json::from_str(&row.parts).unwrap_or_default()
}

fn state_of(row: Option<&FileRow>, name: &str, size: u64, sha256: &str) -> FileState {
    match row {
        Some(r) if r.size as u64 == size && r.sha256 == sha256 => FileState {
            name: name.into(),
            size,
            sha256: sha256.into(),
            parts_received: if r.complete != 0 {
                Vec::new()
            } else {
                parts_of(r).iter().map(|p| p.part).collect()
            },
            parts: part_count(size),
            complete: r.complete != 0,
        },
        _ => FileState {
            name: name.into(),
            size,
            sha256: sha256.into(),
            parts_received: Vec::new(),
            parts: part_count(size),
            complete: false,
        },
    }
}

fn find(db: &Db, result: i64, name: &str) -> Result<Option<FileRow>, ApiError> {
    db.first(
        &format!("SELECT {FILE_COLUMNS} FROM result_files WHERE result_id = ? AND name = ?"),
        vec![result.into(), name.to_string().into()],
    )
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// The result of a job this agent holds.
fn result_of(db: &Db, agent: Id, job: u64) -> Result<i64, ApiError> {
    let job = held(db, agent, Id(job))?;
    let id: i64 = job
        .result_id
        .as_deref()
        .and_then(|r| r.parse().ok())
        .ok_or_else(|| ApiError::Conflict("the job has not started: no result yet".into()))?;
    lifecycle::find(db, Id(id as u64))?;
    Ok(id)
}

fn check_file(name: &str, size: u64, sha256: &str, max_bytes: u64) -> Result<(), ApiError> {
    if let Some(why) = file_name_problem(name) {
        return Err(ApiError::invalid(format!(
            "invalid file name \"{}\": {why}",
            name.escape_debug()
        )));
    }
    if !is_sha256(sha256) {
        return Err(ApiError::invalid("sha256 must be 64 lower-case hex digits"));
    }
    if size > max_bytes {
        return Err(ApiError::TooLarge(
            usize::try_from(max_bytes).unwrap_or(usize::MAX),
        ));
    }
    Ok(())
}

/// A file's old version goes to R2's garbage (deleted, or its upload aborted, by the store's
/// collector).
fn condemn(db: &Db, old: &FileRow) -> Result<(), ApiError> {
    db.exec(
        "INSERT OR IGNORE INTO r2_garbage (key, upload_id) VALUES (?, ?)",
        vec![
            old.key.clone().into(),
            old.upload_id.clone().unwrap_or_default().into(),
        ],
    )
}

/// Room for `req` in the result: its bytes with the others' within `max_bytes`, and (a new
/// name) a file more within `MAX_RESULT_FILES`.
fn check_room(
    db: &Db,
    result: i64,
    req: &Begin,
    new_name: bool,
    max_bytes: u64,
) -> Result<(), ApiError> {
    let others = db.int(
        "SELECT coalesce(sum(size), 0) FROM result_files WHERE result_id = ? AND name != ?",
        vec![result.into(), req.name.clone().into()],
    )?;
    if others as u64 + req.size > max_bytes {
        return Err(ApiError::TooLarge(
            usize::try_from(max_bytes).unwrap_or(usize::MAX),
        ));
    }
    if new_name
        && db.int(
            "SELECT count(*) FROM result_files WHERE result_id = ?",
            vec![result.into()],
        )? as u64
            >= MAX_RESULT_FILES
    {
        return Err(ApiError::invalid(format!(
            "a result holds at most {MAX_RESULT_FILES} files"
        )));
    }
    Ok(())
}

pub fn begin(db: &Db, ctx: &Ctx, agent: Id, max_bytes: u64) -> Result<Reply, ApiError> {
    let req: Begin = ctx.json()?;
    let result = result_of(db, agent, req.job)?;
    check_file(&req.name, req.size, &req.sha256, max_bytes)?;
    if req.part == 0 || req.part > part_count(req.size) {
        return Err(ApiError::invalid(format!(
            "part must be 1 to {} for a file of {} bytes",
            part_count(req.size),
            req.size
        )));
    }
    let row = find(db, result, &req.name)?;
    if let Some(r) = row
        .as_ref()
        .filter(|r| r.size as u64 == req.size && r.sha256 == req.sha256)
    {
        let have = r.complete != 0 || parts_of(r).iter().any(|p| p.part == req.part);
        return http::data(&BeginReply {
            result: result as u64,
            state: state_of(Some(r), &req.name, req.size, &req.sha256),
            key: r.key.clone(),
            upload_id: r.upload_id.clone(),
            store: !have,
        });
    }
    // A new file or a new version of one: within the caps?
    check_room(db, result, &req, row.is_none(), max_bytes)?;
    if let Some(old) = &row {
        condemn(db, old)?;
    }
    let key = file_key(&ctx.lab, result as u64, &req.sha256, &req.name);
    let t = us(now());
    db.exec(
        "INSERT INTO result_files (result_id, name, size, sha256, key, upload_id, parts, crc32,
         complete, modified) VALUES (?, ?, ?, ?, ?, NULL, '[]', 0, 0, ?)
         ON CONFLICT (result_id, name) DO UPDATE SET size = excluded.size,
         sha256 = excluded.sha256, key = excluded.key, upload_id = NULL, parts = '[]', crc32 = 0,
         complete = 0, modified = excluded.modified",
        vec![
            result.into(),
            req.name.clone().into(),
            (req.size as i64).into(),
            req.sha256.clone().into(),
            key.clone().into(),
            t.into(),
        ],
    )?;
    refresh_totals(db, result, t)?;
    http::data(&BeginReply {
        result: result as u64,
        state: state_of(None, &req.name, req.size, &req.sha256),
        key,
        upload_id: None,
        store: true,
    })
}

/// A new file, or a new version of one: within the caps? The old version's bytes are queued
/// for deletion. Returns the new version's R2 key.
fn new_version(
    db: &Db,
    lab: &labrelay_api::labs::LabRef,
    result: i64,
    old: Option<&FileRow>,
    file: &Whole,
    max_bytes: u64,
) -> Result<String, ApiError> {
    let (name, size, sha256) = (file.name.as_str(), file.size, file.sha256.as_str());
    #[derive(Deserialize)]
    struct Totals {
        reserved: i64,
        file_rows: i64,
    }
    let totals: Totals = db
        .first(
            "SELECT reserved, file_rows FROM results WHERE id = ?",
            vec![result.into()],
        )?
        .ok_or(ApiError::NotFound("result"))?;
    let others = totals.reserved - old.map_or(0, |o| o.size);
    if others.max(0) as u64 + size > max_bytes {
        return Err(ApiError::TooLarge(
            usize::try_from(max_bytes).unwrap_or(usize::MAX),
        ));
    }
    if old.is_none() && totals.file_rows.max(0) as u64 >= MAX_RESULT_FILES {
        return Err(ApiError::invalid(format!(
            "a result holds at most {MAX_RESULT_FILES} files"
        )));
    }
    let key = file_key(lab, result as u64, sha256, name);
    if let Some(old) = old.filter(|o| o.key != key || o.upload_id.is_some()) {
        condemn(db, old)?;
    }
    Ok(key)
}

/// `internal::HOLDS`: the result of a job this agent holds.
pub fn holds(db: &Db, ctx: &Ctx, agent: Id) -> Result<Reply, ApiError> {
    let req: Holds = ctx.json()?;
    let result = result_of(db, agent, req.job)?;
    http::data(&HoldsReply {
        result: result as u64,
    })
}

/// A one-part file the entry already put in R2 (see `internal::Whole`).
pub fn whole(db: &Db, ctx: &Ctx, agent: Id, max_bytes: u64) -> Result<Reply, ApiError> {
    let req: Whole = ctx.json()?;
    let result = result_of(db, agent, req.job)?;
    let state = store_whole(db, &ctx.lab, result, &req, max_bytes)?;
    lifecycle::bump(db, result, us(now()))?;
    http::data(&state)
}

/// Many one-part files the entry already put in R2: each recorded or refused on its own.
pub fn whole_batch(db: &Db, ctx: &Ctx, agent: Id, max_bytes: u64) -> Result<Reply, ApiError> {
    let req: WholeBatch = ctx.json()?;
    let result = result_of(db, agent, req.job)?;
    if req.files.len() > labrelay_api::results::BATCH_FILES {
        return Err(ApiError::invalid("too many files in one batch"));
    }
    let outcomes: Vec<BatchOutcome> = req
        .files
        .iter()
        .map(|f| match store_whole(db, &ctx.lab, result, f, max_bytes) {
            Ok(state) => BatchOutcome {
                name: f.name.clone(),
                state: Some(state),
                error: None,
                status: 200,
            },
            Err(e) => BatchOutcome {
                name: f.name.clone(),
                state: None,
                status: e.status(),
                error: Some(e.to_string()),
            },
        })
        .collect();
    lifecycle::bump(db, result, us(now()))?;
    http::data(&outcomes)
}

/// Records one whole file of `result` whose bytes are under its key in R2.
fn store_whole(
    db: &Db,
    lab: &labrelay_api::labs::LabRef,
    result: i64,
    req: &Whole,
    max_bytes: u64,
) -> Result<FileState, ApiError> {
    check_file(&req.name, req.size, &req.sha256, max_bytes)?;
    if part_count(req.size) != 1 {
        return Err(ApiError::invalid("only a one-part file is sent whole"));
    }
    let row = find(db, result, &req.name)?;
    if let Some(r) = row
        .as_ref()
        .filter(|r| r.size as u64 == req.size && r.sha256 == req.sha256 && r.complete != 0)
    {
        return Ok(state_of(Some(r), &req.name, req.size, &req.sha256));
    }
    let key = new_version(db, lab, result, row.as_ref(), req, max_bytes)?;
    let t = us(now());
    db.exec(
        "INSERT INTO result_files (result_id, name, size, sha256, key, upload_id, parts, crc32,
         complete, modified) VALUES (?, ?, ?, ?, ?, NULL, '[]', ?, 1, ?)
         ON CONFLICT (result_id, name) DO UPDATE SET size = excluded.size,
         sha256 = excluded.sha256, key = excluded.key, upload_id = NULL, parts = '[]',
         crc32 = excluded.crc32, complete = 1, modified = excluded.modified",
        vec![
            result.into(),
            req.name.clone().into(),
            (req.size as i64).into(),
            req.sha256.clone().into(),
            key.into(),
            i64::from(req.crc32).into(),
            t.into(),
        ],
    )?;
    Ok(state_of(
        find(db, result, &req.name)?.as_ref(),
        &req.name,
        req.size,
        &req.sha256,
    ))
}

/// A part of a multipart file belongs to the upload under way.
fn same_upload(req: &Commit, row: &FileRow) -> Result<(), ApiError> {
    match (&row.upload_id, &req.upload_id) {
        (Some(have), Some(got)) if have != got => Err(ApiError::Conflict(format!(
            "{}: another upload of this file is under way: retry",
            req.name
        ))),
        (_, None) => Err(ApiError::invalid("a multipart part needs its upload id")),
        _ => Ok(()),
    }
}

/// What the entry needs to complete a multipart upload in R2.
fn assemble(r: &FileRow, parts: &[Part]) -> Assemble {
    Assemble {
        key: r.key.clone(),
        upload_id: r.upload_id.clone().unwrap_or_default(),
        parts: parts
            .iter()
            .map(|p| {
                (
                    u16::try_from(p.part).unwrap_or(u16::MAX),
                    p.etag.clone(),
                    p.crc32,
                    p.len,
                )
            })
            .collect(),
    }
}

pub fn commit(db: &Db, ctx: &Ctx, agent: Id) -> Result<Reply, ApiError> {
    let req: Commit = ctx.json()?;
    let result = result_of(db, agent, req.job)?;
    let row = find(db, result, &req.name)?
        .filter(|r| r.size as u64 == req.size && r.sha256 == req.sha256)
        .ok_or_else(|| {
            ApiError::Conflict(format!(
                "{} changed while it was sent: start over",
                req.name
            ))
        })?;
    let multipart = part_count(req.size) > 1;
    if multipart {
        same_upload(&req, &row)?;
    }
    let mut parts = parts_of(&row);
    parts.retain(|p| p.part != req.part);
    parts.push(Part {
        part: req.part,
        etag: req.etag.clone(),
        crc32: req.crc32,
        len: req.len,
    });
    parts.sort_by_key(|p| p.part);
    let all_in = parts.len() as u32 == part_count(req.size);
    let t = us(now());
    let complete = all_in && !multipart;
    db.exec(
        "UPDATE result_files SET parts = ?, upload_id = ?, complete = ?, crc32 = ?, modified = ?
         WHERE result_id = ? AND name = ?",
        vec![
            serde_json::to_string(&parts)
                .unwrap_or_else(|_| "[]".into())
                .into(),
            req.upload_id.clone().or(row.upload_id.clone()).into(),
            i64::from(complete).into(),
            i64::from(if complete { req.crc32 } else { 0 }).into(),
            t.into(),
            result.into(),
            req.name.clone().into(),
        ],
    )?;
    if complete {
        refresh_totals(db, result, t)?;
    }
    let row = find(db, result, &req.name)?;
    let assemble = match (all_in && multipart, &row) {
        (true, Some(r)) => Some(assemble(r, &parts)),
        _ => None,
    };
    http::data(&CommitReply {
        state: state_of(row.as_ref(), &req.name, req.size, &req.sha256),
        assemble,
    })
}

pub fn complete(db: &Db, ctx: &Ctx, agent: Id) -> Result<Reply, ApiError> {
    let req: Complete = ctx.json()?;
    let result = result_of(db, agent, req.job)?;
    let row = find(db, result, &req.name)?
        .filter(|r| r.sha256 == req.sha256)
        .ok_or_else(|| {
            ApiError::Conflict(format!(
                "{} changed while it was sent: start over",
                req.name
            ))
        })?;
    let t = us(now());
    if req.ok {
        db.exec(
            "UPDATE result_files SET complete = 1, crc32 = ?, parts = '[]', modified = ?
             WHERE id = ?",
            vec![i64::from(req.crc32).into(), t.into(), row.id.into()],
        )?;
    } else {
        db.exec(
            "INSERT OR IGNORE INTO r2_garbage (key, upload_id) VALUES (?, '')",
            vec![row.key.clone().into()],
        )?;
        db.exec(
            "UPDATE result_files SET complete = 0, parts = '[]', upload_id = NULL WHERE id = ?",
            vec![row.id.into()],
        )?;
    }
    refresh_totals(db, result, t)?;
    let row = find(db, result, &req.name)?;
    http::data(&state_of(
        row.as_ref(),
        &req.name,
        row.as_ref().map_or(0, |r| r.size as u64),
        &req.sha256,
    ))
}

/// `GET agent/jobs/{id}/files/{name}?size=&sha256=` (through the entry).
pub fn state(db: &Db, ctx: &Ctx, agent: Id) -> Result<Reply, ApiError> {
    let req: Begin = ctx.json()?;
    let result = result_of(db, agent, req.job)?;
    check_file(&req.name, req.size, &req.sha256, u64::MAX)?;
    let row = find(db, result, &req.name)?;
    http::data(&state_of(row.as_ref(), &req.name, req.size, &req.sha256))
}

/// A change to the result's files: its totals follow by trigger (see `schema`); readers
/// following `?updates` hear of it.
fn refresh_totals(db: &Db, result: i64, now_us: i64) -> Result<(), ApiError> {
    lifecycle::bump(db, result, now_us).map(drop)
}

/// Where a complete file of the result is, by name (a test's log), if it is there.
pub(super) fn complete_file(db: &Db, result: i64, name: &str) -> Result<Option<Located>, ApiError> {
    Ok(find(db, result, name)?
        .filter(|r| r.complete != 0)
        .map(|r| located(&r)))
}

fn located(r: &FileRow) -> Located {
    Located {
        key: r.key.clone(),
        name: r.name.clone(),
        size: r.size.max(0) as u64,
        sha256: r.sha256.clone(),
        crc32: u32::try_from(r.crc32).unwrap_or(0),
        modified: from_micros(r.modified),
    }
}

/// Which stored file a user asks for: by name, a test's log, or a test's capture.
pub fn locate(db: &Db, ctx: &Ctx) -> Result<Reply, ApiError> {
    let req: Locate = ctx.json()?;
    let result = Id(req.result);
    lifecycle::find(db, result)?;
    let row = match (&req.name, req.seq, &req.interface) {
        (Some(name), _, _) => find(db, result.as_i64(), name)?
            .filter(|r| r.complete != 0)
            .ok_or(ApiError::NotFound("file"))?,
        (None, Some(seq), Some(interface)) => {
            let test = find_test(db, result, Id(seq))?;
            captures_of(db, &test)?
                .into_iter()
                .find(|(i, _)| i == interface)
                .map(|(_, f)| f)
                .ok_or(ApiError::NotFound("capture"))?
        }
        (None, Some(seq), None) => {
            let test = find_test(db, result, Id(seq))?;
            if test.log.is_empty() {
                return Err(ApiError::NotFound("log"));
            }
            find(db, result.as_i64(), &test.log)?
                .filter(|r| r.complete != 0)
                .ok_or(ApiError::NotFound("log"))?
        }
        _ => return Err(ApiError::invalid("locate needs a name or a test")),
    };
    http::data(&located(&row))
}

/// Every complete file of a result, for an archive.
pub fn archive(db: &Db, ctx: &Ctx) -> Result<Reply, ApiError> {
    let req: ArchiveRequest = ctx.json()?;
    lifecycle::find(db, Id(req.result))?;
    let rows: Vec<FileRow> = db.rows(
        &format!(
            "SELECT {FILE_COLUMNS} FROM result_files WHERE result_id = ? AND complete = 1 ORDER BY name"
        ),
        vec![(req.result as i64).into()],
    )?;
    let files = rows
        .iter()
        .filter(|r| !(req.exclude_captures && r.name.ends_with(".cap")))
        .map(located)
        .collect();
    http::data(&ArchiveList { files })
}

/// `GET results/{id}/logdir/`: the result directory, every file (filter and sort apply;
/// CDRouter answers this list whole, without paging).
pub fn logdir(db: &Db, ctx: &Ctx, result: Id) -> Result<Reply, ApiError> {
    lifecycle::find(db, result)?;
    let mut q = ListQuery::parse(&ctx.query, &LOGDIR_SCHEMA)?;
    q.page = PageRequest {
        page: 1,
        limit: None,
    };
    let plan = scoped(q.plan(), result.as_i64());
    let plan = labrelay_api::query::Plan {
        where_sql: format!("complete = 1 AND {}", plan.where_sql),
        ..plan
    };
    let (rows, _) = list::page::<FileRow>(db, &TABLE, &plan, &q.order_by_sql("name ASC"), &q.page)?;
    let items: Vec<_> = rows.iter().map(FileRow::to_wire).collect();
    http::data(&items)
}
