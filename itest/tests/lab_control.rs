//! Lab control: device health checks (a failed check marks the device bad and holds its
//! queue), reservations of a device or an agent (only the holder's jobs run on it), and
//! CDRouter package schedules (an `automatic` job at each tick, once).

use labrelay_itest::id;
use labrelay_itest::lab::{claim, finish_with, user, Lab};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn waiting(lab: &Lab, job: &str) -> Value {
    lab.job(job)["waiting"].clone()
}

fn device(lab: &Lab, device: &str) -> Value {
    lab.admin
        .get_data(&lab.at(&format!("/api/v1/devices/{device}/")))
}

#[test]
fn a_device_is_checked_before_its_jobs_and_a_failed_check_holds_its_queue() {
    let lab = Lab::new();
    let dut = lab.create("devices", json!({"name": "dut-h"}));
    let dut_id = id(&dut);
    let check_pkg = lab.package("h-lan", "h-wan", json!({"name": "health check"}));
    lab.admin
        .patch(
            &lab.at(&format!("/api/v1/devices/{dut_id}/")),
            &json!({"health_package_id": "999999"}),
        )
        .expect_error(404, "no such package");
    lab.admin
        .patch(
            &lab.at(&format!("/api/v1/devices/{dut_id}/")),
            &json!({"health_package_id": check_pkg["id"], "health_every_hours": 100_000}),
        )
        .expect(400);
    lab.admin
        .patch(
            &lab.at(&format!("/api/v1/devices/{dut_id}/")),
            &json!({"health_package_id": check_pkg["id"]}),
        )
        .expect(200);
    assert_eq!(device(&lab, &dut_id)["health"], "unknown");
    let pkg = lab.package(
        "h-lan",
        "h-wan",
        json!({"device_id": dut["id"], "priority": 100}),
    );
    let first = lab.launch(json!({"package_id": pkg["id"]}));
    let (_, agent) = lab.agent("h-agent");
    let ifs = ["h-lan", "h-wan"];

    // Its health is unknown: the claim gets the check, launched for it, not the user's job.
    let check = claim(&agent, &ifs).expect("the health check");
    assert_ne!(check, first);
    let c = lab.job(&check);
    assert_eq!(
        (
            &c["health_check"],
            &c["automatic"],
            &c["device_id"],
            &c["priority"]
        ),
        (&json!(true), &json!(true), &dut["id"], &json!(100))
    );
    let w = waiting(&lab, &first);
    assert_eq!(w["code"], "device_not_ready", "{w}");
    assert_eq!(
        w["reason"],
        format!("device dut-h waits for its health check (job {check})")
    );
    assert_eq!(claim(&agent, &ifs), None, "the check holds the interfaces");
    finish_with(&agent, &check, "completed", 3, 0);
    let d = device(&lab, &dut_id);
    assert_eq!(d["health"], "good", "{d}");
    assert!(d["health_checked"].is_string());

    // Healthy: the user's job runs; it ends in error, so the device is checked again.
    assert_eq!(claim(&agent, &ifs), Some(first.clone()));
    finish_with(&agent, &first, "error", 0, 0);
    assert_eq!(device(&lab, &dut_id)["health"], "unknown");
    let second = lab.launch(json!({"package_id": pkg["id"]}));
    let check2 = claim(&agent, &ifs).expect("a second check");
    assert_ne!(check2, second);
    // The check fails: the device is bad, and no user job is lost to it.
    finish_with(&agent, &check2, "completed", 2, 1);
    let d = device(&lab, &dut_id);
    assert_eq!(d["state"], "bad", "{d}");
    assert_eq!(
        d["state_note"],
        format!("health check job {check2} failed 1 test(s)")
    );
    assert_eq!(claim(&agent, &ifs), None);
    let w = waiting(&lab, &second);
    assert_eq!(w["code"], "device_not_ready");
    assert_eq!(
        w["reason"],
        format!("device dut-h is bad: health check job {check2} failed 1 test(s)")
    );
    // Fixed and back to ready: checked once more before the job.
    lab.admin
        .patch(
            &lab.at(&format!("/api/v1/devices/{dut_id}/")),
            &json!({"state": "ready", "state_note": ""}),
        )
        .expect(200);
    let check3 = claim(&agent, &ifs).expect("a third check");
    assert_eq!(lab.job(&check3)["health_check"], true);
    finish_with(&agent, &check3, "completed", 3, 0);
    assert_eq!(claim(&agent, &ifs), Some(second));
}

#[test]
fn a_reserved_device_or_agent_runs_only_its_holders_jobs() {
    let (bob_id, bob) = user();
    let (carol_id, carol) = user();
    let lab = Lab::with_members(&[&bob_id, &carol_id]);
    let bob_at = |p: &str| lab.at(p);
    let dut = lab.create("devices", json!({"name": "dut-r"}));
    let pkg = lab.package("r-lan", "r-wan", json!({"device_id": dut["id"]}));
    // Bad reservations are refused in words.
    for (body, status, says) in [
        (json!({"device_id": dut["id"]}), 400, "minutes is required"),
        (
            json!({"device_id": dut["id"], "minutes": 0}),
            400,
            "minutes is 1 to 10080 (a week)",
        ),
        (
            json!({"device_id": dut["id"], "minutes": 10_081}),
            400,
            "minutes is 1 to 10080 (a week)",
        ),
        (
            json!({"minutes": 5}),
            400,
            "reserve either a device (device_id) or an agent (agent_id)",
        ),
        (
            json!({"device_id": "999999", "minutes": 5}),
            404,
            "no such device",
        ),
    ] {
        bob.post(&bob_at("/api/v1/reservations/"), &body)
            .expect_error(status, says);
    }
    let r = bob.post_data(
        &bob_at("/api/v1/reservations/"),
        &json!({"device_id": dut["id"], "minutes": 30, "note": "bisecting"}),
    );
    assert_eq!(
        (&r["active"], &r["name"], &r["note"]),
        (&json!(true), &json!("dut-r"), &json!("bisecting"))
    );
    // Someone else cannot take it.
    lab.admin
        .post(
            &lab.at("/api/v1/reservations/"),
            &json!({"device_id": dut["id"], "minutes": 5}),
        )
        .expect(409);
    // The admin's job was first, but bob holds the device: bob's job runs.
    let theirs = lab.launch(json!({"package_id": pkg["id"]}));
    let mine = id(bob
        .post(&bob_at("/api/v1/jobs/"), &json!({"package_id": pkg["id"]}))
        .expect(200)
        .data());
    let (agent_id, agent) = lab.agent("r-agent");
    let ifs = ["r-lan", "r-wan"];
    assert_eq!(claim(&agent, &ifs), Some(mine.clone()));
    finish_with(&agent, &mine, "completed", 1, 0);
    assert_eq!(claim(&agent, &ifs), None);
    lab.waits_for(&theirs, "reserved", "device dut-r is reserved by ");
    // Renewed by its holder; given back, the queue carries on.
    let rid = id(&r);
    let renewed = bob
        .patch(
            &bob_at(&format!("/api/v1/reservations/{rid}/")),
            &json!({"minutes": 60}),
        )
        .expect(200)
        .data()
        .clone();
    assert!(renewed["until"].as_str() > r["until"].as_str());
    bob.delete(&bob_at(&format!("/api/v1/reservations/{rid}/")))
        .expect(204);
    let over = bob.get_data(&bob_at(&format!("/api/v1/reservations/{rid}/")));
    assert_eq!(over["active"], false);
    bob.patch(
        &bob_at(&format!("/api/v1/reservations/{rid}/")),
        &json!({"minutes": 5}),
    )
    .expect(409);
    assert_eq!(claim(&agent, &ifs), Some(theirs.clone()));
    finish_with(&agent, &theirs, "completed", 1, 0);

    // Bob holds the agent: it runs only bob's jobs, whatever device.
    bob.post(
        &bob_at("/api/v1/reservations/"),
        &json!({"agent_id": agent_id, "minutes": 30}),
    )
    .expect(200);
    let plain = lab.package("r-lan", "r-wan", json!({}));
    let admins = lab.launch(json!({"package_id": plain["id"]}));
    assert_eq!(claim(&agent, &ifs), None);
    lab.waits_for(&admins, "reserved", "agent r-agent is reserved by ");
    let list = bob.get_data(&bob_at("/api/v1/reservations/"));
    let rows = list.as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 2, "{list}");
    assert_eq!(rows[0]["active"], true, "live ones first");
    // Only the holder (or an admin) ends it.
    let live = id(&rows[0]);
    carol
        .delete(&lab.at(&format!("/api/v1/reservations/{live}/")))
        .expect(403);
}

#[test]
fn a_package_schedule_launches_one_automatic_job_per_tick() {
    let lab = Lab::new();
    let pkg = lab.package("s-lan", "s-wan", json!({}));
    let pid = id(&pkg);
    assert_eq!(pkg["schedule"]["enabled"], false);
    let edit = |body: Value| {
        lab.admin
            .patch(&lab.at(&format!("/api/v1/packages/{pid}/")), &body)
    };
    edit(json!({"schedule": {"enabled": true, "spec": "61 * * * *"}}))
        .expect_error(400, "schedule spec: minute \"61\" is outside 0-59");
    // A step past its field is refused, never wrapped into "every minute" (issue 21).
    edit(json!({"schedule": {"enabled": true, "spec": "59/4294967295 3 * * *"}})).expect_error(
        400,
        "schedule spec: minute step \"4294967295\" is not a whole number from 1 to 59",
    );
    edit(json!({"schedule": {"enabled": true, "spec": "0 3 1-99 * *"}}))
        .expect_error(400, "schedule spec: day of month \"99\" is outside 1-31");
    // Every minute, with CDRouter's schedule options.
    let p = edit(json!({"schedule": {"enabled": true, "spec": "* * * * *",
                                     "options": {"tags": ["nightly"], "skip_tests": null}}}))
    .expect(200)
    .data()
    .clone();
    let next = p["schedule_next"]
        .as_str()
        .expect("a next tick")
        .to_string();
    assert!(next.ends_with(":00Z") || next.contains(":00."), "{next}");
    let automatic = || {
        lab.admin
            .get(&lab.at(&format!(
                "/api/v1/jobs/?filter=package_id={pid}&filter=automatic=true&limit=10"
            )))
            .expect(200)
            .data()
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    assert!(automatic().is_empty());
    // The tick comes within a minute (and the alarm right after it).
    let deadline = Instant::now() + Duration::from_secs(90);
    let jobs = loop {
        let jobs = automatic();
        if !jobs.is_empty() || Instant::now() > deadline {
            break jobs;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(jobs.len(), 1, "one job for the tick: {jobs:?}");
    assert_eq!(jobs[0]["options"]["tags"], json!(["nightly"]));
    assert_eq!(jobs[0]["automatic"], true);
    // The next tick is after the one that fired; turned off, none.
    let after = lab
        .admin
        .get_data(&lab.at(&format!("/api/v1/packages/{pid}/")));
    assert!(
        after["schedule_next"].as_str() > Some(next.as_str()),
        "{after}"
    );
    let off = edit(json!({"schedule": {"enabled": false}}))
        .expect(200)
        .data()
        .clone();
    assert!(off.get("schedule_next").is_none(), "{off}");
    assert_eq!(off["schedule"]["spec"], "* * * * *", "the spec is kept");
    assert!(automatic().len() <= 2, "no burst of launches");
}

#[test]
fn a_reservation_ends_by_itself_and_the_queue_carries_on() {
    let (bob_id, bob) = user();
    let lab = Lab::with_members(&[&bob_id]);
    let dut = lab.create("devices", json!({"name": "dut-e"}));
    let pkg = lab.package("e-lan", "e-wan", json!({"device_id": dut["id"]}));
    let r = bob.post_data(
        &lab.at("/api/v1/reservations/"),
        &json!({"device_id": dut["id"], "minutes": 1}),
    );
    let until = r["until"].as_str().expect("until").to_string();
    let job = lab.launch(json!({"package_id": pkg["id"]}));
    let (_, agent) = lab.agent("e-agent");
    let ifs = ["e-lan", "e-wan"];
    assert_eq!(claim(&agent, &ifs), None, "held for bob");
    assert_eq!(waiting(&lab, &job)["code"], "reserved");
    // Nobody renews it: once `until` has passed, the agent's held claim gets the job.
    let deadline = Instant::now() + Duration::from_secs(120);
    let got = loop {
        let a = agent.post(
            "/api/v1/agent/claim",
            &json!({"interfaces": ifs, "capacity": 1, "wait_secs": 20, "version": "t", "host": "t"}),
        );
        if a.status == 200 {
            break Some(id(&a.data()["job"]));
        }
        assert_eq!(a.status, 204, "{}", a.raw);
        if Instant::now() > deadline {
            break None;
        }
    };
    assert_eq!(got, Some(job.clone()));
    let claimed_at = lab.job(&job)["updated"].as_str().unwrap_or("").to_string();
    assert!(
        claimed_at >= until,
        "claimed at {claimed_at}, reserved until {until}"
    );
    let over = lab
        .admin
        .get_data(&lab.at(&format!("/api/v1/reservations/{}/", id(&r))));
    assert_eq!(over["active"], false);
}
