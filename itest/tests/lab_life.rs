//! A lab's life: deleting one closes it at once (its users 404, its agents 401, its running
//! job stopped and its agent told), a lab created again under the same name starts empty and
//! never hands the old lab's records, agents or tokens to its new members, and a deleted lab
//! is kept for an admin to restore until it is purged.

use labrelay_itest::lab::user;
use labrelay_itest::own::{at, lab_name};
use labrelay_itest::{id, unique, AgentProc, AgentSpec, Api};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn name() -> String {
    lab_name("life")
}

fn create(lab: &str, members: &[&str]) -> Value {
    Api::admin().post_data("/api/v1/labs/", &json!({"name": lab, "members": members}))
}

fn deleted(lab: &str) -> Vec<Value> {
    Api::admin()
        .get("/api/v1/labs/?deleted=true")
        .expect(200)
        .data()
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|d| d["name"] == lab)
        .collect()
}

/// An agent of a closed lab: its token is refused, to ask who it is and to claim.
#[track_caller]
fn refused_agent(agent: &Api) {
    agent.get_refused("/api/v1/agent/whoami", 401, "invalid token");
    agent
        .post(
            "/api/v1/agent/claim",
            &json!({"interfaces": ["a"], "wait_secs": 0}),
        )
        .expect_error(401, "invalid token");
}

#[test]
fn a_lab_created_again_starts_empty_and_the_old_ones_tokens_are_dead() {
    let admin = Api::admin();
    let x = name();
    let (old_id, old_member) = user();
    let (new_id, new_member) = user();
    create(&x, &[&old_id]);
    admin
        .post(
            &at(&x, "/api/v1/configs/"),
            &json!({"name": "router", "contents": "testvar adminPassword old-team-secret\n"}),
        )
        .expect(200);
    let registered = admin.post_data(&at(&x, "/api/v1/agents/"), &json!({"name": "old-agent"}));
    let old_agent = Api::with_token(registered["token"].as_str().map(str::to_string));
    old_agent.get("/api/v1/agent/whoami").expect(200);

    admin.delete(&format!("/api/v1/labs/{x}/")).expect(204);
    // At once: the old lab's agents and users are refused.
    refused_agent(&old_agent);
    old_member.get_refused(&at(&x, "/api/v1/configs/"), 404, "no such lab");
    admin.get_refused(&at(&x, "/api/v1/configs/"), 404, "no such lab");
    let kept = deleted(&x);
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0]["members"], json!([old_id]));

    // The same name again, another team: nothing of the old lab.
    create(&x, &[&new_id]);
    assert_eq!(new_member.total(&at(&x, "/api/v1/configs/")), 0);
    assert_eq!(new_member.total(&at(&x, "/api/v1/agents/")), 0);
    assert_eq!(new_member.total(&at(&x, "/api/v1/jobs/")), 0);
    new_member.get_refused(&at(&x, "/api/v1/configs/1/"), 404, "no such config");
    old_member.get_refused(&at(&x, "/api/v1/configs/"), 404, "no such lab");
    refused_agent(&old_agent);
    // New ids start at 1 again, in a store of its own.
    let cfg = admin.post_data(&at(&x, "/api/v1/configs/"), &json!({"name": "router"}));
    assert_eq!(id(&cfg), "1");

    // The old lab cannot come back over the new one...
    admin
        .post(&format!("/api/v1/labs/{x}/restore"), &json!({}))
        .expect(409);
    // ...but can once the name is free: with its records, members and agents.
    admin
        .delete(&format!("/api/v1/labs/{x}/?purge=true"))
        .expect(204);
    let restored = admin.post_data(
        &format!("/api/v1/labs/{x}/restore"),
        &json!({"incarnation": kept[0]["incarnation"]}),
    );
    assert_eq!(restored["members"], json!([old_id]));
    let config = old_member.get_data(&at(&x, "/api/v1/configs/1/"));
    assert_eq!(
        config["contents"], "testvar adminPassword old-team-secret\n",
        "{config}"
    );
    old_agent.get("/api/v1/agent/whoami").expect(200);
    new_member.get_refused(&at(&x, "/api/v1/configs/"), 404, "no such lab");
    assert!(deleted(&x)
        .iter()
        .all(|d| d["incarnation"] != kept[0]["incarnation"]));
    admin
        .delete(&format!("/api/v1/labs/{x}/?purge=true"))
        .expect(204);
}

#[test]
fn lifecycle_calls_refuse_bad_input_clearly() {
    let admin = Api::admin();
    let (_, member) = user();
    let x = name();
    admin
        .post(&format!("/api/v1/labs/{x}/restore"), &json!({}))
        .expect_error(404, "no such deleted lab");
    create(&x, &[]);
    member
        .delete(&format!("/api/v1/labs/{x}/"))
        .expect_error(403, "insufficient privileges");
    member.get_refused("/api/v1/labs/?deleted=true", 403, "insufficient privileges");
    member
        .post(&format!("/api/v1/labs/{x}/restore"), &json!({}))
        .expect_error(403, "insufficient privileges");
    admin.get("/api/v1/labs/?deleted=maybe").expect(400);
    admin
        .delete(&format!("/api/v1/labs/{x}/?purge=maybe"))
        .expect(400);
    admin
        .post(
            &format!("/api/v1/labs/{x}/restore"),
            &json!({"incarnation": "x"}),
        )
        .expect(400);
    admin.get(&format!("/api/v1/labs/{x}/restore")).expect(405);
    admin.delete(&format!("/api/v1/labs/{x}/")).expect(204);
    admin
        .delete(&format!("/api/v1/labs/{x}/"))
        .expect_error(404, "no such lab");
    admin
        .post(
            &format!("/api/v1/labs/{x}/restore"),
            &json!({"incarnation": 1}),
        )
        .expect_error(404, "no such deleted lab");
    // Restored twice: the second finds nothing deleted to bring back.
    admin
        .post(&format!("/api/v1/labs/{x}/restore"), &json!({}))
        .expect(200);
    admin
        .post(&format!("/api/v1/labs/{x}/restore"), &json!({}))
        .expect_error(404, "no such deleted lab");
    // Removed for good: the purge runs to its end (files, records, then the tombstone), and
    // only then does the lab leave the deleted list; nothing is left to restore.
    admin
        .delete(&format!("/api/v1/labs/{x}/?purge=true"))
        .expect(204);
    let start = Instant::now();
    while !deleted(&x).is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the purge never ended: {:?}",
            deleted(&x)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    admin
        .post(&format!("/api/v1/labs/{x}/restore"), &json!({}))
        .expect_error(404, "no such deleted lab");
    admin.get_refused(&format!("/labs/{x}/api/v1/jobs/"), 404, "no such lab");
}

#[test]
fn a_deleted_labs_running_job_is_stopped_and_its_agent_told() {
    let admin = Api::admin();
    let x = name();
    create(&x, &[]);
    let u = unique("if");
    let ifaces = vec![format!("{u}-lan"), format!("{u}-wan")];
    let cfg = admin
        .post_data(
            &at(&x, "/api/v1/configs/"),
            &json!({"name": "cfg", "contents": format!("testvar lanInterface {}\ntestvar wanInterface {}\n", ifaces[0], ifaces[1])}),
        );
    let pkg = admin.post_data(
        &at(&x, "/api/v1/packages/"),
        &json!({"name": "pkg", "testlist": ["cdrouter_basic_1", "dns_45"], "config_id": cfg["id"]}),
    );
    let registered = admin.post_data(&at(&x, "/api/v1/agents/"), &json!({"name": "agent"}));
    let mut agent = AgentProc::spawn(
        id(&registered),
        registered["token"].as_str().expect("token").to_string(),
        AgentSpec {
            name: "agent",
            interfaces: &ifaces,
            concurrency: 1,
            // The run stays in its first test until it is stopped.
            sim_env: &[("CDROUTER_SIM_HANG", "1")],
        },
    );
    let job = id(admin
        .post(&at(&x, "/api/v1/jobs/"), &json!({"package_id": pkg["id"]}))
        .expect(200)
        .data());
    let start = Instant::now();
    loop {
        let j = admin.get_data(&at(&x, &format!("/api/v1/jobs/{job}/")));
        if j["status"] == "running" && j["progress"]["done"].as_u64() >= Some(1) {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "never ran: {j}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let kept = {
        admin.delete(&format!("/api/v1/labs/{x}/")).expect(204);
        deleted(&x)
    };
    // The agent hears it (its stop long-poll or heartbeat is refused), stops cdrouter-cli and
    // exits when its next claim is refused: nothing runs on the lab machine for a lab that
    // is gone.
    let start = Instant::now();
    let status = loop {
        if let Ok(Some(status)) = agent.child.try_wait() {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the agent of a deleted lab runs on:\n{}",
            agent.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(!status.success(), "a refused token is an error exit");
    let log = agent.log();
    assert!(log.contains("lease lost"), "{log}");
    assert!(log.contains("invalid token"), "{log}");
    // The record says what happened (seen after a restore).
    admin
        .post(
            &format!("/api/v1/labs/{x}/restore"),
            &json!({"incarnation": kept[0]["incarnation"]}),
        )
        .expect(200);
    let j = admin.get_data(&at(&x, &format!("/api/v1/jobs/{job}/")));
    assert_eq!(j["status"], "stopped", "{j}");
    assert_eq!(j["reason"], "the lab was deleted", "{j}");
    let result = admin.get_data(&at(
        &x,
        &format!(
            "/api/v1/results/{}/",
            j["result_id"].as_str().expect("result")
        ),
    ));
    assert_eq!(result["status"], "stopped", "{result}");
    agent.kill_hard();
    admin
        .delete(&format!("/api/v1/labs/{x}/?purge=true"))
        .expect(204);
}
