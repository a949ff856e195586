//! Which pending job an agent may claim — the rule as the one SQL query the store runs, and
//! the same rule in plain Rust ([`runnable`]) for the property test that holds the query to
//! it: whatever waits ahead in the queue, the first runnable job is the one claimed.
//!
//! A job is runnable by an agent when it is pending and unclaimed, its `run_at` has come, its
//! package is not pinned to another agent, its device (the job's, else its package's) is
//! `ready` and healthy (or the job is that device's health check), neither that device nor
//! the agent is reserved by another user (health checks excepted), every one of its interfaces is among the agent's,
//! and none of them is in use by a job that agent already holds. Among runnable jobs the
//! highest priority wins, then the earliest `run_at`, then the lowest id (first in, first out
//! within a priority).

/// Binds, in order: now (µs), the agent's id, now, now, the agent's id, its interfaces (JSON
/// array), its busy interfaces (JSON array). Answers at most one row, the job's `id`.
///
/// A device with a health-check package is healthy when its last check passed (`health =
/// 'good'`) and, with `health_every_hours`, not longer ago than that.
pub const CLAIM_SQL: &str = "SELECT j.id AS id FROM jobs j
       LEFT JOIN packages p ON p.id = j.package_id
       LEFT JOIN devices d
         ON d.id = CASE WHEN j.device_id != 0 THEN j.device_id ELSE coalesce(p.device_id, 0) END
     WHERE j.status = 'pending' AND j.agent_id = 0 AND j.run_at <= ?
       AND coalesce(p.agent_id, 0) IN (0, ?)
       AND coalesce(d.state, 'ready') = 'ready'
       AND (j.health_check = 1 OR d.id IS NULL OR d.health_package_id = 0
            OR (d.health = 'good' AND (d.health_every_hours = 0
                OR d.health_checked + d.health_every_hours * 3600000000 > ?)))
       AND NOT EXISTS (SELECT 1 FROM reservations r
                       WHERE r.until > ? AND r.user_id != j.user_id AND j.health_check = 0
                         AND (r.device_id = coalesce(d.id, -1) OR r.agent_id = ?))
       AND NOT EXISTS (SELECT 1 FROM json_each(j.interface_names) AS n
                       WHERE n.value NOT IN (SELECT value FROM json_each(?))
                          OR n.value IN (SELECT value FROM json_each(?)))
     ORDER BY j.priority DESC, j.run_at, j.id LIMIT 1";

/// A queued job as the rule sees it.
#[derive(Debug, Clone, Default)]
pub struct Queued {
    pub id: i64,
    pub pending: bool,
    /// The agent holding it (0: none).
    pub agent_id: i64,
    pub run_at: i64,
    /// Its package's pinned agent (0: any).
    pub package_agent: i64,
    pub interfaces: Vec<String>,
    /// 0–100.
    pub priority: i64,
    /// Its device (the job's, else its package's) is `ready`, or it has none.
    pub device_ready: bool,
    /// Its device has a health-check package and no passed, current check.
    pub device_needs_check: bool,
    /// It is its device's health check.
    pub health_check: bool,
    /// Who launched it.
    pub user_id: i64,
    /// Who holds its device now (a live reservation), if anyone.
    pub device_reserved_by: Option<i64>,
}

/// The agent that claims: its id, interfaces, those in use, and who holds it (a live
/// reservation), if anyone.
#[derive(Debug, Clone, Copy)]
pub struct Claimer<'a> {
    pub id: i64,
    pub interfaces: &'a [String],
    pub busy: &'a [String],
    pub reserved_by: Option<i64>,
}

/// The rule in Rust: may `agent` claim `job` at `now`?
pub fn runnable(job: &Queued, now: i64, agent: &Claimer) -> bool {
    // A health check is the lab's own: no reservation holds it back.
    let holder_ok =
        |holder: Option<i64>| job.health_check || holder.is_none_or(|u| u == job.user_id);
    job.pending
        && job.agent_id == 0
        && job.run_at <= now
        && (job.package_agent == 0 || job.package_agent == agent.id)
        && job.device_ready
        && (job.health_check || !job.device_needs_check)
        && holder_ok(job.device_reserved_by)
        && holder_ok(agent.reserved_by)
        && job
            .interfaces
            .iter()
            .all(|i| agent.interfaces.contains(i) && !agent.busy.contains(i))
}

/// The job the rule picks: the runnable one of highest priority, then earliest `run_at`, then
/// lowest id.
pub fn pick(queue: &[Queued], now: i64, agent: &Claimer) -> Option<i64> {
    queue
        .iter()
        .filter(|j| runnable(j, now, agent))
        .min_by_key(|j| (-j.priority, j.run_at, j.id))
        .map(|j| j.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::{params, Connection};

    /// A small deterministic generator (no seed from the clock: failures replay).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            self.0 >> 33
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        fn subset(&mut self, all: &[&str], p: u64) -> Vec<String> {
            all.iter()
                .filter(|_| self.below(100) < p)
                .map(|s| s.to_string())
                .collect()
        }
    }

    const INTERFACES: [&str; 6] = ["eth1", "eth2", "eth3", "eth4", "wlan0", "wlan1"];
    const HOUR_US: i64 = 3_600_000_000;

    /// The store holding `queue`, each job with a device of its own (on the job or on its
    /// package) shaped as the job says, and `agent` reserved as it says. Reservations that ran
    /// out, by anyone, are there too: they must not count.
    fn store(queue: &[Queued], now: i64, agent: &Claimer) -> Connection {
        let c = Connection::open_in_memory().expect("sqlite");
        c.execute_batch(
            "CREATE TABLE packages (id INTEGER PRIMARY KEY, agent_id INTEGER NOT NULL,
                                    device_id INTEGER NOT NULL);
             CREATE TABLE devices (id INTEGER PRIMARY KEY, state TEXT NOT NULL,
                                   health_package_id INTEGER NOT NULL, health TEXT NOT NULL,
                                   health_checked INTEGER NOT NULL,
                                   health_every_hours INTEGER NOT NULL);
             CREATE TABLE reservations (id INTEGER PRIMARY KEY, device_id INTEGER NOT NULL,
                                        agent_id INTEGER NOT NULL, user_id INTEGER NOT NULL,
                                        until INTEGER NOT NULL);
             CREATE TABLE jobs (id INTEGER PRIMARY KEY, status TEXT NOT NULL, agent_id INTEGER NOT NULL,
                                run_at INTEGER NOT NULL, package_id INTEGER NOT NULL,
                                device_id INTEGER NOT NULL, priority INTEGER NOT NULL,
                                health_check INTEGER NOT NULL, user_id INTEGER NOT NULL,
                                interface_names TEXT NOT NULL);",
        )
        .expect("schema");
        let reserve = |device: i64, agent: i64, user: i64, until: i64| {
            c.execute(
                "INSERT INTO reservations (device_id, agent_id, user_id, until) VALUES (?, ?, ?, ?)",
                params![device, agent, user, until],
            )
            .expect("reservation");
        };
        if let Some(u) = agent.reserved_by {
            reserve(0, agent.id, u, now + 1);
        }
        // Ran out (until == now is over too).
        reserve(0, agent.id, 77, now);
        for j in queue {
            // One package per job, pinned as the job's; package 0 (deleted) for some.
            let deleted = j.id % 7 == 0 && j.package_agent == 0;
            let package = if deleted { -j.id } else { j.id };
            // A device when its state, health or holder matter, and for some jobs anyway.
            let plain = j.device_ready && !j.device_needs_check && j.device_reserved_by.is_none();
            let device = if plain && j.id % 3 == 0 {
                0
            } else {
                1000 + j.id
            };
            if device != 0 {
                let state = if j.device_ready {
                    "ready"
                } else {
                    ["maintenance", "bad", "retired"][(j.id % 3) as usize]
                };
                // Needing a check: never checked, or checked too long ago. Not needing one:
                // no health package, or a passed check that is current (or never expires).
                let (health_package, health, checked, every) =
                    match (j.device_needs_check, j.id % 3) {
                        (true, 0) => (5, "unknown", 0, 0),
                        (true, 1) => (5, "good", now - 3 * HOUR_US, 2),
                        (true, _) => (5, "good", now - 2 * HOUR_US, 2),
                        (false, 0) => (0, "unknown", 0, 0),
                        (false, 1) => (5, "good", 0, 0),
                        (false, _) => (5, "good", now - HOUR_US, 2),
                    };
                c.execute(
                    "INSERT INTO devices (id, state, health_package_id, health, health_checked,
                                          health_every_hours) VALUES (?, ?, ?, ?, ?, ?)",
                    params![device, state, health_package, health, checked, every],
                )
                .expect("device");
                if let Some(u) = j.device_reserved_by {
                    reserve(device, 0, u, now + 1 + j.id);
                }
                reserve(device, 0, 99, now - 1);
            }
            let (on_job, on_package) = if j.id % 2 == 0 || deleted {
                (device, 0)
            } else {
                (0, device)
            };
            c.execute(
                "INSERT INTO packages (id, agent_id, device_id) VALUES (?, ?, ?)",
                params![j.id, j.package_agent, on_package],
            )
            .expect("package");
            c.execute(
                "INSERT INTO jobs (id, status, agent_id, run_at, package_id, device_id, priority,
                                   health_check, user_id, interface_names)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                params![
                    j.id,
                    if j.pending { "pending" } else { "running" },
                    j.agent_id,
                    j.run_at,
                    package,
                    on_job,
                    j.priority,
                    j.health_check as i64,
                    j.user_id,
                    serde_json::to_string(&j.interfaces).expect("json"),
                ],
            )
            .expect("job");
        }
        c
    }

    fn claim(c: &Connection, now: i64, agent: &Claimer) -> Option<i64> {
        let json = |v: &[String]| serde_json::to_string(v).expect("json");
        c.query_row(
            CLAIM_SQL,
            params![
                now,
                agent.id,
                now,
                now,
                agent.id,
                json(agent.interfaces),
                json(agent.busy)
            ],
            |r| r.get(0),
        )
        .ok()
    }

    #[test]
    fn the_query_claims_exactly_what_the_rule_picks_on_random_queues() {
        let mut rng = Rng(0x1ab5_e1a7);
        let now = 1_000_000_000_000;
        for round in 0..300 {
            // Often a long run of jobs nobody here can run ahead of the rest (starvation).
            let blockers = if round % 3 == 0 {
                600
            } else {
                rng.below(20) as i64
            };
            let total = blockers + 1 + rng.below(40) as i64;
            let queue: Vec<Queued> = (1..=total)
                .map(|id| {
                    let blocker = id <= blockers;
                    Queued {
                        id,
                        pending: rng.below(10) < 8,
                        agent_id: if rng.below(10) < 1 { 9 } else { 0 },
                        run_at: if blocker {
                            now - 10_000 + id
                        } else {
                            now - 5_000 + rng.below(10_000) as i64
                        },
                        package_agent: match rng.below(10) {
                            0..=5 if !blocker => 0,
                            0..=2 => 0,
                            3..=6 => 2,
                            _ => 1,
                        },
                        interfaces: if blocker && rng.below(2) == 0 {
                            vec!["eth9".into()]
                        } else {
                            rng.subset(&INTERFACES, 35)
                        },
                        // A few levels, so ties (first in, first out) happen often.
                        priority: [0, 50, 50, 50, 90, 100][rng.below(6) as usize],
                        device_ready: rng.below(10) < 8,
                        device_needs_check: rng.below(10) < 2,
                        health_check: rng.below(10) < 2,
                        user_id: 1 + rng.below(3) as i64,
                        device_reserved_by: (rng.below(10) < 2).then(|| 1 + rng.below(3) as i64),
                    }
                })
                .collect();
            let interfaces = rng.subset(&INTERFACES, 75);
            let busy = rng.subset(&INTERFACES, 15);
            let agent = Claimer {
                id: 1 + rng.below(2) as i64,
                interfaces: &interfaces,
                busy: &busy,
                reserved_by: (rng.below(10) < 2).then(|| 1 + rng.below(3) as i64),
            };
            let db = store(&queue, now, &agent);
            assert_eq!(
                claim(&db, now, &agent),
                pick(&queue, now, &agent),
                "round {round}: {agent:?}"
            );
        }
    }

    fn free(id: i64) -> Queued {
        Queued {
            id,
            pending: true,
            interfaces: vec!["eth1".into()],
            priority: 50,
            device_ready: true,
            user_id: 1,
            ..Queued::default()
        }
    }

    #[test]
    fn a_runnable_job_behind_many_unrunnable_ones_is_claimed() {
        let now = 10;
        let mut queue: Vec<Queued> = (1..=5_000)
            .map(|id| Queued {
                package_agent: if id % 2 == 0 { 7 } else { 0 },
                interfaces: vec![if id % 2 == 0 { "eth1" } else { "eth9" }.into()],
                ..free(id)
            })
            .collect();
        queue.push(Queued {
            run_at: 5,
            ..free(5_001)
        });
        let ifs = vec!["eth1".to_string(), "eth2".to_string()];
        let agent = Claimer {
            id: 1,
            interfaces: &ifs,
            busy: &[],
            reserved_by: None,
        };
        assert_eq!(claim(&store(&queue, now, &agent), now, &agent), Some(5_001));
    }

    /// Agent 1, with `ifs`, none in use, held by no one.
    fn idle(ifs: &[String]) -> Claimer<'_> {
        Claimer {
            id: 1,
            interfaces: ifs,
            busy: &[],
            reserved_by: None,
        }
    }

    #[test]
    fn highest_priority_first_then_first_in_first_out() {
        let ifs = vec!["eth1".to_string()];
        let agent = idle(&ifs);
        let job = |id, priority, run_at| Queued {
            priority,
            run_at,
            ..free(id)
        };
        let q = vec![job(1, 50, 0), job(2, 90, 5), job(3, 90, 5), job(4, 100, 20)];
        // Job 4 is not due yet at 10: the first 90 wins.
        assert_eq!(pick(&q, 10, &agent), Some(2));
        assert_eq!(pick(&q, 20, &agent), Some(4));
        let down = Queued {
            device_ready: false,
            ..job(5, 100, 0)
        };
        assert_eq!(pick(&[down, job(6, 0, 0)], 10, &agent), Some(6));
    }

    #[test]
    fn a_device_that_needs_a_check_runs_its_check_first_and_holders_keep_theirs() {
        let ifs = vec!["eth1".to_string()];
        let agent = idle(&ifs);
        let user_job = Queued {
            priority: 100,
            device_needs_check: true,
            ..free(1)
        };
        let check = Queued {
            priority: 0,
            device_needs_check: true,
            health_check: true,
            ..free(2)
        };
        assert_eq!(pick(&[user_job.clone(), check], 0, &agent), Some(2));
        assert_eq!(pick(&[user_job], 0, &agent), None);
        // A device held by user 2: user 1's job waits, user 2's runs.
        let theirs = Queued {
            device_reserved_by: Some(2),
            ..free(3)
        };
        let mine = Queued {
            user_id: 2,
            ..theirs.clone()
        };
        assert_eq!(pick(std::slice::from_ref(&theirs), 0, &agent), None);
        assert_eq!(pick(&[theirs, mine], 0, &agent), Some(3));
        // An agent held by user 2 takes only user 2's jobs.
        let held = Claimer {
            reserved_by: Some(2),
            ..agent
        };
        assert_eq!(pick(&[free(4)], 0, &held), None);
        let twos = Queued {
            user_id: 2,
            ..free(5)
        };
        assert_eq!(pick(&[free(4), twos], 0, &held), Some(5));
    }
}
