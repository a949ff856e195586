//! An agent's file parts: `PUT /api/v1/agent/jobs/{id}/files/{name}?size=S&sha256=H&part=P
//! &part_sha256=h` with the part's bytes. The part's length and checksum are checked before
//! the store hears of it; the store then checks the agent, the job, the name and the caps
//! (`internal::BEGIN`) before a byte goes to R2; the last part of a multi-part file completes
//! R2's multipart upload and the whole file's checksum is checked as it streams back.
//!
//! Most files of a result are small and one part: once the store has said this token holds
//! this job ([`held`](super::held)), the next one-part files of the job go with a single
//! store call (`internal::WHOLE`) after the bytes are in R2; the store checks everything
//! again, and if it refuses the bytes are deleted at once.

use super::digest::{sha256, sha256_of_stream};
use super::{bearer, bucket, data, held, number, param, r2};
use crate::body::{collect, declared_length};
use crate::internal::{
    file_key, Assemble, Begin, BeginReply, Commit, CommitReply, Complete, Whole, BEGIN, COMMIT,
    COMPLETE, STATE, WHOLE,
};
use crate::labs::Target;
use crate::store_call::{call, Refused};
use labrelay_api::error::ApiError;
use labrelay_api::results::{part_count, FileState, FILE_PART_BYTES};
use worker::{Bucket, Request, Response, ResponseBody, UploadedPart};

struct FileParams {
    job: u64,
    name: String,
    size: u64,
    sha256: String,
}

impl FileParams {
    /// What the store is asked about part `part` of the file (0: the file as a whole).
    fn begin(&self, part: u32) -> Begin {
        Begin {
            job: self.job,
            name: self.name.clone(),
            size: self.size,
            sha256: self.sha256.clone(),
            part,
        }
    }

    /// The store's record of part `part`, its bytes' figures and place yet to fill in.
    fn commit(&self, part: u32) -> Commit {
        Commit {
            job: self.job,
            name: self.name.clone(),
            size: self.size,
            sha256: self.sha256.clone(),
            part,
            etag: String::new(),
            crc32: 0,
            len: 0,
            upload_id: None,
        }
    }

    /// The store's record of the file, whole (one part), with its bytes' CRC-32.
    fn whole(&self, crc32: u32) -> Whole {
        Whole {
            job: self.job,
            name: self.name.clone(),
            size: self.size,
            sha256: self.sha256.clone(),
            crc32,
        }
    }
}

pub fn is_sha256(s: &str) -> bool {
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

/// `GET`: what the server holds of this exact file.
pub async fn state(req: &Request, to: &Target, job: &str, name: &str) -> Result<Response, Refused> {
    let f = file_params(req, job, name)?;
    let state: FileState = call(to, STATE, bearer(req).as_deref(), &f.begin(0)).await?;
    data(&state)
}

fn unreadable(e: worker::Error) -> ApiError {
    ApiError::invalid(format!("unreadable body: {e}"))
}

/// Reads exactly `want` bytes of body; more or fewer is a 400, and more is never buffered.
async fn read_part(req: &mut Request, want: u64, what: &str) -> Result<Vec<u8>, ApiError> {
    if let Some(len) = declared_length(req).filter(|len| *len != want) {
        return Err(ApiError::invalid(format!(
            "{what} must be {want} bytes, not {len}"
        )));
    }
    let longer = || ApiError::invalid(format!("{what} must be {want} bytes: the body is longer"));
    let body = collect(req.stream().map_err(unreadable)?, want, longer).await?;
    if body.len() as u64 != want {
        return Err(ApiError::invalid(format!(
            "{what} must be {want} bytes, not {}",
            body.len()
        )));
    }
    Ok(body)
}

/// The whole body, refused (413) past `limit` bytes without reading further.
pub async fn read_bounded(req: &mut Request, limit: u64) -> Result<Vec<u8>, ApiError> {
    let too_big = || ApiError::TooLarge(usize::try_from(limit).unwrap_or(usize::MAX));
    if declared_length(req).is_some_and(|len| len > limit) {
        return Err(too_big());
    }
    collect(req.stream().map_err(unreadable)?, limit, too_big).await
}

/// The part a `PUT` sends (`part`, 1 to the file's number of parts) and its checksum
/// (`part_sha256`, the file's own for a one-part file).
fn part_params(req: &Request, f: &FileParams) -> Result<(u32, String), ApiError> {
    let parts = part_count(f.size);
    let part: u32 = param(req, "part")
        .and_then(|p| p.parse().ok())
        .filter(|p| (1..=parts).contains(p))
        .ok_or_else(|| {
            ApiError::invalid(format!(
                "part must be 1 to {parts} for a file of {} bytes",
                f.size
            ))
        })?;
    let part_sha = param(req, "part_sha256").unwrap_or_else(|| f.sha256.clone());
    if !is_sha256(&part_sha) || (parts == 1 && part_sha != f.sha256) {
        return Err(ApiError::invalid(
            "part_sha256 must be 64 lower-case hex digits (the file's sha256 for a one-part file)",
        ));
    }
    Ok((part, part_sha))
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
    let (part, part_sha) = part_params(&req, &f)?;
    let start = u64::from(part - 1) * FILE_PART_BYTES;
    let want = FILE_PART_BYTES.min(f.size - start);
    let what = format!("part {part} of {}", f.name);
    // Auth first: a stranger's body is never read.
    let auth = bearer(&req);
    if let (1, Some(a)) = (parts, auth.as_deref()) {
        if let Some(result) = held::result(a, f.job) {
            return put_whole(&mut req, to, a, &f, result, want, &what).await;
        }
    }
    let begin: BeginReply = call(to, BEGIN, auth.as_deref(), &f.begin(part)).await?;
    if let Some(a) = auth.as_deref() {
        held::remember(a, f.job, begin.result);
    }
    if !begin.store {
        return data(&begin.state);
    }
    let body = read_part(&mut req, want, &what).await?;
    if sha256(&body).await? != part_sha {
        return Err(ApiError::invalid(format!(
            "checksum mismatch: {what} is not what part_sha256 says"
        ))
        .into());
    }
    let commit = Commit {
        crc32: crc32fast::hash(&body),
        len: body.len() as u64,
        ..f.commit(part)
    };
    let bucket = bucket(to)?;
    let stored = store_part(&bucket, &begin, parts, part, body).await?;
    let reply = commit_part(to, &bucket, auth.as_deref(), &begin.key, stored, commit).await?;
    match reply.assemble {
        None => data(&reply.state),
        Some(a) => assemble(to, &bucket, auth.as_deref(), &f, a).await,
    }
}

/// A part in R2: its etag, and the multipart upload it is in (`started`: begun by this part).
struct Stored {
    etag: String,
    upload_id: Option<String>,
    started: bool,
}

/// Puts a part's bytes in R2: a one-part file as its object, another part into the file's
/// multipart upload (begun by its first part to arrive).
async fn store_part(
    bucket: &Bucket,
    begin: &BeginReply,
    parts: u32,
    part: u32,
    body: Vec<u8>,
) -> Result<Stored, ApiError> {
    if parts == 1 {
        let obj = bucket
            .put(begin.key.clone(), body)
            .execute()
            .await
            .map_err(r2)?;
        return Ok(Stored {
            etag: obj.map(|o| o.etag()).unwrap_or_default(),
            upload_id: None,
            started: false,
        });
    }
    let key = begin.key.clone();
    let (upload, started) = match &begin.upload_id {
        Some(id) => (
            bucket
                .resume_multipart_upload(key, id.clone())
                .map_err(r2)?,
            false,
        ),
        None => (
            bucket
                .create_multipart_upload(key)
                .execute()
                .await
                .map_err(r2)?,
            true,
        ),
    };
    let number = u16::try_from(part).map_err(|_| ApiError::invalid("too many parts"))?;
    let uploaded = upload.upload_part(number, body).await.map_err(r2)?;
    Ok(Stored {
        etag: uploaded.etag(),
        upload_id: Some(upload.upload_id().await),
        started,
    })
}

/// Tells the store the part is in R2; if it refuses, a multipart upload this part began is
/// aborted (another upload of this file won the race).
async fn commit_part(
    to: &Target,
    bucket: &Bucket,
    auth: Option<&str>,
    key: &str,
    stored: Stored,
    commit: Commit,
) -> Result<CommitReply, Refused> {
    let commit = Commit {
        etag: stored.etag,
        upload_id: stored.upload_id.clone(),
        ..commit
    };
    let refused = match call(to, COMMIT, auth, &commit).await {
        Ok(reply) => return Ok(reply),
        Err(e) => e,
    };
    if let (true, Some(id)) = (stored.started, stored.upload_id) {
        if let Ok(u) = bucket.resume_multipart_upload(key.to_string(), id) {
            let _ = u.abort().await;
        }
    }
    Err(refused)
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
    bucket.put(key.clone(), body).execute().await.map_err(r2)?;
    match call::<_, FileState>(to, WHOLE, Some(auth), &f.whole(crc32)).await {
        Ok(state) => data(&state),
        Err(refused) => {
            held::forget(auth, f.job);
            let _ = bucket.delete(key).await;
            Err(refused)
        }
    }
}

/// All parts are in: complete the multipart upload and check the whole file's SHA-256.
async fn assemble(
    to: &Target,
    bucket: &Bucket,
    auth: Option<&str>,
    f: &FileParams,
    a: Assemble,
) -> Result<Response, Refused> {
    let upload = bucket
        .resume_multipart_upload(a.key.clone(), a.upload_id.clone())
        .map_err(r2)?;
    let parts: Vec<UploadedPart> = a
        .parts
        .iter()
        .map(|(n, etag, _, _)| UploadedPart::new(*n, etag.clone()))
        .collect();
    upload.complete(parts).await.map_err(r2)?;
    let (got, size) = stored_sha256(bucket, &a.key).await?;
    let ok_sum = got == f.sha256 && size == f.size;
    let complete = Complete {
        job: f.job,
        name: f.name.clone(),
        sha256: f.sha256.clone(),
        ok: ok_sum,
        crc32: combined_crc32(&a.parts),
    };
    let state: FileState = call(to, COMPLETE, auth, &complete).await?;
    if !ok_sum {
        return Err(ApiError::invalid(format!(
            "checksum mismatch: {} as assembled is not what sha256 says: send it again",
            f.name
        ))
        .into());
    }
    data(&state)
}

/// The SHA-256 and size of an object in R2, read as it streams by.
async fn stored_sha256(bucket: &Bucket, key: &str) -> Result<(String, u64), ApiError> {
    let obj = bucket
        .get(key.to_string())
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
    Ok((got, obj.size()))
}

/// The whole file's CRC-32 from its parts' (number, etag, crc32, length), in order.
fn combined_crc32(parts: &[(u16, String, u32, u64)]) -> u32 {
    let crc = parts
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
    crc.map_or(0, |h| h.finalize())
}
