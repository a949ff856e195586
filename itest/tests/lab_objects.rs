//! Unknown labs never make Durable Objects: a burst of requests naming labs that do not exist
//! (a lab path with no token, an agent token `<name>.<hex>`, a user's token on a lab path) is
//! answered by the entry worker from the directory's list, and the state directory holds as
//! many objects' databases after it as before. (A test binary of its own: `cargo test` runs
//! binaries one after another, so no other test makes objects meanwhile.)

use labrelay_itest::{unique, Api};
use serde_json::json;
use std::path::{Path, PathBuf};

/// The objects' SQLite databases under the worker's state directory (`v3/do/...`).
fn databases(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(databases(&p));
        } else if p.extension().is_some_and(|x| x == "sqlite") {
            out.push(p);
        }
    }
    out
}

#[test]
fn requests_for_unknown_labs_make_no_objects() {
    let state = PathBuf::from(
        std::env::var("LABRELAY_STATE").expect("LABRELAY_STATE is set by `cargo xtask test`"),
    )
    .join("v3")
    .join("do");
    let admin = Api::admin();
    // The directory exists (and so does its database) before counting.
    admin.get("/api/v1/labs/").expect(200);
    let before = databases(&state);
    assert!(!before.is_empty(), "no databases under {}", state.display());
    for i in 0..40 {
        let lab = format!(
            "nolab-{}-{i}",
            unique("x").to_ascii_lowercase().replace('_', "-")
        );
        let lab: String = lab.chars().take(40).collect();
        let lab = lab.trim_end_matches('-');
        let a = Api::anonymous().get(&format!("/labs/{lab}/api/v1/openapi.json"));
        assert!(matches!(a.status, 401 | 404), "{lab}: {}", a.raw);
        Api::with_token(Some(format!("{lab}.0123456789abcdef0123456789abcdef")))
            .post(
                "/api/v1/agent/claim",
                &json!({"interfaces": ["x"], "wait_secs": 0}),
            )
            .expect_error(401, "invalid token");
        Api::with_token(Some(format!("{lab}.0123456789abcdef0123456789abcdef")))
            .get("/api/v1/agent/whoami")
            .expect_error(401, "invalid token");
        admin.get_refused(&format!("/labs/{lab}/api/v1/jobs/"), 404, "no such lab");
        admin
            .post(
                &format!("/labs/{lab}/api/v1/configs/"),
                &json!({"name": "x"}),
            )
            .expect_error(404, "no such lab");
    }
    let after = databases(&state);
    assert_eq!(
        after.len(),
        before.len(),
        "requests for labs that do not exist made objects: {:?}",
        after
            .iter()
            .filter(|p| !before.contains(p))
            .collect::<Vec<_>>()
    );
}
