//! A lab of its own per test (queue tests): its packages, jobs and agents over HTTP, claims
//! and finishes spoken as an agent would.

use crate::own::{at, lab_name};
use crate::{id, unique, Api};
use serde_json::{json, Value};

pub struct Lab {
    pub name: String,
    pub admin: Api,
}

impl Default for Lab {
    fn default() -> Lab {
        Lab::new()
    }
}

impl Lab {
    pub fn new() -> Lab {
        Lab::with_members(&[])
    }

    /// A lab these users (ids) may use besides the admins.
    pub fn with_members(members: &[&str]) -> Lab {
        let name = lab_name("q");
        Api::admin().create("labs", json!({"name": name, "members": members}));
        Lab {
            name,
            admin: Api::admin(),
        }
    }

    pub fn at(&self, p: &str) -> String {
        at(&self.name, p)
    }

    pub fn create(&self, what: &str, body: Value) -> Value {
        self.admin
            .post_data(&self.at(&format!("/api/v1/{what}/")), &body)
    }

    /// A package whose jobs need `lan` and `wan`.
    pub fn package(&self, lan: &str, wan: &str, extra: Value) -> Value {
        let cfg = self.create(
            "configs",
            json!({"name": unique("c"), "contents": format!("testvar lanInterface {lan}\ntestvar wanInterface {wan}\n")}),
        );
        let mut body =
            json!({"name": unique("p"), "testlist": ["cdrouter_basic_1"], "config_id": cfg["id"]});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        self.create("packages", body)
    }

    pub fn launch(&self, body: Value) -> String {
        id(&self.create("jobs", body))
    }

    pub fn job(&self, id: &str) -> Value {
        self.admin
            .get_data(&self.at(&format!("/api/v1/jobs/{id}/")))
    }

    /// Why job `id` waits (its `waiting`), asserting the code and the reason.
    #[track_caller]
    pub fn waits(&self, id: &str, code: &str, reason: &str) -> Value {
        let w = self.job(id)["waiting"].clone();
        assert_eq!(w["code"], code, "{w}");
        assert_eq!(w["reason"], reason, "{w}");
        w
    }

    /// As [`Lab::waits`], for a reason that starts with `reason`.
    #[track_caller]
    pub fn waits_for(&self, id: &str, code: &str, reason: &str) -> Value {
        let w = self.job(id)["waiting"].clone();
        assert_eq!(w["code"], code, "{w}");
        assert!(
            w["reason"].as_str().unwrap_or("").starts_with(reason),
            "{w}"
        );
        w
    }

    pub fn agent(&self, name: &str) -> (String, Api) {
        let a = self.create("agents", json!({"name": name}));
        (
            id(&a),
            Api::with_token(Some(a["token"].as_str().expect("token").to_string())),
        )
    }
}

/// One claim, not held: the job it got, if any.
pub fn claim(agent: &Api, interfaces: &[&str]) -> Option<String> {
    let a = agent.post(
        "/api/v1/agent/claim",
        &json!({"interfaces": interfaces, "capacity": 1, "wait_secs": 0, "version": "t", "host": "t"}),
    );
    match a.status {
        200 => Some(id(&a.data()["job"])),
        204 => None,
        _ => panic!("claim: {}", a.raw),
    }
}

pub fn finish(agent: &Api, job: &str) {
    agent
        .post(
            &format!("/api/v1/agent/jobs/{job}/finish"),
            &json!({"status": "completed", "exit_code": 0}),
        )
        .expect(200);
}

/// A finish with this status and these verdict counts.
pub fn finish_with(agent: &Api, job: &str, status: &str, passed: u64, failed: u64) {
    agent
        .post(
            &format!("/api/v1/agent/jobs/{job}/finish"),
            &json!({"status": status, "exit_code": if failed > 0 { 1 } else { 0 },
                    "summary": {"tests": passed + failed, "passed": passed, "failed": failed}}),
        )
        .expect(200);
}

/// A new user (not an admin): its id and its API.
pub fn user() -> (String, Api) {
    let u = Api::admin().create(
        "users",
        json!({"name": unique("member"), "password": "member-password"}),
    );
    let token = u["token"].as_str().expect("token").to_string();
    (id(&u), Api::with_token(Some(token)))
}
