//! Labs: each its own jobs, packages, configs, devices and agents (its own Durable Object),
//! reached at `/labs/{lab}/api/v1/...`; the bare `/api/v1/...` is the default lab; users and
//! tokens are global, with membership per lab.

use labrelay_itest::lab::user;
use labrelay_itest::own::{at, lab_name};
use labrelay_itest::{base_url, id, unique, AgentProc, AgentSpec, Api};
use serde_json::{json, Value};
use std::time::Duration;

fn lab(members: &[&str]) -> String {
    let name = lab_name("lab");
    let members: Vec<Value> = members.iter().map(|m| json!(m)).collect();
    Api::admin().create("labs", json!({"name": name, "members": members}));
    name
}

#[test]
fn labs_are_isolated_and_ids_and_names_are_per_lab() {
    let admin = Api::admin();
    let (a, b) = (lab(&[]), lab(&[]));
    let same_name = |l: &str| {
        admin.post_data(
            &at(l, "/api/v1/packages/"),
            &json!({"name": "same-name", "testlist": ["cdrouter_basic_1"]}),
        )
    };
    let (pa, pb) = (same_name(&a), same_name(&b));
    assert_eq!(id(&pa), "1", "a new lab numbers from 1");
    assert_eq!(id(&pb), "1");
    let list = |l: &str| admin.total(&at(l, "/api/v1/packages/"));
    assert_eq!(list(&a), 1);
    assert_eq!(list(&b), 1);
    admin.delete(&at(&a, "/api/v1/packages/1/")).expect(204);
    assert_eq!(list(&a), 0);
    assert_eq!(list(&b), 1, "deleting in one lab leaves the other alone");
    // The default lab is the bare path, and `/labs/default` is the same lab.
    let bare = admin.get("/api/v1/packages/?limit=1").expect(200).body["links"]["total"].clone();
    let named = admin
        .get("/labs/default/api/v1/packages/?limit=1")
        .expect(200)
        .body["links"]["total"]
        .clone();
    assert_eq!(bare, named);
    admin.get_refused("/labs/no-such-lab/api/v1/jobs/", 404, "no such lab");
    admin.get_refused("/labs/Bad_Name/api/v1/jobs/", 404, "no such lab");
}

#[test]
fn users_see_only_their_labs() {
    let (uid, member) = user();
    let (_, outsider) = user();
    let mine = lab(&[&uid]);
    let other = lab(&[]);
    member.get(&at(&mine, "/api/v1/jobs/")).expect(200);
    member.get_refused(&at(&other, "/api/v1/jobs/"), 404, "no such lab");
    outsider.get_refused(&at(&mine, "/api/v1/jobs/"), 404, "no such lab");
    // Everyone has the default lab.
    outsider.get("/api/v1/jobs/").expect(200);
    let names: Vec<String> = member
        .get("/api/v1/labs/")
        .expect(200)
        .data()
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|l| l["name"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(names, vec!["default".to_string(), mine.clone()]);
    // Only admins make labs; users are global (a lab path reaches the same users).
    member
        .post("/api/v1/labs/", &json!({"name": "mine-too"}))
        .expect_error(403, "insufficient privileges");
    member
        .get(&at(&mine, &format!("/api/v1/users/{uid}/")))
        .expect(200);
    // Ownership holds inside a lab as well.
    let cfg = Api::admin().post_data(
        &at(&mine, "/api/v1/configs/"),
        &json!({"name": unique("cfg")}),
    );
    member
        .delete(&at(&mine, &format!("/api/v1/configs/{}/", id(&cfg))))
        .expect_error(
            403,
            "insufficient privileges: only its owner or an admin may change this config",
        );
    // Nobody is trusted for what they claim in the entry's own headers.
    let forged = ureq::get(&format!("{}{}", base_url(), at(&mine, "/api/v1/jobs/")))
        .set(
            "x-labrelay-caller",
            r#"{"user_id":"1","admin":true,"readonly":false,"labs":[]}"#,
        )
        .call();
    assert!(
        matches!(forged, Err(ureq::Error::Status(401, _))),
        "{forged:?}"
    );
}

#[test]
fn a_labs_agents_run_only_its_jobs() {
    let admin = Api::admin();
    let (a, b) = (lab(&[]), lab(&[]));
    let u = unique("if");
    let ifaces = vec![format!("{u}-lan"), format!("{u}-wan")];
    let package = |l: &str| {
        let cfg = admin
            .post_data(
                &at(l, "/api/v1/configs/"),
                &json!({"name": "cfg", "contents": format!("testvar lanInterface {}\ntestvar wanInterface {}\n", ifaces[0], ifaces[1])}),
            );
        admin.post_data(
            &at(l, "/api/v1/packages/"),
            &json!({"name": "pkg", "testlist": ["cdrouter_basic_1"], "config_id": cfg["id"]}),
        )
    };
    let (pa, pb) = (package(&a), package(&b));
    let registered = admin.post_data(&at(&a, "/api/v1/agents/"), &json!({"name": "agent-a"}));
    let token = registered["token"].as_str().expect("token").to_string();
    assert!(
        token.starts_with(&format!("{a}.")),
        "a lab's agent token names it: {token}"
    );
    // Job in B first: A's agent, with exactly its interfaces, must never take it.
    let jb = id(admin
        .post(&at(&b, "/api/v1/jobs/"), &json!({"package_id": pb["id"]}))
        .expect(200)
        .data());
    let ja = id(admin
        .post(&at(&a, "/api/v1/jobs/"), &json!({"package_id": pa["id"]}))
        .expect(200)
        .data());
    let _agent = AgentProc::spawn(
        id(&registered),
        token.clone(),
        AgentSpec {
            name: "agent-a",
            interfaces: &ifaces,
            concurrency: 1,
            sim_env: &[("CDROUTER_SIM_TEST_MS", "10")],
        },
    );
    let in_lab = Api::admin();
    let done = wait_until(&in_lab, &at(&a, &format!("/api/v1/jobs/{ja}/")));
    assert_eq!(done["status"], "completed", "{done}");
    let still = in_lab
        .get(&at(&b, &format!("/api/v1/jobs/{jb}/")))
        .expect(200);
    assert_eq!(
        still.data()["status"],
        "pending",
        "B's job waits for B's agents"
    );
    // The agent's token opens its own lab's agent endpoints only.
    let agent = Api::with_token(Some(token));
    agent.get("/api/v1/agent/whoami").expect(200);
    agent.get(&at(&a, "/api/v1/agent/whoami")).expect(200);
    agent.get_refused(&at(&b, "/api/v1/agent/whoami"), 401, "invalid token");
    // And never user endpoints.
    agent.get(&at(&a, "/api/v1/jobs/")).expect(403);
    admin
        .delete(&at(&b, &format!("/api/v1/jobs/{jb}/")))
        .expect(204);
}

/// A job (by its full path) once it has finished.
fn wait_until(api: &Api, path: &str) -> Value {
    let start = std::time::Instant::now();
    loop {
        let job = api.get_data(path);
        if matches!(
            job["status"].as_str(),
            Some("completed" | "error" | "stopped")
        ) {
            return job;
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "job not finished: {job}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}
