//! Sends one file of a result directory: hashed once (the whole file's SHA-256 and each
//! part's), then the parts the server does not have yet, each with its checksum, which the
//! server verifies (and the whole file's once the last part is in). Hashing and reading run
//! on the blocking pool: a 1 GiB capture must not stall the agent's single thread.

use crate::client::{ClientError, Part, Uplink};
use labrelay_api::results::{part_count, BatchFile, BatchManifest, FILE_PART_BYTES};
use labrelay_api::Id;
use sha2::{Digest, Sha256};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("{0}")]
    Client(#[from] ClientError),
    #[error("{name} is gone from the result directory")]
    Missing { name: String },
    #[error("{name} changed while it was being sent")]
    Changed { name: String },
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A file's size and checksums, as hex.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hashed {
    pub size: u64,
    pub sha256: String,
    pub parts: Vec<String>,
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One read of the file: its SHA-256 and each part's.
pub fn hash_file(path: &Path) -> std::io::Result<Hashed> {
    let mut file = std::fs::File::open(path)?;
    let mut whole = Sha256::new();
    let mut parts = Vec::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let mut part = Sha256::new();
        let mut in_part = 0u64;
        while in_part < FILE_PART_BYTES {
            let want = usize::try_from((FILE_PART_BYTES - in_part).min(buf.len() as u64))
                .unwrap_or(buf.len());
            let n = file.read(&mut buf[..want])?;
            if n == 0 {
                break;
            }
            whole.update(&buf[..n]);
            part.update(&buf[..n]);
            in_part += n as u64;
        }
        size += in_part;
        if in_part > 0 || parts.is_empty() {
            parts.push(hex(&part.finalize()));
        }
        if in_part < FILE_PART_BYTES {
            break;
        }
    }
    Ok(Hashed {
        size,
        sha256: hex(&whole.finalize()),
        parts,
    })
}

fn read_part(path: &Path, part: u32, size: u64) -> std::io::Result<Vec<u8>> {
    let start = u64::from(part - 1) * FILE_PART_BYTES;
    let len = FILE_PART_BYTES.min(size.saturating_sub(start));
    let mut file = std::fs::File::open(path)?;
    file.seek(SeekFrom::Start(start))?;
    let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(len).read_to_end(&mut buf)?;
    Ok(buf)
}

async fn blocking<T: Send + 'static>(
    path: &Path,
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, UploadError> {
    let io = |source| UploadError::Io {
        path: path.to_path_buf(),
        source,
    };
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| io(std::io::Error::other(e.to_string())))?
        .map_err(io)
}

/// Sends `dir/name` until the server holds all of it. Returns its size.
pub async fn upload<U: Uplink>(
    uplink: &U,
    job: Id,
    dir: &Path,
    name: &str,
) -> Result<u64, UploadError> {
    let path = dir.join(name);
    if !path.is_file() {
        return Err(UploadError::Missing { name: name.into() });
    }
    let meta = std::fs::metadata(&path).map_err(|source| UploadError::Io {
        path: path.clone(),
        source,
    })?;
    if meta.len() <= FILE_PART_BYTES {
        return upload_small(uplink, job, &path, name).await;
    }
    let p = path.clone();
    let hashed = blocking(&path, move || hash_file(&p)).await?;
    let parts = part_count(hashed.size);
    let have = if parts > 1 {
        let state = uplink
            .file_state(job, name, hashed.size, &hashed.sha256)
            .await?;
        if state.complete {
            return Ok(hashed.size);
        }
        state.parts_received
    } else {
        Vec::new()
    };
    for part in 1..=parts {
        if have.contains(&part) {
            continue;
        }
        let p = path.clone();
        let size = hashed.size;
        let bytes = blocking(&path, move || read_part(&p, part, size)).await?;
        let want = &hashed.parts[(part - 1) as usize];
        if hex(&Sha256::digest(&bytes)) != *want {
            return Err(UploadError::Changed { name: name.into() });
        }
        let state = uplink
            .file_part(
                job,
                Part {
                    name,
                    size: hashed.size,
                    sha256: &hashed.sha256,
                    number: part,
                    part_sha256: want,
                },
                bytes,
            )
            .await?;
        if state.complete {
            return Ok(hashed.size);
        }
    }
    // Every part was sent and none completed the file: the server lost one; the caller
    // tries again (a fresh state request says which).
    Err(UploadError::Client(ClientError::Status {
        status: 503,
        message: format!("{name}: the server does not have every part yet"),
    }))
}

/// Files up to this size travel in batches (most of a result directory: logs, small
/// captures), `BATCH_FILES` or [`FILE_PART_BYTES`] at a time.
pub const BATCHED_BELOW: u64 = 1 << 20;

/// What became of each file of a batch: `Ok` stored, `Err` refused (with why); a transport
/// or server failure refuses the whole call instead.
pub async fn upload_batch<U: Uplink>(
    uplink: &U,
    job: Id,
    dir: &Path,
    names: &[String],
) -> Result<Vec<(String, Result<(), UploadError>)>, UploadError> {
    let d = dir.to_path_buf();
    let list = names.to_vec();
    let files = blocking(dir, move || {
        list.iter()
            .map(|n| match std::fs::read(d.join(n)) {
                Ok(b) => Ok((n.clone(), Some(b))),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((n.clone(), None)),
                Err(e) => Err(e),
            })
            .collect::<std::io::Result<Vec<_>>>()
    })
    .await?;
    let mut out = Vec::new();
    let mut manifest = BatchManifest::default();
    let mut data = Vec::new();
    for (name, bytes) in files {
        match bytes {
            None => out.push((name.clone(), Err(UploadError::Missing { name }))),
            Some(b) => {
                manifest.files.push(BatchFile {
                    name,
                    size: b.len() as u64,
                    sha256: hex(&Sha256::digest(&b)),
                });
                data.extend_from_slice(&b);
            }
        }
    }
    if manifest.files.is_empty() {
        return Ok(out);
    }
    let mut body = serde_json::to_vec(&manifest).map_err(|e| UploadError::Io {
        path: dir.to_path_buf(),
        source: std::io::Error::other(e),
    })?;
    body.push(b'\n');
    body.extend_from_slice(&data);
    for o in uplink.file_batch(job, body).await? {
        let r = match (o.state, o.error) {
            (Some(s), _) if s.complete => Ok(()),
            (_, why) => Err(UploadError::Client(ClientError::Status {
                status: if o.status == 0 { 400 } else { o.status },
                message: why.unwrap_or_else(|| "not kept".into()),
            })),
        };
        out.push((o.name, r));
    }
    Ok(out)
}

/// A one-part file: read once, hashed once, sent.
async fn upload_small<U: Uplink>(
    uplink: &U,
    job: Id,
    path: &Path,
    name: &str,
) -> Result<u64, UploadError> {
    let p = path.to_path_buf();
    let bytes = blocking(path, move || std::fs::read(&p)).await?;
    if bytes.len() as u64 > FILE_PART_BYTES {
        // It grew between the look and the read.
        return Err(UploadError::Changed { name: name.into() });
    }
    let sha = hex(&Sha256::digest(&bytes));
    let size = bytes.len() as u64;
    let state = uplink
        .file_part(
            job,
            Part {
                name,
                size,
                sha256: &sha,
                number: 1,
                part_sha256: &sha,
            },
            bytes,
        )
        .await?;
    if state.complete {
        Ok(size)
    } else {
        Err(UploadError::Client(ClientError::Status {
            status: 503,
            message: format!("{name}: the server did not keep it"),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_hash_separately_and_together() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        let size = FILE_PART_BYTES as usize * 2 + 10;
        let data: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &data).expect("write");
        let h = hash_file(&path).expect("hash");
        assert_eq!(h.size, size as u64);
        assert_eq!(h.sha256, hex(&Sha256::digest(&data)));
        assert_eq!(h.parts.len(), 3);
        let third = read_part(&path, 3, h.size).expect("part");
        assert_eq!(third.len(), 10);
        assert_eq!(h.parts[2], hex(&Sha256::digest(&third)));
        std::fs::write(&path, b"").expect("write");
        let empty = hash_file(&path).expect("hash");
        assert_eq!((empty.size, empty.parts.len()), (0, 1));
        assert_eq!(empty.parts[0], empty.sha256);
    }
}
