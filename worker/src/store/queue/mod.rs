//! Why a pending job waits, in words and as a code (`labrelay_api::queue::Waiting`), and its
//! place in the queue of due jobs that compete for its interfaces. Worked out when jobs are
//! read, from one look at the lab: the agents, what they hold, the due queue in dispatch order
//! (`labrelay_api::claim_sql`, kept between reads by `due.rs`), so a page of jobs costs one
//! pass over the queue.

mod due;

use due::ahead_of;
pub use due::DueCache;

use super::agents::Polling;
use super::db::{from_micros, us, Db};
use super::jobs::row::JobRow;
use crate::error::now;
use labrelay_api::device_state::DeviceState;
use labrelay_api::error::ApiError;
use labrelay_api::queue::{WaitCode, Waiting};
use labrelay_api::Id;
use serde::Deserialize;
use std::collections::HashMap;

/// An agent counts as online within this long of its last call (as the agents list says).
const ONLINE_SECS: i64 = 60;

#[derive(Deserialize)]
struct AgentRow {
    id: i64,
    name: String,
    interfaces: String,
    last_seen: Option<i64>,
}

struct AgentView {
    id: i64,
    name: String,
    online: bool,
    interfaces: Vec<String>,
}

#[derive(Deserialize)]
struct HeldRow {
    id: i64,
    agent_id: i64,
    interface_names: String,
}

/// What explaining a page of jobs needs from the object: which agents hold a claim open, and
/// its cache of the due queue.
pub struct Look<'a> {
    pub polling: Polling<'a>,
    pub due: &'a DueCache,
}

#[derive(Deserialize)]
struct PackageRow {
    id: i64,
    agent_id: i64,
    device_id: i64,
}

#[derive(Deserialize)]
struct DeviceRow {
    id: i64,
    name: String,
    state: String,
    state_note: String,
    health_package_id: i64,
    health: String,
    health_checked: i64,
    health_every_hours: i64,
}

#[derive(Deserialize)]
struct HoldRow {
    device_id: i64,
    agent_id: i64,
    user_id: i64,
    user_name: Option<String>,
    until: i64,
}

/// A live reservation: who holds it, and until when.
struct Hold {
    user_id: i64,
    who: String,
    until: i64,
}

#[derive(Deserialize)]
struct CheckRow {
    id: i64,
    device_id: i64,
}

/// The lab as the queue sees it now.
pub struct Scene {
    now: i64,
    agents: Vec<AgentView>,
    /// Jobs an agent holds: (job, agent, interfaces).
    held: Vec<(i64, i64, Vec<String>)>,
    /// For each job being explained: how many due jobs ahead of it want any of its
    /// interfaces (all of those in the queue, for one not due yet), and whether that is
    /// exact (else a lower bound: the job is past the jobs read, see [`MAX_PLACED`]).
    ahead: HashMap<i64, (u64, bool)>,
    packages: HashMap<i64, PackageRow>,
    devices: HashMap<i64, DeviceRow>,
    /// Live reservations by device and by agent.
    device_holds: HashMap<i64, Hold>,
    agent_holds: HashMap<i64, Hold>,
    /// Each device's pending or running health check.
    checks: HashMap<i64, i64>,
}

pub(super) fn names(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

impl Scene {
    /// One look at the lab, for explaining `jobs` (their packages and devices are loaded).
    pub fn look(db: &Db, with: &Look, jobs: &[&JobRow]) -> Result<Scene, ApiError> {
        let t = us(now());
        let packages = packages_of(db, jobs)?;
        let devices = devices_of(db, jobs, &packages)?;
        let (device_holds, agent_holds) = holds(db, t)?;
        Ok(Scene {
            now: t,
            agents: agents_now(db, with.polling, t)?,
            held: held_jobs(db)?,
            ahead: ahead_of(&*with.due.get(db, t)?, jobs),
            packages,
            devices,
            device_holds,
            agent_holds,
            checks: checks(db)?,
        })
    }

    /// Why `job` (pending, unclaimed) waits: its run_at, its device, its agents, the queue.
    pub fn explain(&self, job: &JobRow) -> Waiting {
        let wait = |(code, reason)| self.wait(job, code, reason);
        if job.run_at > self.now {
            let reason = format!("waits for its run_at, {}", from_micros(job.run_at));
            return wait((WaitCode::Scheduled, reason));
        }
        let package = self.packages.get(&job.package_id);
        let device = if job.device_id != 0 {
            job.device_id
        } else {
            package.map_or(0, |p| p.device_id)
        };
        let why = self
            .devices
            .get(&device)
            .and_then(|d| self.device_wait(job, d));
        let why = why.or_else(|| self.agent_wait(job, package.map_or(0, |p| p.agent_id)));
        wait(why.unwrap_or_else(|| self.queued(job)))
    }

    fn wait(&self, job: &JobRow, code: WaitCode, reason: String) -> Waiting {
        let (ahead, _) = self.ahead.get(&job.id).copied().unwrap_or((0, true));
        Waiting {
            code,
            reason,
            position: ahead + 1,
        }
    }

    /// The job's device is not ready, waits for its health check or is reserved.
    fn device_wait(&self, job: &JobRow, d: &DeviceRow) -> Option<(WaitCode, String)> {
        let state = DeviceState::parse(&d.state).unwrap_or_default();
        if state != DeviceState::Ready {
            let note = if d.state_note.is_empty() {
                String::new()
            } else {
                format!(": {}", d.state_note)
            };
            let reason = format!("device {} is {}{note}", d.name, state.as_str());
            return Some((WaitCode::DeviceNotReady, reason));
        }
        let needs = super::health::needs_check(
            d.health_package_id,
            &d.health,
            d.health_checked,
            d.health_every_hours,
            self.now,
        );
        if needs && job.health_check == 0 {
            let check = match self.checks.get(&d.id) {
                Some(id) => format!(" (job {id})"),
                None => " (launched at the next claim)".to_string(),
            };
            let reason = format!("device {} waits for its health check{check}", d.name);
            return Some((WaitCode::DeviceNotReady, reason));
        }
        let h = self.device_holds.get(&d.id)?;
        (h.user_id != job.user_id && job.health_check == 0).then(|| {
            let until = from_micros(h.until);
            let reason = format!("device {} is reserved by {} until {until}", d.name, h.who);
            (WaitCode::Reserved, reason)
        })
    }

    /// No agent may take the job: its pinned agent is offline, the agents with its
    /// interfaces are offline or reserved, or each holds a job on one of them.
    fn agent_wait(&self, job: &JobRow, pinned: i64) -> Option<(WaitCode, String)> {
        let mine = names(&job.interface_names);
        let candidates: Vec<&AgentView> = self
            .agents
            .iter()
            .filter(|a| pinned == 0 || a.id == pinned)
            .collect();
        if pinned != 0 && !candidates.iter().any(|a| a.online) {
            let name = candidates.first().map_or("(deleted)", |a| a.name.as_str());
            let reason = format!("its package runs only on agent {name}, which is offline");
            return Some((WaitCode::AgentOffline, reason));
        }
        let fits: Vec<&AgentView> = candidates
            .into_iter()
            .filter(|a| a.online && mine.iter().all(|i| a.interfaces.contains(i)))
            .collect();
        let held_by_other = |a: &AgentView| {
            self.agent_holds
                .get(&a.id)
                .filter(|h| h.user_id != job.user_id && job.health_check == 0)
        };
        let able: Vec<&AgentView> = fits
            .iter()
            .copied()
            .filter(|a| held_by_other(a).is_none())
            .collect();
        if able.is_empty() {
            if let Some((a, h)) = fits.iter().find_map(|a| held_by_other(a).map(|h| (a, h))) {
                let until = from_micros(h.until);
                let reason = format!("agent {} is reserved by {} until {until}", a.name, h.who);
                return Some((WaitCode::Reserved, reason));
            }
            let reason = format!(
                "no online agent has all of its interfaces ({})",
                mine.join(", ")
            );
            return Some((WaitCode::NoAgent, reason));
        }
        self.all_busy(&mine, &able)
    }

    /// Every able agent holds a job on one of the job's interfaces: name one.
    fn all_busy(&self, mine: &[String], able: &[&AgentView]) -> Option<(WaitCode, String)> {
        let overlaps = |other: &[String]| other.iter().any(|i| mine.contains(i));
        let blockers: Vec<Option<(i64, String, String)>> = able
            .iter()
            .map(|a| {
                self.held
                    .iter()
                    .find(|(_, agent, ifs)| *agent == a.id && overlaps(ifs))
                    .map(|(id, _, ifs)| {
                        let busy: Vec<&str> = ifs
                            .iter()
                            .filter(|i| mine.contains(i))
                            .map(String::as_str)
                            .collect();
                        (*id, a.name.clone(), busy.join(", "))
                    })
            })
            .collect();
        let (id, agent, busy) = blockers.iter().find(|b| b.is_some()).cloned()??;
        blockers.iter().all(Option::is_some).then(|| {
            let reason = format!("{busy} in use by job {id} on agent {agent}");
            (WaitCode::InterfacesBusy, reason)
        })
    }

    /// Nothing blocks the job but the jobs ahead of it.
    fn queued(&self, job: &JobRow) -> (WaitCode, String) {
        let (ahead, exact) = self.ahead.get(&job.id).copied().unwrap_or((0, true));
        let reason = match ahead {
            n if !exact => {
                format!("behind at least {n} jobs of higher or equal priority for its interfaces")
            }
            0 => "next in line: an agent takes it at its next claim".to_string(),
            1 => "behind 1 job of higher or equal priority for its interfaces".to_string(),
            n => format!("behind {n} jobs of higher or equal priority for its interfaces"),
        };
        (WaitCode::Queued, reason)
    }
}

/// Every agent, online or not (polling now, or seen within `ONLINE_SECS`).
fn agents_now(db: &Db, polling: Polling, t: i64) -> Result<Vec<AgentView>, ApiError> {
    Ok(db
        .rows::<AgentRow>("SELECT id, name, interfaces, last_seen FROM agents", vec![])?
        .into_iter()
        .map(|a| AgentView {
            online: polling(Id(a.id as u64))
                || a.last_seen.is_some_and(|s| t - s < ONLINE_SECS * 1_000_000),
            id: a.id,
            interfaces: names(&a.interfaces),
            name: a.name,
        })
        .collect())
}

/// Jobs an agent holds: (job, agent, interfaces).
fn held_jobs(db: &Db) -> Result<Vec<(i64, i64, Vec<String>)>, ApiError> {
    Ok(db
        .rows::<HeldRow>(
            "SELECT id, agent_id, interface_names FROM jobs
             WHERE agent_id != 0 AND status IN ('pending', 'running')",
            vec![],
        )?
        .into_iter()
        .map(|h| (h.id, h.agent_id, names(&h.interface_names)))
        .collect())
}

/// The ids `f` picks from `jobs`, as a JSON array for `json_each`.
fn ids_of(jobs: &[&JobRow], f: &dyn Fn(&JobRow) -> i64) -> String {
    let v: Vec<i64> = jobs.iter().map(|j| f(j)).filter(|i| *i > 0).collect();
    serde_json::to_string(&v).unwrap_or_else(|_| "[]".into())
}

fn packages_of(db: &Db, jobs: &[&JobRow]) -> Result<HashMap<i64, PackageRow>, ApiError> {
    Ok(db
        .rows::<PackageRow>(
            "SELECT id, agent_id, device_id FROM packages
             WHERE id IN (SELECT value FROM json_each(?))",
            vec![ids_of(jobs, &|j| j.package_id).into()],
        )?
        .into_iter()
        .map(|p| (p.id, p))
        .collect())
}

/// The jobs' devices (their own, else their package's).
fn devices_of(
    db: &Db,
    jobs: &[&JobRow],
    packages: &HashMap<i64, PackageRow>,
) -> Result<HashMap<i64, DeviceRow>, ApiError> {
    let device_of = |j: &JobRow| -> i64 {
        if j.device_id != 0 {
            j.device_id
        } else {
            packages.get(&j.package_id).map_or(0, |p| p.device_id)
        }
    };
    Ok(db
        .rows::<DeviceRow>(
            "SELECT id, name, state, state_note, health_package_id, health, health_checked,
                    health_every_hours FROM devices
             WHERE id IN (SELECT value FROM json_each(?))",
            vec![ids_of(jobs, &device_of).into()],
        )?
        .into_iter()
        .map(|d| (d.id, d))
        .collect())
}

/// Live reservations, by device and by agent.
type Holds = (HashMap<i64, Hold>, HashMap<i64, Hold>);

fn holds(db: &Db, t: i64) -> Result<Holds, ApiError> {
    let mut device_holds = HashMap::new();
    let mut agent_holds = HashMap::new();
    let rows: Vec<HoldRow> = db.rows(
        "SELECT r.device_id, r.agent_id, r.user_id, u.name AS user_name, r.until
           FROM reservations r LEFT JOIN users u ON u.id = r.user_id
          WHERE r.until > ? ORDER BY r.id DESC",
        vec![t.into()],
    )?;
    for h in rows {
        let hold = Hold {
            user_id: h.user_id,
            who: h.user_name.unwrap_or_else(|| format!("user {}", h.user_id)),
            until: h.until,
        };
        if h.device_id != 0 {
            device_holds.insert(h.device_id, hold);
        } else {
            agent_holds.insert(h.agent_id, hold);
        }
    }
    Ok((device_holds, agent_holds))
}

/// Each device's pending or running health check.
fn checks(db: &Db) -> Result<HashMap<i64, i64>, ApiError> {
    Ok(db
        .rows::<CheckRow>(
            "SELECT id, device_id FROM jobs WHERE health_check = 1
             AND status IN ('pending', 'running')",
            vec![],
        )?
        .into_iter()
        .map(|c| (c.device_id, c.id))
        .collect())
}

/// Fills `waiting` in each pending, unclaimed job of `wire` (same order as `rows`).
pub fn annotate(
    db: &Db,
    with: &Look,
    rows: &[JobRow],
    wire: &mut [labrelay_api::jobs::Job],
) -> Result<(), ApiError> {
    let waiting: Vec<&JobRow> = rows
        .iter()
        .filter(|r| r.status == "pending" && r.agent_id == 0)
        .collect();
    if waiting.is_empty() {
        return Ok(());
    }
    let scene = Scene::look(db, with, &waiting)?;
    for (row, job) in rows.iter().zip(wire.iter_mut()) {
        if row.status == "pending" && row.agent_id == 0 {
            job.waiting = Some(scene.explain(row));
        }
    }
    Ok(())
}
