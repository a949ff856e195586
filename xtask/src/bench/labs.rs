//! `cargo xtask bench labs`: what labs cost and what they buy, against the real worker under
//! `wrangler dev`. With 50 labs of 10,000 jobs each, one lab's `GET /jobs/?limit=25` as a
//! ratio to the same request in a single-lab deployment (goal ≥ 0.9), and the cost of the
//! entry's token check for a lab (the directory's answer cached in the isolate) as a ratio to
//! a bare object hello. Not a test: it prints tables for BENCHMARKS.md and asserts nothing.

use super::harness::{self, measure_all, print_table, Case, Measured};
use crate::http::Http;
use crate::result::Result;
use serde_json::json;
use std::path::Path;

const LABS: usize = 50;

pub fn run(root: &Path, jobs: u64) -> Result {
    // First a single-lab deployment: 10,000 jobs in the default lab, nothing else.
    let (server, client) = harness::start(root, "bench-labs")?;
    harness::seed(&client, jobs)?;
    let one = measure_all(
        &client,
        &[
            Case::get("(e) Durable Object hello (baseline)", "/healthz/store"),
            Case::get(
                "(s) single lab: GET /jobs/?limit=25",
                "/api/v1/jobs/?limit=25",
            ),
        ],
    );
    print_table(&format!("a single-lab deployment, {jobs} jobs"), &one);

    // Then 50 more labs of as many jobs each, in the same deployment.
    let root_client = client.fresh();
    let started = std::time::Instant::now();
    for i in 0..LABS {
        let name = format!("lab-{i:02}");
        root_client.post("/api/v1/labs/", json!({"name": name}))?;
        let lab = Http::new(
            &format!("{}/labs/{name}", server.url),
            &server.admin_token,
            harness::TIMEOUT,
        );
        harness::seed(&lab, jobs)?;
    }
    println!(
        "seeded {LABS} labs of {jobs} jobs in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    let measured = measure_all(&root_client, &lab_cases());
    print_table(&format!("{LABS} labs of {jobs} jobs each"), &measured);
    print_ratios(&one, &measured);

    root_client.post("/api/v1/labs/", json!({"name": "streaming"}))?;
    let s = streaming::run(&server.url, &server.admin_token, "streaming")?;
    s.print();
    drop(server);
    Ok(())
}

fn lab_cases() -> [Case; 5] {
    [
        Case::get("(e) Durable Object hello (baseline)", "/healthz/store"),
        Case::get(
            "(l) lab-25 of 50: GET /labs/lab-25/api/v1/jobs/?limit=25",
            "/labs/lab-25/api/v1/jobs/?limit=25",
        ),
        Case::get(
            "(d) default lab beside 50 others: GET /api/v1/jobs/?limit=25",
            "/api/v1/jobs/?limit=25",
        ),
        Case::get(
            "(a) a lab's token check + hostname: GET /labs/lab-25/api/v1/system/hostname",
            "/labs/lab-25/api/v1/system/hostname",
        ),
        Case::get(
            "(h) the default lab's hostname (checked in its own object)",
            "/api/v1/system/hostname",
        ),
    ]
}

/// One lab of many against a single-lab deployment, and a lab's token check, each as a
/// ratio of requests/s to its run's hello.
fn print_ratios(one: &[Measured], measured: &[Measured]) {
    let rps =
        |set: &[Measured], p: &str| set.iter().find(|m| m.label.starts_with(p)).map(|m| m.rps);
    let e = rps(measured, "(e)");
    if let (Some(s_rps), Some(l_rps), Some(e1), Some(e2)) =
        (rps(one, "(s)"), rps(measured, "(l)"), rps(one, "(e)"), e)
    {
        // Each round's requests/s relative to its own hello, then lab over single (goal ≥ 0.9).
        println!(
            "\none lab of {LABS} vs a single-lab deployment, GET /jobs/?limit=25: {:.2} (req/s, each normalised by its run's hello)",
            (l_rps / e2) / (s_rps / e1)
        );
    }
    if let (Some(a_rps), Some(h_rps), Some(e_rps)) = (rps(measured, "(a)"), rps(measured, "(h)"), e)
    {
        println!(
            "token check for a lab: {:.2} of a bare object hello's req/s ({:.2} for the default lab's own check)",
            a_rps / e_rps,
            h_rps / e_rps
        );
    }
}

/// Agents streaming logs into one lab while a browser follows its jobs list and idle agents
/// hold claims: what the browser re-fetches, what the claims wake for, and the requests/s.
pub mod streaming {
    use crate::bench::harness::TIMEOUT;
    use crate::http::Http;
    use crate::result::Result;
    use serde_json::json;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::Arc;
    use std::thread::JoinHandle;
    use std::time::{Duration, Instant};

    pub const AGENTS: usize = 20;
    pub const LINES_PER_SEC: u64 = 20;
    const IDLE: usize = 3;
    const SECONDS: u64 = 15;

    pub struct Streamed {
        pub seconds: f64,
        pub agent_requests: u64,
        pub browser_answers: u64,
        pub list_refetches: u64,
        pub claim_wakeups: u64,
    }

    impl Streamed {
        pub fn print(&self) {
            println!(
                "\n### {AGENTS} agents streaming {LINES_PER_SEC} log lines/s each into one lab ({:.0} s), 3 idle agents holding claims, one browser on the jobs view\n",
                self.seconds
            );
            println!("| measure | per second | goal |");
            println!("|---|---:|---|");
            let rate = |n: u64| n as f64 / self.seconds;
            println!(
                "| agent requests (log appends, heartbeats) | {:.0} | |",
                rate(self.agent_requests)
            );
            println!(
                "| the browser's /changes answers | {:.2} | |",
                rate(self.browser_answers)
            );
            println!(
                "| its jobs-list re-fetches | {:.2} | ≤ 2 |",
                rate(self.list_refetches)
            );
            println!(
                "| claim wake-ups (logs and heartbeats only) | {:.2} | 0 |",
                rate(self.claim_wakeups)
            );
        }
    }

    pub fn run(base: &str, admin_token: &str, lab: &str) -> Result<Streamed> {
        // The admin's client of the lab (its paths under `/labs/<lab>`).
        let in_lab = format!("{base}/labs/{lab}");
        let lab = Http::new(&in_lab, admin_token, TIMEOUT);
        let agents = register(&lab, base)?;
        let jobs = started_jobs(&lab, &agents)?;
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicU64::new(0));
        // Idle agents hold claims the whole time.
        let mut threads: Vec<JoinHandle<()>> = agents
            .iter()
            .skip(AGENTS)
            .map(|agent| hold_claims(agent.fresh(), stop.clone()))
            .collect();
        let before = lab.get_data("/api/v1/system/status")?;
        let start = Instant::now();
        for (agent, job) in agents.iter().take(AGENTS).zip(&jobs) {
            threads.push(stream_log(
                agent.fresh(),
                job.clone(),
                stop.clone(),
                requests.clone(),
            ));
        }
        let browser = Http::new(&in_lab, admin_token, TIMEOUT);
        let (answers, refetches) = browse(&lab, &browser, start)?;
        stop.store(true, Ordering::Relaxed);
        let seconds = start.elapsed().as_secs_f64();
        let after = lab.get_data("/api/v1/system/status")?;
        for t in threads {
            let _ = t.join();
        }
        let wakeups = after["claim_wakeups"].as_u64().unwrap_or(0)
            - before["claim_wakeups"].as_u64().unwrap_or(0);
        Ok(Streamed {
            seconds,
            agent_requests: requests.load(Ordering::Relaxed),
            browser_answers: answers,
            list_refetches: refetches,
            claim_wakeups: wakeups,
        })
    }

    /// The streaming agents, then the idle ones: each one's client (of `base`: an agent's
    /// token names its lab).
    fn register(lab: &Http, base: &str) -> Result<Vec<Http>> {
        let mut agents = Vec::new();
        for i in 0..AGENTS + IDLE {
            let a = lab.post("/api/v1/agents/", json!({"name": format!("stream-{i}")}))?;
            let token = a["data"]["token"].as_str().ok_or("no agent token")?;
            agents.push(Http::new(base, token, TIMEOUT));
        }
        Ok(agents)
    }

    /// One job per streaming agent, on interfaces of its own, claimed and started.
    fn started_jobs(lab: &Http, agents: &[Http]) -> Result<Vec<String>> {
        let mut jobs = Vec::new();
        for (i, agent) in agents.iter().take(AGENTS).enumerate() {
            let cfg = lab.post(
                "/api/v1/configs/",
                json!({"name": format!("s{i}"), "contents": format!("testvar lanInterface s{i}-lan\ntestvar wanInterface s{i}-wan\n")}),
            )?;
            let pkg = lab.post(
                "/api/v1/packages/",
                json!({"name": format!("s{i}"), "testlist": ["cdrouter_basic_1"], "config_id": cfg["data"]["id"]}),
            )?;
            lab.post("/api/v1/jobs/", json!({"package_id": pkg["data"]["id"]}))?;
            let claim = agent.post(
                "/api/v1/agent/claim",
                json!({"interfaces": [format!("s{i}-lan"), format!("s{i}-wan")], "capacity": 1, "wait_secs": 5, "version": "bench", "host": "bench"}),
            )?;
            let job = claim["data"]["job"]["id"]
                .as_str()
                .ok_or("no claim")?
                .to_string();
            agent.post(&format!("/api/v1/agent/jobs/{job}/start"), json!({}))?;
            jobs.push(job);
        }
        Ok(jobs)
    }

    /// An idle agent's claims, one after another until `stop`.
    fn hold_claims(agent: Http, stop: Arc<AtomicBool>) -> JoinHandle<()> {
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let _ = agent.post(
                    "/api/v1/agent/claim",
                    json!({"interfaces": ["idle-lan"], "capacity": 1, "wait_secs": 5, "version": "bench", "host": "bench"}),
                );
            }
        })
    }

    /// `LINES_PER_SEC` log lines a second into `job`, a heartbeat every two seconds.
    fn stream_log(
        agent: Http,
        job: String,
        stop: Arc<AtomicBool>,
        requests: Arc<AtomicU64>,
    ) -> JoinHandle<()> {
        std::thread::spawn(move || {
            let mut offset = 0u64;
            let mut n = 0u64;
            let begun = Instant::now();
            while !stop.load(Ordering::Relaxed) {
                let text = format!("{:>6} PASS: a line of a CDRouter log, as it streams\n", n);
                let _ = agent.post(
                    &format!("/api/v1/agent/jobs/{job}/log"),
                    json!({"offset": offset, "text": text}),
                );
                offset += text.len() as u64;
                n += 1;
                requests.fetch_add(1, Ordering::Relaxed);
                if n.is_multiple_of(LINES_PER_SEC * 2) {
                    let _ = agent.post(
                        &format!("/api/v1/agent/jobs/{job}/heartbeat"),
                        json!({"progress": {"done": n / 40, "total": 100, "passed": n / 40, "failed": 0}}),
                    );
                    requests.fetch_add(1, Ordering::Relaxed);
                }
                // LINES_PER_SEC lines a second, on schedule.
                let due = Duration::from_millis(n * 1000 / LINES_PER_SEC);
                if let Some(wait) = due.checked_sub(begun.elapsed()) {
                    std::thread::sleep(wait);
                }
            }
        })
    }

    /// One browser on the jobs view for `SECONDS` from `start`: it re-fetches the list when
    /// jobs (not logs) changed. (answers, re-fetches).
    fn browse(lab: &Http, browser: &Http, start: Instant) -> Result<(u64, u64)> {
        let mut version = lab.get_data("/api/v1/changes?wait=0")?["version"]
            .as_u64()
            .unwrap_or(0);
        let (mut answers, mut refetches) = (0u64, 0u64);
        while start.elapsed() < Duration::from_secs(SECONDS) {
            let v = browser.get(&format!("/api/v1/changes?after={version}&wait=5"))?;
            let data = &v["data"];
            let next = data["version"].as_u64().unwrap_or(version);
            if next == version {
                continue;
            }
            version = next;
            answers += 1;
            let lists = match data["changes"].as_array() {
                None => true,
                Some(c) => c.iter().any(|c| c["kind"] != "log"),
            };
            if lists {
                refetches += 1;
                let _ = browser.get("/api/v1/jobs/?limit=25");
            }
        }
        Ok((answers, refetches))
    }
}
