//! An agent's file parts: `PUT /api/v1/agent/jobs/{id}/files/{name}?size=S&sha256=H&part=P
//! &part_sha256=h` with the part's bytes. The part's length and checksum are checked before
//! the store hears of it; the store then checks the agent, the job, the name and the caps
//! (`internal::BEGIN`) before a byte goes to R2; the last part of a multi-part file completes
//! R2's multipart upload and the whole file's checksum is checked as it streams back.
//!
//! Most files of a result are small and one part: once the store has said this token holds
//! this job, the entry remembers it for [`HELD_MS`] and sends the next one-part files of the
//! job with a single store call (`internal::WHOLE`) after the bytes are in R2; the store
//! checks everything again, and if it refuses the bytes are deleted at once.

use super::digest::{sha256, sha256_of_stream};
use super::{bearer, bucket, number, param};
use crate::error::json_response;
use crate::internal::{
    file_key, Assemble, Begin, BeginReply, Commit, CommitReply, Complete, Holds, HoldsReply, Whole,
    WholeBatch, BEGIN, COMMIT, COMPLETE, HOLDS, STATE, WHOLE, WHOLE_BATCH,
};
use crate::labs::Target;
use crate::store_call::{call, Refused};
use futures::StreamExt;
use labrelay_api::error::ApiError;
use labrelay_api::results::{
    file_name_problem, BatchManifest, BatchOutcome, BATCH_FILES, MAX_MANIFEST,
};
use labrelay_api::results::{part_count, FileState, FILE_PART_BYTES};
use labrelay_api::Envelope;
use std::cell::RefCell;
use std::collections::HashMap;
use worker::{Request, Response, ResponseBody, UploadedPart};

/// How long the entry trusts "this token holds this job" without asking the store (ms): a
/// revoked agent can put at most this long's one-part files in R2, each deleted at once.
const HELD_MS: f64 = 60_000.0;
/// Most (token, job) pairs remembered by one isolate.
const HELD_MAX: usize = 1024;

thread_local! {
    /// (bearer, job) -> (result id, until when).
    static HELD: RefCell<HashMap<(String, u64), (u64, f64)>> = RefCell::new(HashMap::new());
}

fn held_result(auth: &str, job: u64) -> Option<u64> {
    let now = js_sys::Date::now();
    HELD.with(|h| {
        h.borrow()
            .get(&(auth.to_string(), job))
            .filter(|(_, until)| *until > now)
            .map(|(r, _)| *r)
    })
}

fn remember_held(auth: &str, job: u64, result: u64) {
    let until = js_sys::Date::now() + HELD_MS;
    HELD.with(|h| {
        let mut h = h.borrow_mut();
        if h.len() >= HELD_MAX {
            h.clear();
        }
        h.insert((auth.to_string(), job), (result, until));
    });
}

fn forget_held(auth: &str, job: u64) {
    HELD.with(|h| h.borrow_mut().remove(&(auth.to_string(), job)));
}

struct FileParams {
    job: u64,
    name: String,
    size: u64,
    sha256: String,
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

fn file_params(req: &Request, job: &str, name: &str) -> Result<FileParams, ApiError> {
    let job = number(job, "job")?;
    let size = param(req, "size")
        .and_then(|s| s.parse::<u64>().ok())
        .ok_or_else(|| ApiError::invalid("size is required: the file's size in bytes"))?;
    let sha256 = param(req, "sha256").unwrap_or_default();
    if !is_sha256(&sha256) {
        return Err(ApiError::invalid("sha256 must be 64 lower-case hex digits"));
    }
    Ok(FileParams {
        job,
        name: name.to_string(),
        size,
        sha256,
    })
}

fn ok<T: serde::Serialize>(value: &T) -> Result<Response, Refused> {
    let body = serde_json::to_vec(&Envelope {
        timestamp: crate::error::now(),
        data: value,
    })
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    json_response(200, body).map_err(|e| Refused::Error(ApiError::Internal(e.to_string())))
}

/// `GET`: what the server holds of this exact file.
pub async fn state(req: &Request, to: &Target, job: &str, name: &str) -> Result<Response, Refused> {
    let f = file_params(req, job, name)?;
    let begin = Begin {
        job: f.job,
        name: f.name,
        size: f.size,
        sha256: f.sha256,
        part: 0,
    };
    let state: FileState = call(to, STATE, bearer(req).as_deref(), &begin).await?;
    ok(&state)
}

/// Reads exactly `want` bytes of body; more or fewer is a 400, and more is never buffered.
async fn read_part(req: &mut Request, want: u64, what: &str) -> Result<Vec<u8>, ApiError> {
    if let Some(len) = req
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.parse::<u64>().ok())
    {
        if len != want {
            return Err(ApiError::invalid(format!(
                "{what} must be {want} bytes, not {len}"
            )));
        }
    }
    let mut body = Vec::with_capacity(usize::try_from(want).unwrap_or(0));
    let mut stream = req
        .stream()
        .map_err(|e| ApiError::invalid(format!("unreadable body: {e}")))?;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::invalid(format!("unreadable body: {e}")))?;
        if body.len() as u64 + chunk.len() as u64 > want {
            return Err(ApiError::invalid(format!(
                "{what} must be {want} bytes: the body is longer"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    if body.len() as u64 != want {
        return Err(ApiError::invalid(format!(
            "{what} must be {want} bytes, not {}",
            body.len()
        )));
    }
    Ok(body)
}

/// `PUT`: one part.
pub async fn put_part(
    mut req: Request,
    to: &Target,
    job: &str,
    name: &str,
) -> Result<Response, Refused> {
    let f = file_params(&req, job, name)?;
    let parts = part_count(f.size);
    let part: u32 = param(&req, "part")
        .and_then(|p| p.parse().ok())
        .filter(|p| (1..=parts).contains(p))
        .ok_or_else(|| {
            ApiError::invalid(format!(
                "part must be 1 to {parts} for a file of {} bytes",
                f.size
            ))
        })?;
    let part_sha = param(&req, "part_sha256").unwrap_or_else(|| f.sha256.clone());
    if !is_sha256(&part_sha) || (parts == 1 && part_sha != f.sha256) {
        return Err(ApiError::invalid(
            "part_sha256 must be 64 lower-case hex digits (the file's sha256 for a one-part file)",
        )
        .into());
    }
    let start = u64::from(part - 1) * FILE_PART_BYTES;
    let want = FILE_PART_BYTES.min(f.size - start);
    let what = format!("part {part} of {}", f.name);
    // Auth first: a stranger's body is never read.
    let auth = bearer(&req);
    if let (1, Some(a)) = (parts, auth.as_deref()) {
        if let Some(result) = held_result(a, f.job) {
            return put_whole(&mut req, to, a, &f, result, want, &what).await;
        }
    }
    let begin: BeginReply = call(
        to,
        BEGIN,
        auth.as_deref(),
        &Begin {
            job: f.job,
            name: f.name.clone(),
            size: f.size,
            sha256: f.sha256.clone(),
            part,
        },
    )
    .await?;
    if let Some(a) = auth.as_deref() {
        remember_held(a, f.job, begin.result);
    }
    if !begin.store {
        return ok(&begin.state);
    }
    let body = read_part(&mut req, want, &what).await?;
    if sha256(&body).await? != part_sha {
        return Err(ApiError::invalid(format!(
            "checksum mismatch: {what} is not what part_sha256 says"
        ))
        .into());
    }
    let crc = crc32fast::hash(&body);
    let len = body.len() as u64;
    let bucket = bucket(to)?;
    let r2 = |e: worker::Error| ApiError::Internal(format!("R2: {e}"));
    let (etag, upload_id, started_upload) = if parts == 1 {
        let obj = bucket
            .put(begin.key.clone(), body)
            .execute()
            .await
            .map_err(r2)?;
        (obj.map(|o| o.etag()).unwrap_or_default(), None, false)
    } else {
        let (upload, started) = match &begin.upload_id {
            Some(id) => (
                bucket
                    .resume_multipart_upload(begin.key.clone(), id.clone())
                    .map_err(r2)?,
                false,
            ),
            None => (
                bucket
                    .create_multipart_upload(begin.key.clone())
                    .execute()
                    .await
                    .map_err(r2)?,
                true,
            ),
        };
        let number = u16::try_from(part).map_err(|_| ApiError::invalid("too many parts"))?;
        let uploaded = upload.upload_part(number, body).await.map_err(r2)?;
        (uploaded.etag(), Some(upload.upload_id().await), started)
    };
    let commit = Commit {
        job: f.job,
        name: f.name.clone(),
        size: f.size,
        sha256: f.sha256.clone(),
        part,
        etag,
        crc32: crc,
        len,
        upload_id: upload_id.clone(),
    };
    let reply: CommitReply = match call(to, COMMIT, auth.as_deref(), &commit).await {
        Ok(r) => r,
        Err(e) => {
            // Another upload of this file won the race: drop ours.
            if let (true, Some(id)) = (started_upload, &upload_id) {
                if let Ok(u) = bucket.resume_multipart_upload(begin.key.clone(), id.clone()) {
                    let _ = u.abort().await;
                }
            }
            return Err(e);
        }
    };
    match reply.assemble {
        None => ok(&reply.state),
        Some(a) => assemble(to, &bucket, auth.as_deref(), &f, a).await,
    }
}

/// `POST .../files/`: many small files in one request (see `labrelay_api::results`): the
/// bytes of each checked and put in R2, then one store call records them all; the files it
/// refuses are deleted again.
pub async fn put_batch(mut req: Request, to: &Target, job: &str) -> Result<Response, Refused> {
    let job = number(job, "job")?;
    let auth = bearer(&req);
    let result = match auth.as_deref().and_then(|a| held_result(a, job)) {
        Some(r) => r,
        None => {
            let held: HoldsReply = call(to, HOLDS, auth.as_deref(), &Holds { job }).await?;
            if let Some(a) = auth.as_deref() {
                remember_held(a, job, held.result);
            }
            held.result
        }
    };
    let limit = FILE_PART_BYTES + MAX_MANIFEST as u64;
    let body = read_bounded(&mut req, limit).await?;
    let (line, mut rest) = match body.iter().position(|b| *b == b'\n') {
        Some(i) if i <= MAX_MANIFEST => (&body[..i], &body[i + 1..]),
        _ => {
            return Err(
                ApiError::invalid("a batch starts with one line of JSON: its manifest").into(),
            )
        }
    };
    let manifest: BatchManifest = serde_json::from_slice(line)
        .map_err(|e| ApiError::BadJson(format!("batch manifest: {e}")))?;
    if manifest.files.len() > BATCH_FILES {
        return Err(ApiError::invalid(format!("at most {BATCH_FILES} files in one batch")).into());
    }
    let declared = manifest
        .files
        .iter()
        .fold(0u64, |sum, f| sum.saturating_add(f.size));
    if declared != rest.len() as u64 {
        return Err(ApiError::invalid(format!(
            "the manifest declares {declared} bytes of files, the body holds {}",
            rest.len()
        ))
        .into());
    }
    let mut outcomes: Vec<BatchOutcome> = Vec::new();
    let mut accepted: Vec<(Whole, Vec<u8>)> = Vec::new();
    for f in &manifest.files {
        let (bytes, tail) = rest.split_at(
            usize::try_from(f.size)
                .unwrap_or(usize::MAX)
                .min(rest.len()),
        );
        rest = tail;
        let refuse = |why: String| BatchOutcome {
            name: f.name.clone(),
            state: None,
            error: Some(why),
            status: 400,
        };
        if let Some(why) = file_name_problem(&f.name) {
            outcomes.push(refuse(format!(
                "invalid file name \"{}\": {why}",
                f.name.escape_debug()
            )));
            continue;
        }
        if !is_sha256(&f.sha256) {
            outcomes.push(refuse(format!(
                "invalid sha256 for \"{}\"",
                f.name.escape_debug()
            )));
            continue;
        }
        if sha256(bytes).await? != f.sha256 {
            outcomes.push(refuse(format!(
                "checksum mismatch: {} is not what sha256 says",
                f.name
            )));
            continue;
        }
        accepted.push((
            Whole {
                job,
                name: f.name.clone(),
                size: f.size,
                sha256: f.sha256.clone(),
                crc32: crc32fast::hash(bytes),
            },
            bytes.to_vec(),
        ));
    }
    let bucket = bucket(to)?;
    let puts = accepted.iter().map(|(w, bytes)| {
        let key = file_key(&to.lab, result, &w.sha256, &w.name);
        let bucket = bucket.clone();
        let bytes = bytes.clone();
        async move { bucket.put(key, bytes).execute().await }
    });
    for put in futures::future::join_all(puts).await {
        put.map_err(|e| ApiError::Internal(format!("R2: {e}")))?;
    }
    let batch = WholeBatch {
        job,
        files: accepted.iter().map(|(w, _)| w.clone()).collect(),
    };
    let stored: Vec<BatchOutcome> = match call(to, WHOLE_BATCH, auth.as_deref(), &batch).await {
        Ok(s) => s,
        Err(refused) => {
            if let Some(a) = auth.as_deref() {
                forget_held(a, job);
            }
            for (w, _) in &accepted {
                let _ = bucket
                    .delete(file_key(&to.lab, result, &w.sha256, &w.name))
                    .await;
            }
            return Err(refused);
        }
    };
    for (o, (w, _)) in stored.iter().zip(&accepted) {
        if o.state.is_none() {
            let _ = bucket
                .delete(file_key(&to.lab, result, &w.sha256, &w.name))
                .await;
        }
    }
    outcomes.extend(stored);
    // In the manifest's order.
    outcomes.sort_by_key(|o| manifest.files.iter().position(|f| f.name == o.name));
    ok(&outcomes)
}

/// The whole body, refused (413) past `limit` bytes without reading further.
async fn read_bounded(req: &mut Request, limit: u64) -> Result<Vec<u8>, ApiError> {
    let too_big = || ApiError::TooLarge(usize::try_from(limit).unwrap_or(usize::MAX));
    if let Some(len) = req
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.parse::<u64>().ok())
    {
        if len > limit {
            return Err(too_big());
        }
    }
    let mut body = Vec::new();
    let mut stream = req
        .stream()
        .map_err(|e| ApiError::invalid(format!("unreadable body: {e}")))?;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::invalid(format!("unreadable body: {e}")))?;
        if body.len() as u64 + chunk.len() as u64 > limit {
            return Err(too_big());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A one-part file of a job this token was seen to hold: the bytes into R2, then one store
/// call; a refusal deletes them again.
async fn put_whole(
    req: &mut Request,
    to: &Target,
    auth: &str,
    f: &FileParams,
    result: u64,
    want: u64,
    what: &str,
) -> Result<Response, Refused> {
    let body = read_part(req, want, what).await?;
    if sha256(&body).await? != f.sha256 {
        return Err(ApiError::invalid(format!(
            "checksum mismatch: {what} is not what sha256 says"
        ))
        .into());
    }
    let crc32 = crc32fast::hash(&body);
    let key = file_key(&to.lab, result, &f.sha256, &f.name);
    let bucket = bucket(to)?;
    bucket
        .put(key.clone(), body)
        .execute()
        .await
        .map_err(|e| ApiError::Internal(format!("R2: {e}")))?;
    let whole = Whole {
        job: f.job,
        name: f.name.clone(),
        size: f.size,
        sha256: f.sha256.clone(),
        crc32,
    };
    match call::<_, FileState>(to, WHOLE, Some(auth), &whole).await {
        Ok(state) => ok(&state),
        Err(refused) => {
            forget_held(auth, f.job);
            let _ = bucket.delete(key).await;
            Err(refused)
        }
    }
}

/// All parts are in: complete the multipart upload and check the whole file's SHA-256.
async fn assemble(
    to: &Target,
    bucket: &worker::Bucket,
    auth: Option<&str>,
    f: &FileParams,
    a: Assemble,
) -> Result<Response, Refused> {
    let r2 = |e: worker::Error| ApiError::Internal(format!("R2: {e}"));
    let upload = bucket
        .resume_multipart_upload(a.key.clone(), a.upload_id.clone())
        .map_err(r2)?;
    let parts: Vec<UploadedPart> = a
        .parts
        .iter()
        .map(|(n, etag, _, _)| UploadedPart::new(*n, etag.clone()))
        .collect();
    upload.complete(parts).await.map_err(r2)?;
    let obj = bucket
        .get(a.key.clone())
        .execute()
        .await
        .map_err(r2)?
        .ok_or_else(|| ApiError::Internal("R2: the assembled file is not there".into()))?;
    let body = obj
        .body()
        .ok_or_else(|| ApiError::Internal("R2: the assembled file has no body".into()))?
        .response_body()
        .map_err(r2)?;
    let got = match body {
        ResponseBody::Stream(s) => sha256_of_stream(&s).await?,
        ResponseBody::Body(b) => sha256(&b).await?,
        ResponseBody::Empty => sha256(&[]).await?,
    };
    let size_ok = obj.size() == f.size;
    let ok_sum = got == f.sha256 && size_ok;
    let crc = a
        .parts
        .iter()
        .fold(None::<crc32fast::Hasher>, |acc, (_, _, c, len)| {
            let next = crc32fast::Hasher::new_with_initial_len(*c, *len);
            Some(match acc {
                None => next,
                Some(mut h) => {
                    h.combine(&next);
                    h
                }
            })
        });
    let crc32 = crc.map_or(0, |h| h.finalize());
    let state: FileState = call(
        to,
        COMPLETE,
        auth,
        &Complete {
            job: f.job,
            name: f.name.clone(),
            sha256: f.sha256.clone(),
            ok: ok_sum,
            crc32,
        },
    )
    .await?;
    if !ok_sum {
        return Err(ApiError::invalid(format!(
            "checksum mismatch: {} as assembled is not what sha256 says: send it again",
            f.name
        ))
        .into());
    }
    ok(&state)
}
