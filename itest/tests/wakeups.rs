//! Targeted wake-ups: a held claim re-checks only for what can make a job dispatchable
//! (launch, finish...), never for log lines or heartbeats; browsers are told what changed
//! (`/changes` lists kinds and ids), so a job page following its log does not re-fetch lists.
//! Each test runs in a lab of its own, so nothing else wakes anything there.

use labrelay_itest::id;
use labrelay_itest::lab::Lab;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn status(lab: &Lab) -> Value {
    lab.admin.get_data(&lab.at("/api/v1/system/status"))
}

#[test]
fn logs_and_heartbeats_wake_no_claim_and_tell_browsers_only_what_changed() {
    let lab = Lab::new();
    let ((_, idle), (_, busy)) = (lab.agent("idle"), lab.agent("busy"));
    // The idle agent holds a claim open, for interfaces no job here needs.
    let held = std::thread::spawn(move || {
        idle.post(
            "/api/v1/agent/claim",
            &json!({"interfaces": ["nothing-lan"], "capacity": 1, "wait_secs": 8, "version": "t", "host": "t"}),
        )
        .status
    });
    let start = Instant::now();
    while status(&lab)["held_claims"] != 1 {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the claim is not held"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // A job for the busy agent, claimed and started.
    let pkg = lab.package("b-lan", "b-wan", json!({}));
    let launched = status(&lab)["claim_wakeups"].as_u64().unwrap_or(0);
    let job = lab.launch(json!({"package_id": pkg["id"]}));
    let woken = status(&lab)["claim_wakeups"].as_u64().unwrap_or(0);
    assert_eq!(woken, launched + 1, "a launch wakes the held claim");
    let claim = busy
        .post(
            "/api/v1/agent/claim",
            &json!({"interfaces": ["b-lan", "b-wan"], "capacity": 1, "wait_secs": 0, "version": "t", "host": "t"}),
        )
        .expect(200);
    assert_eq!(id(&claim.data()["job"]), job);
    busy.post(&format!("/api/v1/agent/jobs/{job}/start"), &json!({}))
        .expect(200);
    let before = status(&lab);
    let version = before["version"].as_u64().unwrap_or(0);
    // Twenty log lines and a few heartbeats.
    let mut offset = 0u64;
    for i in 0..20 {
        let text = format!("line {i}\n");
        busy.post(
            &format!("/api/v1/agent/jobs/{job}/log"),
            &json!({"offset": offset, "text": text}),
        )
        .expect(200);
        offset += text.len() as u64;
    }
    for done in 0..3 {
        busy.post(
            &format!("/api/v1/agent/jobs/{job}/heartbeat"),
            &json!({"progress": {"done": done, "total": 3, "passed": done, "failed": 0}}),
        )
        .expect(200);
    }
    let after = status(&lab);
    assert_eq!(
        after["claim_wakeups"], before["claim_wakeups"],
        "log lines and heartbeats woke a held claim"
    );
    assert_eq!(after["held_claims"], 1);
    // A browser that saw `version` is told: this job's log, and this job (its progress).
    let changes = lab
        .admin
        .get(&lab.at(&format!("/api/v1/changes?after={version}&wait=0")))
        .expect(200);
    let kinds: Vec<(String, String)> = changes.data()["changes"]
        .as_array()
        .expect("changes listed")
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap_or_default().to_string(),
                c["id"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("log".to_string(), job.clone()),
            ("jobs".to_string(), job.clone())
        ],
        "{}",
        changes.raw
    );
    // A version this object never gave (or too old): null, reload everything.
    let unknown = lab
        .admin
        .get(&lab.at("/api/v1/changes?after=1&wait=0"))
        .expect(200);
    assert!(unknown.data()["changes"].is_null(), "{}", unknown.raw);
    // The run ends: its interfaces are free, the held claim re-checks.
    busy.post(
        &format!("/api/v1/agent/jobs/{job}/finish"),
        &json!({"status": "completed", "exit_code": 0, "summary": {"tests": 1, "passed": 1, "failed": 0}}),
    )
    .expect(200);
    let finished = status(&lab);
    assert!(
        finished["claim_wakeups"].as_u64() > after["claim_wakeups"].as_u64(),
        "a finished run wakes held claims: {finished}"
    );
    assert_eq!(
        held.join().ok(),
        Some(204),
        "the idle agent found nothing to run"
    );
}
