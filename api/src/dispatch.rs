//! Which pending job an agent may claim — the rule as the one SQL query the store runs, and
//! the same rule in plain Rust ([`runnable`]) for the property test that holds the query to
//! it: whatever waits ahead in the queue, the first runnable job is the one claimed.
//!
//! A job is runnable by an agent when it is pending and unclaimed, its `run_at` has come, its
//! package is not pinned to another agent, its device (the job's, else its package's) is
//! `ready`, every one of its interfaces is among the agent's, and none of them is in use by a
//! job that agent already holds. Among runnable jobs the highest priority wins, then the
//! earliest `run_at`, then the lowest id (first in, first out within a priority).

/// Binds: now (µs), the agent's id, its interfaces (JSON array), its busy interfaces (JSON
/// array). Answers at most one row, the job's `id`.
pub const CLAIM_SQL: &str = "SELECT j.id AS id FROM jobs j
       LEFT JOIN packages p ON p.id = j.package_id
       LEFT JOIN devices d
         ON d.id = CASE WHEN j.device_id != 0 THEN j.device_id ELSE coalesce(p.device_id, 0) END
     WHERE j.status = 'pending' AND j.agent_id = 0 AND j.run_at <= ?
       AND coalesce(p.agent_id, 0) IN (0, ?)
       AND coalesce(d.state, 'ready') = 'ready'
       AND NOT EXISTS (SELECT 1 FROM json_each(j.interface_names) AS n
                       WHERE n.value NOT IN (SELECT value FROM json_each(?))
                          OR n.value IN (SELECT value FROM json_each(?)))
     ORDER BY j.priority DESC, j.run_at, j.id LIMIT 1";

/// A queued job as the rule sees it.
#[derive(Debug, Clone)]
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
}

/// The rule in Rust: may `agent` (with `interfaces`, of which `busy` are in use) claim `job`
/// at `now`?
pub fn runnable(
    job: &Queued,
    now: i64,
    agent: i64,
    interfaces: &[String],
    busy: &[String],
) -> bool {
    job.pending
        && job.agent_id == 0
        && job.run_at <= now
        && (job.package_agent == 0 || job.package_agent == agent)
        && job.device_ready
        && job
            .interfaces
            .iter()
            .all(|i| interfaces.contains(i) && !busy.contains(i))
}

/// The job the rule picks: the runnable one of highest priority, then earliest `run_at`, then
/// lowest id.
pub fn pick(
    queue: &[Queued],
    now: i64,
    agent: i64,
    interfaces: &[String],
    busy: &[String],
) -> Option<i64> {
    queue
        .iter()
        .filter(|j| runnable(j, now, agent, interfaces, busy))
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

    fn store(queue: &[Queued]) -> Connection {
        let c = Connection::open_in_memory().expect("sqlite");
        c.execute_batch(
            "CREATE TABLE packages (id INTEGER PRIMARY KEY, agent_id INTEGER NOT NULL,
                                    device_id INTEGER NOT NULL);
             CREATE TABLE devices (id INTEGER PRIMARY KEY, state TEXT NOT NULL);
             CREATE TABLE jobs (id INTEGER PRIMARY KEY, status TEXT NOT NULL, agent_id INTEGER NOT NULL,
                                run_at INTEGER NOT NULL, package_id INTEGER NOT NULL,
                                device_id INTEGER NOT NULL, priority INTEGER NOT NULL,
                                interface_names TEXT NOT NULL);
             INSERT INTO devices (id, state) VALUES (1, 'ready'), (2, 'maintenance'), (3, 'bad'),
                                                   (4, 'ready'), (5, 'retired');",
        )
        .expect("schema");
        for j in queue {
            // One package per job, pinned as the job's; package 0 (deleted) for some. Its
            // device: a ready or unready one, on the job or on its package, or none.
            let deleted = j.id % 7 == 0 && j.package_agent == 0;
            let package = if deleted { -j.id } else { j.id };
            let device: i64 = match (j.device_ready, j.id % 3) {
                (true, 0) => 0,
                (true, 1) => 1,
                (true, _) => 4,
                (false, 0) => 2,
                (false, 1) => 3,
                (false, _) => 5,
            };
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
                                   interface_names)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                params![
                    j.id,
                    if j.pending { "pending" } else { "running" },
                    j.agent_id,
                    j.run_at,
                    package,
                    on_job,
                    j.priority,
                    serde_json::to_string(&j.interfaces).expect("json"),
                ],
            )
            .expect("job");
        }
        c
    }

    fn claim(
        c: &Connection,
        now: i64,
        agent: i64,
        interfaces: &[String],
        busy: &[String],
    ) -> Option<i64> {
        let json = |v: &[String]| serde_json::to_string(v).expect("json");
        c.query_row(
            CLAIM_SQL,
            params![now, agent, json(interfaces), json(busy)],
            |r| r.get(0),
        )
        .ok()
    }

    #[test]
    fn the_query_claims_exactly_what_the_rule_picks_on_random_queues() {
        let mut rng = Rng(0x1ab5_e1a7);
        let now = 1_000_000;
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
                    }
                })
                .collect();
            let agent = 1 + rng.below(2) as i64;
            let interfaces = rng.subset(&INTERFACES, 75);
            let busy = rng.subset(&INTERFACES, 15);
            let db = store(&queue);
            assert_eq!(
                claim(&db, now, agent, &interfaces, &busy),
                pick(&queue, now, agent, &interfaces, &busy),
                "round {round}: agent {agent} with {interfaces:?} (busy {busy:?})"
            );
        }
    }

    #[test]
    fn a_runnable_job_behind_many_unrunnable_ones_is_claimed() {
        let now = 10;
        let mut queue: Vec<Queued> = (1..=5_000)
            .map(|id| Queued {
                id,
                pending: true,
                agent_id: 0,
                run_at: 0,
                package_agent: if id % 2 == 0 { 7 } else { 0 },
                interfaces: vec![if id % 2 == 0 { "eth1" } else { "eth9" }.into()],
                priority: 50,
                device_ready: true,
            })
            .collect();
        queue.push(Queued {
            id: 5_001,
            pending: true,
            agent_id: 0,
            run_at: 5,
            package_agent: 0,
            interfaces: vec!["eth1".into()],
            priority: 50,
            device_ready: true,
        });
        let ifs = vec!["eth1".to_string(), "eth2".to_string()];
        assert_eq!(claim(&store(&queue), now, 1, &ifs, &[]), Some(5_001));
    }
}

#[cfg(test)]
mod priority_tests {
    use super::*;

    fn job(id: i64, priority: i64, run_at: i64) -> Queued {
        Queued {
            id,
            pending: true,
            agent_id: 0,
            run_at,
            package_agent: 0,
            interfaces: vec!["eth1".into()],
            priority,
            device_ready: true,
        }
    }

    #[test]
    fn highest_priority_first_then_first_in_first_out() {
        let ifs = vec!["eth1".to_string()];
        let q = vec![job(1, 50, 0), job(2, 90, 5), job(3, 90, 5), job(4, 100, 20)];
        // Job 4 is not due yet at 10: the first 90 wins.
        assert_eq!(pick(&q, 10, 1, &ifs, &[]), Some(2));
        assert_eq!(pick(&q, 20, 1, &ifs, &[]), Some(4));
        let mut down = job(5, 100, 0);
        down.device_ready = false;
        assert_eq!(pick(&[down, job(6, 0, 0)], 10, 1, &ifs, &[]), Some(6));
    }
}
