//! `GET /api/v1/agent/whoami` on the real worker, and `labrelay-agent check` (the real
//! binary, `LABRELAY_AGENT_BIN`) against it.

use labrelay_itest::{agent_check, base_url, id, unique, Api, Scratch};
use serde_json::{json, Value};

/// Deletes a registered agent: the shared server is left as it was found.
fn forget(agent: &Value) {
    Api::admin()
        .delete(&format!("/api/v1/agents/{}/", id(agent)))
        .expect(204);
}

fn register() -> (Value, String) {
    let made = Api::admin().create("agents", json!({"name": unique("whoami")}));
    let token = made["token"].as_str().expect("agent token").to_string();
    (made, token)
}

#[test]
fn whoami_names_the_agent_and_where_it_last_claimed_from() {
    let (made, token) = register();
    let as_agent = Api::with_token(Some(token));
    let me = as_agent.get("/api/v1/agent/whoami").expect(200);
    assert_eq!(
        me.data(),
        &json!({"id": made["id"], "name": made["name"], "hostname": ""})
    );
    // Asking is not working: the agent is not seen by it.
    let listed = Api::admin()
        .get(&format!("/api/v1/agents/{}/", id(&made)))
        .expect(200);
    assert_eq!(listed.data()["last_seen"], Value::Null, "{}", listed.raw);
    assert_eq!(listed.data()["online"], false);
    let host = unique("lab-host");
    as_agent
        .post(
            "/api/v1/agent/claim",
            &json!({"interfaces": [unique("none")], "wait_secs": 0, "host": host}),
        )
        .expect(204);
    let me = as_agent.get("/api/v1/agent/whoami/").expect(200);
    assert_eq!(me.data()["hostname"], host.as_str());
    forget(&made);
}

#[test]
fn whoami_takes_only_an_agents_token_and_only_get() {
    let (made, token) = register();
    Api::anonymous()
        .get("/api/v1/agent/whoami")
        .expect_error(401, "invalid token");
    Api::admin()
        .get("/api/v1/agent/whoami")
        .expect_error(403, "insufficient privileges");
    Api::with_token(Some(token))
        .post("/api/v1/agent/whoami", &json!({}))
        .expect(405);
    forget(&made);
}

#[test]
fn check_passes_against_the_worker_and_names_the_agent() {
    let (made, token) = register();
    let scratch = Scratch::new("labrelay-check");
    let (code, out) = agent_check(&base_url(), &token, &scratch, &scratch.path, &[]);
    assert_eq!(code, 0, "{out}");
    let name = made["name"].as_str().unwrap_or_default();
    assert!(
        out.contains(&format!("valid: agent {} \"{name}\"", id(&made))),
        "{out}"
    );
    assert!(out.contains("ready: all 5 checks passed"), "{out}");
    forget(&made);
}

#[test]
fn check_fails_for_a_deleted_agents_token() {
    let (made, token) = register();
    Api::admin()
        .delete(&format!("/api/v1/agents/{}/", id(&made)))
        .expect(204);
    let scratch = Scratch::new("labrelay-check");
    let (code, out) = agent_check(&base_url(), &token, &scratch, &scratch.path, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("the server refused the token (invalid token)"),
        "{out}"
    );
}
