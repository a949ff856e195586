//! Package schedules (CDRouter's `schedule: {enabled, spec, options}`): each enabled package
//! keeps the time of its next tick (`schedule_next`); the object's alarm is set for the
//! earliest, and when it fires every package that is due launches one `automatic` job and
//! moves its `schedule_next` past now — in the same synchronous stretch, so a tick launches
//! exactly once, and a tick missed while the object was down launches once, not once per
//! missed tick.

use super::db::{from_micros, us, Db};
use super::jobs::insert::Launched;
use super::jobs::launch::launch_for;
use super::packages::PackageRow;
use crate::error::now;
use labrelay_api::error::ApiError;
use labrelay_api::jobs::JobInput;
use labrelay_api::Id;

/// The most packages one alarm launches for (the rest are still due at the next alarm, set
/// at once): bounds the work of one alarm.
const BATCH: i64 = 50;

/// Launches a job for every package whose tick has come; returns how many were launched.
pub fn fire(db: &Db) -> Result<usize, ApiError> {
    let t = us(now());
    let due: Vec<PackageRow> = db.rows(
        "SELECT * FROM packages WHERE schedule_next > 0 AND schedule_next <= ?
         ORDER BY schedule_next, id LIMIT ?",
        vec![t.into(), BATCH.into()],
    )?;
    let mut launched = 0;
    for p in &due {
        let schedule = p.schedule();
        // The tick is spent whatever the launch does: a package whose launch fails (its
        // config is gone) says so in the log and fires again at its next tick.
        db.exec(
            "UPDATE packages SET schedule_next = ? WHERE id = ?",
            vec![schedule.next_tick(t).into(), p.id.into()],
        )?;
        let input = JobInput {
            package_id: Some(Id(p.id as u64)),
            options: Some(schedule.options.into()),
            ..JobInput::default()
        };
        match launch_for(db, &input, Id(p.user_id as u64), Launched::Schedule) {
            Ok(_) => launched += 1,
            Err(e) => worker::console_error!(
                "schedule of package {} (tick {}): {e}",
                p.id,
                from_micros(p.schedule_next)
            ),
        }
    }
    Ok(launched)
}

/// The earliest tick to come (µs), for the alarm.
pub fn next_due(db: &Db) -> Result<Option<i64>, ApiError> {
    let at = db.int(
        "SELECT coalesce(min(schedule_next), 0) FROM packages WHERE schedule_next > 0",
        vec![],
    )?;
    Ok((at > 0).then_some(at))
}
