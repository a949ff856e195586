//! Job logs: append-only and offset-based. The agent sends text with the byte offset it
//! starts at; an append that overlaps what was received keeps only the new tail (a retried
//! append is harmless), one past the end is a gap (409 with the offset to resend from).
//! Each job keeps at most `LOG_CAP_BYTES`; past that, text is acknowledged and dropped,
//! and one line says so. Readers page through with `GET /jobs/{id}/log?offset=N`.

use super::db::Db;
use super::http::{self, Ctx, Reply};
use super::jobs::row::find as find_job;
use super::lease::held;
use labrelay_api::agents::{LogAck, LogAppend, LogChunk, LOG_CAP_BYTES};
use labrelay_api::error::ApiError;
use labrelay_api::Id;
use serde::Deserialize;

/// The most a reader gets in one answer.
const READ_MAX: i64 = 256 * 1024;

const TRUNCATED: &str = "\n[labrelay: log truncated: the per-job cap is 4 MiB]\n";

pub fn append(db: &Db, ctx: &Ctx, agent: Id, id: Id) -> Result<Reply, ApiError> {
    let req: LogAppend = ctx.json()?;
    let job = held(db, agent, id)?;
    let received = job.log_received as u64;
    if req.offset > received {
        return Err(ApiError::LogGap(received));
    }
    let skip = (received - req.offset) as usize;
    let Some(new) = req.text.get(skip.min(req.text.len())..) else {
        // The overlap ends inside a character: the agent's view is off; resync.
        return Err(ApiError::LogGap(received));
    };
    if new.is_empty() {
        return http::data(&LogAck {
            next_offset: received,
        });
    }
    let stored = job.log_stored as u64;
    let room = LOG_CAP_BYTES.saturating_sub(stored);
    let (text, note) = if (new.len() as u64) <= room {
        (new.to_string(), "")
    } else if room == 0 {
        (String::new(), "")
    } else {
        let mut cut = room as usize;
        while !new.is_char_boundary(cut) {
            cut -= 1;
        }
        (new[..cut].to_string(), TRUNCATED)
    };
    let text = format!("{text}{note}");
    if !text.is_empty() {
        db.exec(
            "INSERT INTO job_logs (job_id, offset, len, text) VALUES (?, ?, ?, ?)",
            vec![
                id.as_i64().into(),
                (stored as i64).into(),
                (text.len() as i64).into(),
                text.clone().into(),
            ],
        )?;
    }
    let next = received + new.len() as u64;
    db.exec(
        "UPDATE jobs SET log_received = ?, log_stored = ? WHERE id = ?",
        vec![
            (next as i64).into(),
            ((stored + text.len() as u64) as i64).into(),
            id.as_i64().into(),
        ],
    )?;
    http::data(&LogAck { next_offset: next })
}

#[derive(Deserialize)]
struct Piece {
    offset: i64,
    text: String,
}

pub fn read(db: &Db, ctx: &Ctx, id: Id) -> Result<Reply, ApiError> {
    let job = find_job(db, id)?;
    let from: i64 = match ctx.param("offset") {
        None => 0,
        Some(v) => v.parse().ok().filter(|n| *n >= 0).ok_or_else(|| {
            ApiError::invalid(format!("invalid offset \"{v}\": must be a number of bytes"))
        })?,
    };
    let pieces: Vec<Piece> = db.rows(
        "SELECT offset, text FROM job_logs WHERE job_id = ? AND offset + len > ? AND offset < ?
         ORDER BY offset",
        vec![id.as_i64().into(), from.into(), (from + READ_MAX).into()],
    )?;
    let mut text = String::new();
    for p in &pieces {
        let skip = (from - p.offset).max(0) as usize;
        let mut start = skip.min(p.text.len());
        while !p.text.is_char_boundary(start) {
            start += 1;
        }
        text.push_str(&p.text[start..]);
    }
    let next = from + text.len() as i64;
    http::data(&LogChunk {
        offset: from as u64,
        complete: job.status().is_finished() && next >= job.log_stored,
        next_offset: next as u64,
        text,
    })
}
