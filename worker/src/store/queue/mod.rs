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
        let polling = with.polling;
        let t = us(now());
        let agents = db
            .rows::<AgentRow>("SELECT id, name, interfaces, last_seen FROM agents", vec![])?
            .into_iter()
            .map(|a| AgentView {
                online: polling(Id(a.id as u64))
                    || a.last_seen.is_some_and(|s| t - s < ONLINE_SECS * 1_000_000),
                id: a.id,
                interfaces: names(&a.interfaces),
                name: a.name,
            })
            .collect();
        let held = db
            .rows::<HeldRow>(
                "SELECT id, agent_id, interface_names FROM jobs
                 WHERE agent_id != 0 AND status IN ('pending', 'running')",
                vec![],
            )?
            .into_iter()
            .map(|h| (h.id, h.agent_id, names(&h.interface_names)))
            .collect();
        let ahead = ahead_of(&*with.due.get(db, t)?, jobs);
        let ids = |f: &dyn Fn(&JobRow) -> i64| -> String {
            let v: Vec<i64> = jobs.iter().map(|j| f(j)).filter(|i| *i > 0).collect();
            serde_json::to_string(&v).unwrap_or_else(|_| "[]".into())
        };
        let packages: HashMap<i64, PackageRow> = db
            .rows::<PackageRow>(
                "SELECT id, agent_id, device_id FROM packages
                 WHERE id IN (SELECT value FROM json_each(?))",
                vec![ids(&|j| j.package_id).into()],
            )?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        let device_of = |j: &JobRow| -> i64 {
            if j.device_id != 0 {
                j.device_id
            } else {
                packages.get(&j.package_id).map_or(0, |p| p.device_id)
            }
        };
        let devices = db
            .rows::<DeviceRow>(
                "SELECT id, name, state, state_note, health_package_id, health, health_checked,
                        health_every_hours FROM devices
                 WHERE id IN (SELECT value FROM json_each(?))",
                vec![ids(&device_of).into()],
            )?
            .into_iter()
            .map(|d| (d.id, d))
            .collect();
        let mut device_holds = HashMap::new();
        let mut agent_holds = HashMap::new();
        let holds: Vec<HoldRow> = db.rows(
            "SELECT r.device_id, r.agent_id, r.user_id, u.name AS user_name, r.until
               FROM reservations r LEFT JOIN users u ON u.id = r.user_id
              WHERE r.until > ? ORDER BY r.id DESC",
            vec![t.into()],
        )?;
        for h in holds {
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
        let checks = db
            .rows::<CheckRow>(
                "SELECT id, device_id FROM jobs WHERE health_check = 1
                 AND status IN ('pending', 'running')",
                vec![],
            )?
            .into_iter()
            .map(|c| (c.device_id, c.id))
            .collect();
        Ok(Scene {
            now: t,
            agents,
            held,
            ahead,
            packages,
            devices,
            device_holds,
            agent_holds,
            checks,
        })
    }

    /// Why `job` (pending, unclaimed) waits.
    pub fn explain(&self, job: &JobRow) -> Waiting {
        let mine = names(&job.interface_names);
        let overlaps = |other: &[String]| other.iter().any(|i| mine.contains(i));
        let (ahead, exact) = self.ahead.get(&job.id).copied().unwrap_or((0, true));
        let wait = |code: WaitCode, reason: String| Waiting {
            code,
            reason,
            position: ahead + 1,
        };
        if job.run_at > self.now {
            return wait(
                WaitCode::Scheduled,
                format!("waits for its run_at, {}", from_micros(job.run_at)),
            );
        }
        let package = self.packages.get(&job.package_id);
        let device = if job.device_id != 0 {
            job.device_id
        } else {
            package.map_or(0, |p| p.device_id)
        };
        if let Some(d) = self.devices.get(&device) {
            let state = DeviceState::parse(&d.state).unwrap_or_default();
            if state != DeviceState::Ready {
                let note = if d.state_note.is_empty() {
                    String::new()
                } else {
                    format!(": {}", d.state_note)
                };
                return wait(
                    WaitCode::DeviceNotReady,
                    format!("device {} is {}{note}", d.name, state.as_str()),
                );
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
                return wait(
                    WaitCode::DeviceNotReady,
                    format!("device {} waits for its health check{check}", d.name),
                );
            }
            if let Some(h) = self.device_holds.get(&d.id) {
                if h.user_id != job.user_id && job.health_check == 0 {
                    return wait(
                        WaitCode::Reserved,
                        format!(
                            "device {} is reserved by {} until {}",
                            d.name,
                            h.who,
                            from_micros(h.until)
                        ),
                    );
                }
            }
        }
        let pinned = package.map_or(0, |p| p.agent_id);
        let candidates: Vec<&AgentView> = self
            .agents
            .iter()
            .filter(|a| pinned == 0 || a.id == pinned)
            .collect();
        if pinned != 0 && !candidates.iter().any(|a| a.online) {
            let name = candidates.first().map_or("(deleted)", |a| a.name.as_str());
            return wait(
                WaitCode::AgentOffline,
                format!("its package runs only on agent {name}, which is offline"),
            );
        }
        let fits: Vec<&&AgentView> = candidates
            .iter()
            .filter(|a| a.online && mine.iter().all(|i| a.interfaces.contains(i)))
            .collect();
        let held_by_other = |a: &AgentView| {
            self.agent_holds
                .get(&a.id)
                .filter(|h| h.user_id != job.user_id && job.health_check == 0)
        };
        let able: Vec<&&AgentView> = fits
            .iter()
            .copied()
            .filter(|a| held_by_other(a).is_none())
            .collect();
        if able.is_empty() {
            if let Some((a, h)) = fits.iter().find_map(|a| held_by_other(a).map(|h| (a, h))) {
                return wait(
                    WaitCode::Reserved,
                    format!(
                        "agent {} is reserved by {} until {}",
                        a.name,
                        h.who,
                        from_micros(h.until)
                    ),
                );
            }
            return wait(
                WaitCode::NoAgent,
                format!(
                    "no online agent has all of its interfaces ({})",
                    mine.join(", ")
                ),
            );
        }
        // Every able agent holds a job on one of its interfaces: name one.
        let blocker = able.iter().map(|a| {
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
        });
        let blockers: Vec<Option<(i64, String, String)>> = blocker.collect();
        if let Some(Some((id, agent, busy))) = blockers.iter().find(|b| b.is_some()).cloned() {
            if blockers.iter().all(Option::is_some) {
                return wait(
                    WaitCode::InterfacesBusy,
                    format!("{busy} in use by job {id} on agent {agent}"),
                );
            }
        }
        let reason = match ahead {
            n if !exact => {
                format!("behind at least {n} jobs of higher or equal priority for its interfaces")
            }
            0 => "next in line: an agent takes it at its next claim".to_string(),
            1 => "behind 1 job of higher or equal priority for its interfaces".to_string(),
            n => format!("behind {n} jobs of higher or equal priority for its interfaces"),
        };
        wait(WaitCode::Queued, reason)
    }
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
