//! Device health checks (as LAVA does them): a device may name a package that checks it. Its
//! health is `unknown` until a check passes, and again after maintenance, after a job on it
//! ended in `error`, and when `health_every_hours` has run out. While it is unknown, the
//! device's jobs wait (dispatch holds them) and, as soon as one waits, a check is launched for
//! it (priority 100, `automatic`, `health_check`); a failed check marks the device `bad`, so at
//! most one user job is lost to a broken device.

use super::db::{us, Db};
use super::jobs::insert::Launched;
use super::jobs::launch::launch_for;
use super::jobs::row::JobRow;
use crate::error::now;
use labrelay_api::error::ApiError;
use labrelay_api::jobs::{JobInput, JobStatus};
use labrelay_api::queue::MAX_PRIORITY;
use labrelay_api::Id;
use serde::Deserialize;

/// The most checks launched at one claim (bounds the work of one request).
const BATCH: i64 = 10;

/// A device whose health is not known now and has a job waiting for it: SQL over `devices d`
/// (binds: now).
const NEEDS_CHECK: &str = "d.state = 'ready' AND d.health_package_id != 0
    AND (d.health != 'good' OR (d.health_every_hours > 0
         AND d.health_checked + d.health_every_hours * 3600000000 <= ?))";

#[derive(Deserialize)]
struct Due {
    id: i64,
    health_package_id: i64,
    user_id: i64,
}

/// Launches a check for each device that needs one and has a user job waiting for it (and no
/// check pending or running yet). Returns how many were launched.
pub fn ensure_checks(db: &Db) -> Result<usize, ApiError> {
    let t = us(now());
    let due: Vec<Due> = db.rows(
        &format!(
            "SELECT d.id, d.health_package_id, d.user_id FROM devices d WHERE {NEEDS_CHECK}
               AND NOT EXISTS (SELECT 1 FROM jobs h WHERE h.health_check = 1
                               AND h.device_id = d.id AND h.status IN ('pending', 'running'))
               AND EXISTS (SELECT 1 FROM jobs j LEFT JOIN packages p ON p.id = j.package_id
                           WHERE j.status = 'pending' AND j.health_check = 0
                             AND (j.device_id = d.id OR (j.device_id = 0 AND p.device_id = d.id)))
             LIMIT ?"
        ),
        vec![t.into(), BATCH.into()],
    )?;
    let mut launched = 0;
    for d in &due {
        let input = JobInput {
            package_id: Some(Id(d.health_package_id as u64)),
            device_id: Some(Id(d.id as u64)),
            priority: Some(MAX_PRIORITY),
            ..JobInput::default()
        };
        match launch_for(db, &input, Id(d.user_id as u64), Launched::HealthCheck) {
            Ok(_) => launched += 1,
            // The check cannot even be launched (its package or config is gone): the device
            // cannot be trusted either.
            Err(e) => mark_bad(db, d.id, &format!("its health check could not start: {e}"))?,
        }
    }
    Ok(launched)
}

fn mark_bad(db: &Db, device: i64, note: &str) -> Result<(), ApiError> {
    db.exec(
        "UPDATE devices SET state = 'bad', state_note = ?, health = 'unknown', updated = ?
         WHERE id = ?",
        vec![note.into(), us(now()).into(), device.into()],
    )?;
    Ok(())
}

/// After a job ended: a health check's verdict sets its device's health (passed: good; any
/// other end but a stop: bad); a user job that ended in `error` makes its device's health
/// unknown again (the next job waits for a check).
pub fn after_finish(db: &Db, job: &JobRow) -> Result<(), ApiError> {
    let t = us(now());
    let device = super::effective::Effective::of(db, job)?.device_id;
    if device == 0 {
        return Ok(());
    }
    let status = job.status();
    if job.health_check != 0 {
        match status {
            JobStatus::Completed if job.failed == 0 => {
                db.exec(
                    "UPDATE devices SET health = 'good', health_checked = ?, updated = ?
                     WHERE id = ?",
                    vec![t.into(), t.into(), device.into()],
                )?;
            }
            // Stopped by a person: no verdict; the next waiting job launches a new check.
            JobStatus::Stopped => {}
            _ => {
                let why = if job.failed > 0 {
                    format!("health check job {} failed {} test(s)", job.id, job.failed)
                } else {
                    format!(
                        "health check job {} ended {}: {}",
                        job.id, job.status, job.reason
                    )
                };
                mark_bad(db, device, &why)?;
            }
        }
    } else if status == JobStatus::Error {
        db.exec(
            "UPDATE devices SET health = 'unknown', updated = ?
             WHERE id = ? AND health_package_id != 0",
            vec![t.into(), device.into()],
        )?;
    }
    Ok(())
}

/// Whether `device` (a row's health fields) waits for a check now.
pub fn needs_check(
    package: i64,
    health: &str,
    checked: i64,
    every_hours: i64,
    now_us: i64,
) -> bool {
    package != 0
        && (health != "good"
            || (every_hours > 0 && checked + every_hours * 3_600_000_000 <= now_us))
}
