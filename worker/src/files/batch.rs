//! `POST /api/v1/agent/jobs/{id}/files/`: many small files in one request (see
//! `labrelay_api::results`): the bytes of each checked and put in R2, then one store call
//! records them all; the files it refuses are deleted again.

use super::digest::sha256;
use super::upload::{is_sha256, read_bounded};
use super::{bearer, bucket, data, held, number, r2};
use crate::internal::{file_key, Holds, HoldsReply, Whole, WholeBatch, HOLDS, WHOLE_BATCH};
use crate::labs::Target;
use crate::store_call::{call, Refused};
use labrelay_api::error::ApiError;
use labrelay_api::results::{file_name_problem, BatchFile, BatchManifest, BatchOutcome};
use labrelay_api::results::{BATCH_FILES, FILE_PART_BYTES, MAX_MANIFEST};
use worker::{Bucket, Request, Response};

/// A file of the batch whose bytes are what its line says: to put in R2 and record.
type Accepted = (Whole, Vec<u8>);

pub async fn put_batch(mut req: Request, to: &Target, job: &str) -> Result<Response, Refused> {
    let job = number(job, "job")?;
    let auth = bearer(&req);
    let result = holds(to, auth.as_deref(), job).await?;
    let limit = FILE_PART_BYTES + MAX_MANIFEST as u64;
    let body = read_bounded(&mut req, limit).await?;
    let (manifest, rest) = manifest(&body)?;
    let (mut outcomes, accepted) = check(&manifest, rest, job).await?;
    let bucket = bucket(to)?;
    let key = |w: &Whole| file_key(&to.lab, result, &w.sha256, &w.name);
    let puts = accepted.iter().map(|(w, bytes)| {
        let (bucket, key, bytes) = (bucket.clone(), key(w), bytes.clone());
        async move { bucket.put(key, bytes).execute().await }
    });
    for put in futures::future::join_all(puts).await {
        put.map_err(r2)?;
    }
    let batch = WholeBatch {
        job,
        files: accepted.iter().map(|(w, _)| w.clone()).collect(),
    };
    let stored: Vec<BatchOutcome> = match call(to, WHOLE_BATCH, auth.as_deref(), &batch).await {
        Ok(s) => s,
        Err(refused) => {
            if let Some(a) = auth.as_deref() {
                held::forget(a, job);
            }
            delete(&bucket, accepted.iter().map(|(w, _)| key(w))).await;
            return Err(refused);
        }
    };
    let refused = stored
        .iter()
        .zip(&accepted)
        .filter(|(o, _)| o.state.is_none());
    delete(&bucket, refused.map(|(_, (w, _))| key(w))).await;
    outcomes.extend(stored);
    // In the manifest's order.
    outcomes.sort_by_key(|o| manifest.files.iter().position(|f| f.name == o.name));
    data(&outcomes)
}

/// The result of the job this token holds: remembered, or asked of the store.
async fn holds(to: &Target, auth: Option<&str>, job: u64) -> Result<u64, Refused> {
    if let Some(r) = auth.and_then(|a| held::result(a, job)) {
        return Ok(r);
    }
    let reply: HoldsReply = call(to, HOLDS, auth, &Holds { job }).await?;
    if let Some(a) = auth {
        held::remember(a, job, reply.result);
    }
    Ok(reply.result)
}

/// The batch's manifest (its first line) and the files' bytes after it.
fn manifest(body: &[u8]) -> Result<(BatchManifest, &[u8]), ApiError> {
    let (line, rest) = match body.iter().position(|b| *b == b'\n') {
        Some(i) if i <= MAX_MANIFEST => (&body[..i], &body[i + 1..]),
        _ => {
            return Err(ApiError::invalid(
                "a batch starts with one line of JSON: its manifest",
            ))
        }
    };
    let manifest: BatchManifest = serde_json::from_slice(line)
        .map_err(|e| ApiError::BadJson(format!("batch manifest: {e}")))?;
    if manifest.files.len() > BATCH_FILES {
        return Err(ApiError::invalid(format!(
            "at most {BATCH_FILES} files in one batch"
        )));
    }
    let declared = manifest
        .files
        .iter()
        .fold(0u64, |sum, f| sum.saturating_add(f.size));
    if declared != rest.len() as u64 {
        return Err(ApiError::invalid(format!(
            "the manifest declares {declared} bytes of files, the body holds {}",
            rest.len()
        )));
    }
    Ok((manifest, rest))
}

/// Each file's bytes cut from `rest` and checked: the refused with why, and the accepted.
async fn check(
    manifest: &BatchManifest,
    mut rest: &[u8],
    job: u64,
) -> Result<(Vec<BatchOutcome>, Vec<Accepted>), ApiError> {
    let mut outcomes = Vec::new();
    let mut accepted = Vec::new();
    for f in &manifest.files {
        let size = usize::try_from(f.size).unwrap_or(usize::MAX);
        let (bytes, tail) = rest.split_at(size.min(rest.len()));
        rest = tail;
        match problem(f, bytes).await? {
            Some(why) => outcomes.push(BatchOutcome {
                name: f.name.clone(),
                state: None,
                error: Some(why),
                status: 400,
            }),
            None => accepted.push((
                Whole {
                    job,
                    name: f.name.clone(),
                    size: f.size,
                    sha256: f.sha256.clone(),
                    crc32: crc32fast::hash(bytes),
                },
                bytes.to_vec(),
            )),
        }
    }
    Ok((outcomes, accepted))
}

/// Why a file of the batch is refused (its name, its checksum), if it is.
async fn problem(f: &BatchFile, bytes: &[u8]) -> Result<Option<String>, ApiError> {
    if let Some(why) = file_name_problem(&f.name) {
        let name = f.name.escape_debug();
        return Ok(Some(format!("invalid file name \"{name}\": {why}")));
    }
    if !is_sha256(&f.sha256) {
        let name = f.name.escape_debug();
        return Ok(Some(format!("invalid sha256 for \"{name}\"")));
    }
    if sha256(bytes).await? != f.sha256 {
        let name = &f.name;
        return Ok(Some(format!(
            "checksum mismatch: {name} is not what sha256 says"
        )));
    }
    Ok(None)
}

/// Deletes these R2 objects, one after another (a delete that fails is not retried).
async fn delete(bucket: &Bucket, keys: impl Iterator<Item = String>) {
    for key in keys {
        let _ = bucket.delete(key).await;
    }
}
