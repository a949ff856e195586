//! Queue control: priorities (highest first, first in first out within a level), why a
//! pending job waits (a code, words, its place), and device states that hold a device's jobs.
//! Each test has a lab of its own, with agents spoken for over HTTP.

use labrelay_itest::id;
use labrelay_itest::lab::{claim, finish, Lab};
use serde_json::json;
use std::time::Duration;

#[test]
fn highest_priority_first_and_first_in_first_out_within_a_level() {
    let lab = Lab::new();
    let pkg = lab.package("p-lan", "p-wan", json!({"priority": 70}));
    let low = lab.launch(json!({"package_id": pkg["id"], "priority": 10}));
    let from_package = lab.launch(json!({"package_id": pkg["id"]}));
    let high_1 = lab.launch(json!({"package_id": pkg["id"], "priority": 90}));
    let high_2 = lab.launch(json!({"package_id": pkg["id"], "priority": 90}));
    assert_eq!(
        lab.job(&from_package)["priority"],
        70,
        "the package's priority"
    );
    lab.admin
        .post(
            &lab.at("/api/v1/jobs/"),
            &json!({"package_id": pkg["id"], "priority": 101}),
        )
        .expect_error(400, "priority is 0 to 100");
    // An edit moves a job up.
    lab.admin
        .patch(
            &lab.at(&format!("/api/v1/jobs/{low}/")),
            &json!({"priority": 95}),
        )
        .expect(200);
    // A bulk launch sets it for every job it makes (fields shared over matching packages).
    let bulk = lab
        .admin
        .post(
            &lab.at(&format!("/api/v1/jobs/?bulk=launch&filter=id={}", id(&pkg))),
            &json!({"fields": {"priority": 5, "run_at": "2199-01-01T00:00:00Z"}}),
        )
        .expect(200);
    let made = bulk.data().as_array().cloned().unwrap_or_default();
    assert_eq!(made.len(), 1, "{}", bulk.raw);
    assert_eq!(made[0]["priority"], 5);
    let (_, agent) = lab.agent("a");
    let mut order = Vec::new();
    while let Some(job) = claim(&agent, &["p-lan", "p-wan"]) {
        finish(&agent, &job);
        order.push(job);
    }
    assert_eq!(order, vec![low, high_1, high_2, from_package]);
}

#[test]
fn a_pending_job_says_why_it_waits() {
    let lab = Lab::new();
    let code = |job: &str| {
        lab.job(job)["waiting"]["code"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let pkg = lab.package("w-lan", "w-wan", json!({}));
    // No agent at all.
    let first = lab.launch(json!({"package_id": pkg["id"]}));
    let w = lab.waits(
        &first,
        "no_agent",
        "no online agent has all of its interfaces (w-lan, w-wan)",
    );
    assert_eq!(w["position"], 1);
    // Later: scheduled.
    let later = lab.launch(json!({"package_id": pkg["id"], "run_at": "2199-01-01T00:00:00Z"}));
    assert_eq!(code(&later), "scheduled");
    // An agent with the interfaces takes the first; the next one waits for them.
    let (_, agent) = lab.agent("w-agent");
    assert_eq!(claim(&agent, &["w-lan", "w-wan"]), Some(first.clone()));
    let second = lab.launch(json!({"package_id": pkg["id"]}));
    lab.waits(
        &second,
        "interfaces_busy",
        &format!("w-lan, w-wan in use by job {first} on agent w-agent"),
    );
    // A third is behind the second.
    let third = lab.launch(json!({"package_id": pkg["id"]}));
    assert_eq!(lab.job(&third)["waiting"]["position"], 2);
    finish(&agent, &first);
    lab.waits(
        &third,
        "queued",
        "behind 1 job of higher or equal priority for its interfaces",
    );
    // In lists too, and only on pending jobs.
    let list = lab
        .admin
        .get(&lab.at("/api/v1/jobs/?limit=100"))
        .expect(200);
    for j in list.data().as_array().cloned().unwrap_or_default() {
        assert_eq!(
            j["waiting"].is_object(),
            j["status"] == "pending" && j["agent_id"] == "0",
            "{j}"
        );
    }
    // Pinned to an agent that is offline.
    let (pinned, _) = lab.agent("never-seen");
    let pkg2 = lab.package("w-lan", "w-wan", json!({"agent_id": pinned}));
    let held = lab.launch(json!({"package_id": pkg2["id"]}));
    lab.waits(
        &held,
        "agent_offline",
        "its package runs only on agent never-seen, which is offline",
    );
}

/// Places stay right as the queue changes between reads: a job that comes due by the clock
/// (no write at all), a priority edit, a deletion (the object keeps the due queue between
/// reads; see `queue.rs`).
#[test]
fn places_follow_the_queue_between_reads() {
    let lab = Lab::new();
    let pkg = lab.package("c-lan", "c-wan", json!({}));
    let place = |job: &str| lab.job(job)["waiting"]["position"].clone();
    let first = lab.launch(json!({"package_id": pkg["id"]}));
    let soon = (time::OffsetDateTime::now_utc() + Duration::from_secs(3))
        .format(&time::format_description::well_known::Rfc3339)
        .expect("a time in RFC 3339");
    let later = lab.launch(json!({"package_id": pkg["id"], "run_at": soon, "priority": 90}));
    assert_eq!(lab.job(&later)["waiting"]["code"], "scheduled");
    assert_eq!(place(&first), 1);
    // It comes due while nothing is written, and goes ahead of the first.
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(place(&first), 2);
    let w = lab.job(&later)["waiting"].clone();
    assert_eq!(w["code"], "no_agent", "{w}");
    assert_eq!(w["position"], 1, "{w}");
    // Lowered below the first.
    lab.admin
        .patch(
            &lab.at(&format!("/api/v1/jobs/{later}/")),
            &json!({"priority": 10}),
        )
        .expect(200);
    assert_eq!(place(&first), 1);
    assert_eq!(place(&later), 2);
    // The first gone: the other is first.
    lab.admin
        .delete(&lab.at(&format!("/api/v1/jobs/{first}/")))
        .expect(204);
    assert_eq!(place(&later), 1);
}

/// Places count only the jobs ahead that want one of the job's interfaces, across several
/// interface sets (the store numbers the distinct sets of the due queue: a set launched
/// later may sort first).
#[test]
fn places_count_only_jobs_that_share_an_interface() {
    let lab = Lab::new();
    let place = |job: &str| lab.job(job)["waiting"]["position"].clone();
    let (a, b, c) = (
        lab.package("m-a-lan", "m-a-wan", json!({})),
        lab.package("m-b-lan", "m-b-wan", json!({})),
        lab.package("m-a-lan", "m-c-wan", json!({})),
    );
    let b1 = lab.launch(json!({"package_id": b["id"]}));
    let c1 = lab.launch(json!({"package_id": c["id"]}));
    let a1 = lab.launch(json!({"package_id": a["id"]}));
    assert_eq!(
        (place(&b1), place(&c1), place(&a1)),
        (json!(1), json!(1), json!(2))
    );
    let a2 = lab.launch(json!({"package_id": a["id"], "priority": 90}));
    assert_eq!(place(&a2), 1);
    assert_eq!(
        (place(&b1), place(&c1), place(&a1)),
        (json!(1), json!(2), json!(3))
    );
}

/// A queue longer than the jobs read to place (20,000, docs/api.md): the first are placed
/// exactly, one past them is told it is behind at least that many. A lab of its own, so the
/// other tests' queues stay short.
#[test]
fn a_very_long_queue_gives_a_lower_bound_past_what_is_read() {
    let lab = Lab::new();
    let pkg = lab.package("long-lan", "long-wan", json!({}));
    let mut ids: Vec<String> = Vec::new();
    while ids.len() < 20_002 {
        let n = (20_002 - ids.len()).min(1000);
        let jobs: Vec<serde_json::Value> =
            (0..n).map(|_| json!({"package_id": pkg["id"]})).collect();
        let made = lab
            .admin
            .post(
                &lab.at("/api/v1/jobs/?bulk=launch"),
                &json!({ "jobs": jobs }),
            )
            .expect(200);
        ids.extend(
            made.data()
                .as_array()
                .map(|a| a.iter().map(labrelay_itest::id).collect::<Vec<_>>())
                .unwrap_or_default(),
        );
    }
    // An agent with the interfaces runs the first: it is online and they are free.
    let (_, agent) = lab.agent("long-agent");
    assert_eq!(
        claim(&agent, &["long-lan", "long-wan"]),
        Some(ids[0].clone())
    );
    finish(&agent, &ids[0]);
    let w = lab.job(&ids[1])["waiting"].clone();
    assert_eq!(w["code"], "queued", "{w}");
    assert_eq!(w["position"], 1, "{w}");
    let w = lab.job(&ids[20_000])["waiting"].clone();
    assert_eq!(w["position"], 20_000, "{w}");
    assert_eq!(
        w["reason"],
        "behind 19999 jobs of higher or equal priority for its interfaces"
    );
    let w = lab.job(&ids[20_001])["waiting"].clone();
    assert_eq!(w["code"], "queued", "{w}");
    assert_eq!(w["position"], 20_001, "{w}");
    assert_eq!(
        w["reason"],
        "behind at least 20000 jobs of higher or equal priority for its interfaces"
    );
}

#[test]
fn a_device_that_is_not_ready_holds_its_jobs() {
    let lab = Lab::new();
    let device = lab.create("devices", json!({"name": "dut-1"}));
    assert_eq!(device["state"], "ready");
    lab.admin
        .patch(
            &lab.at(&format!("/api/v1/devices/{}/", id(&device))),
            &json!({"state": "maintenance", "state_note": "firmware upgrade"}),
        )
        .expect(200);
    lab.admin
        .patch(
            &lab.at(&format!("/api/v1/devices/{}/", id(&device))),
            &json!({"state": "broken"}),
        )
        .expect(400);
    let pkg = lab.package("d-lan", "d-wan", json!({"device_id": device["id"]}));
    let job = lab.launch(json!({"package_id": pkg["id"]}));
    let (_, agent) = lab.agent("d-agent");
    assert_eq!(
        claim(&agent, &["d-lan", "d-wan"]),
        None,
        "a device in maintenance runs nothing"
    );
    lab.waits(
        &job,
        "device_not_ready",
        "device dut-1 is maintenance: firmware upgrade",
    );
    assert_eq!(
        lab.admin
            .total(&lab.at("/api/v1/devices/?filter=state=maintenance")),
        1
    );
    // The device's queue: its jobs, whether the device is the job's or (here) its package's.
    assert_eq!(lab.job(&job)["device_id"], "0");
    let queue = lab
        .admin
        .get(&lab.at(&format!(
            "/api/v1/jobs/?filter=run_device_id={}&filter=status=pending",
            id(&device)
        )))
        .expect(200);
    assert_eq!(queue.body["links"]["total"], 1);
    assert_eq!(queue.data()[0]["id"], job.as_str());
    lab.admin
        .patch(
            &lab.at(&format!("/api/v1/devices/{}/", id(&device))),
            &json!({"state": "ready"}),
        )
        .expect(200);
    assert_eq!(claim(&agent, &["d-lan", "d-wan"]), Some(job));
}
