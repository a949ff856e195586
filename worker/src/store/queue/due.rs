//! The due queue: the pending, unclaimed jobs whose `run_at` has come, in dispatch order, as
//! placing jobs in it needs them (their interface sets). Kept by the lab's object between
//! reads while nothing it holds has changed, read at most [`MAX_PLACED`] deep, and the places
//! of a page of jobs counted in one pass.

use super::names;
use crate::store::db::Db;
use crate::store::jobs::row::JobRow;
use labrelay_api::error::ApiError;
use serde::Deserialize;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

#[derive(Deserialize)]
struct QueueRow {
    id: i64,
    interface_names: String,
}

/// The due queue in dispatch order: (job, its interface set), each distinct set of
/// interfaces parsed once (a lab's jobs share a few).
#[derive(Default)]
pub(super) struct Due {
    jobs: Vec<(i64, usize)>,
    sets: Vec<Vec<String>>,
    /// More jobs are due than [`MAX_PLACED`]: those past it are not in `jobs`.
    truncated: bool,
}

/// The most due jobs read to place jobs in the queue: one request's bounded work, whatever
/// the queue's length. A job past them is told it is behind at least so many.
const MAX_PLACED: usize = 20_000;

/// The due queue's version and when it was last read (`queue_version`, migration 8): a
/// trigger moves `v` on every write to a job that was due at `built_at`.
#[derive(Deserialize)]
struct Version {
    v: i64,
    built_at: i64,
}

/// The due queue of the last list, kept by the lab's object while it holds: lists of
/// pending jobs read it once per queue change, not once per request. Checked on every use
/// (a one-row read and an index probe for jobs come due since), so it is never stale.
#[derive(Default)]
pub struct DueCache(RefCell<Option<(i64, Rc<Due>)>>);

impl DueCache {
    pub(super) fn get(&self, db: &Db, now_us: i64) -> Result<Rc<Due>, ApiError> {
        let version = db
            .first::<Version>("SELECT v, built_at FROM queue_version WHERE id = 1", vec![])?
            .ok_or_else(|| ApiError::Internal("no queue version".into()))?;
        if let Some((v, due)) = self.0.borrow().as_ref() {
            let came_due = db.int(
                "SELECT count(*) FROM (SELECT 1 FROM jobs
                  WHERE status = 'pending' AND agent_id = 0 AND run_at > ? AND run_at <= ?
                  LIMIT 1)",
                vec![version.built_at.into(), now_us.into()],
            )?;
            if *v == version.v && came_due == 0 {
                return Ok(due.clone());
            }
        }
        // From here on, writes to jobs due by `now_us` move the version.
        db.exec(
            "UPDATE queue_version SET built_at = ? WHERE id = 1",
            vec![now_us.into()],
        )?;
        let mut rows = db.rows::<QueueRow>(
            "SELECT id, interface_names FROM jobs
             WHERE status = 'pending' AND agent_id = 0 AND run_at <= ?
             ORDER BY priority DESC, run_at, id LIMIT ?",
            vec![now_us.into(), (MAX_PLACED as i64 + 1).into()],
        )?;
        let mut due = Due {
            truncated: rows.len() > MAX_PLACED,
            ..Due::default()
        };
        rows.truncate(MAX_PLACED);
        let mut seen: HashMap<String, usize> = HashMap::new();
        for q in rows {
            let set = match seen.get(&q.interface_names) {
                Some(&set) => set,
                None => {
                    due.sets.push(names(&q.interface_names));
                    seen.insert(q.interface_names, due.sets.len() - 1);
                    due.sets.len() - 1
                }
            };
            due.jobs.push((q.id, set));
        }
        let due = Rc::new(due);
        *self.0.borrow_mut() = Some((version.v, due.clone()));
        Ok(due)
    }
}

/// How many jobs ahead of each of `jobs` in the due queue want any of its interfaces (for a
/// job not in the queue: all that do). One pass over the queue for a whole page: which of
/// the queue's interface sets overlap which of the page's is worked out once.
pub(super) fn ahead_of(due: &Due, jobs: &[&JobRow]) -> HashMap<i64, (u64, bool)> {
    let mut sets: Vec<Vec<String>> = Vec::new();
    let mut set_of: HashMap<i64, usize> = HashMap::new();
    for job in jobs {
        let mine = names(&job.interface_names);
        let at = match sets.iter().position(|s| *s == mine) {
            Some(at) => at,
            None => {
                sets.push(mine);
                sets.len() - 1
            }
        };
        set_of.insert(job.id, at);
    }
    // overlap[queue set][page set]
    let overlap: Vec<Vec<bool>> = due
        .sets
        .iter()
        .map(|theirs| {
            sets.iter()
                .map(|mine| theirs.iter().any(|i| mine.contains(i)))
                .collect()
        })
        .collect();
    let mut counts = vec![0u64; sets.len()];
    let mut ahead = HashMap::with_capacity(jobs.len());
    for &(id, theirs) in &due.jobs {
        if let Some(&at) = set_of.get(&id) {
            ahead.insert(id, (counts[at], true));
        }
        for (count, &hit) in counts.iter_mut().zip(&overlap[theirs]) {
            *count += u64::from(hit);
        }
    }
    for (id, at) in set_of {
        ahead.entry(id).or_insert((counts[at], !due.truncated));
    }
    ahead
}
