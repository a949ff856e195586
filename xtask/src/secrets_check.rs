//! A step of `cargo xtask test`: a worker started as a deployment would be (no
//! `LABRELAY_DEV=1`) with the local default admin secrets must refuse to serve the API (503
//! naming the secret), while its health checks still answer. Needs its own server, hence here.

use crate::server::{Options, Server, DEV_ADMIN_PASSWORD, DEV_ADMIN_TOKEN};
use crate::Result;
use std::path::Path;
use std::time::Duration;

pub fn run(root: &Path, port: u16, state: &Path) -> Result {
    let server = Server::start(root, Options::local(port, state, false))?;
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .build();
    let url = |p: &str| format!("{}{p}", server.url);
    let refused = |resp: std::result::Result<ureq::Response, ureq::Error>, what: &str| -> Result {
        match resp {
            Err(ureq::Error::Status(503, r)) => {
                let body = r.into_string().unwrap_or_default();
                if body.contains("ADMIN_PASSWORD") {
                    Ok(())
                } else {
                    Err(format!("{what}: 503 without naming the secret: {body}"))
                }
            }
            Ok(r) => Err(format!(
                "{what}: served ({}) with the default secrets",
                r.status()
            )),
            Err(e) => Err(format!("{what}: {e}, not 503")),
        }
    };
    let result = (|| {
        refused(
            agent
                .get(&url("/api/v1/jobs/"))
                .set("authorization", &format!("Bearer {DEV_ADMIN_TOKEN}"))
                .call(),
            "GET /api/v1/jobs/ with the default admin token",
        )?;
        refused(
            agent
                .post(&url("/authenticate"))
                .send_form(&[("username", "admin"), ("password", DEV_ADMIN_PASSWORD)]),
            "POST /authenticate with the default admin password",
        )?;
        match agent.get(&url("/healthz")).call() {
            Ok(r) if r.status() == 200 => Ok(()),
            other => Err(format!("/healthz should still answer: {other:?}")),
        }
    })();
    drop(server);
    match &result {
        Ok(()) => println!("weak secrets: 1 passed, 0 failed"),
        Err(e) => println!("weak secrets: 0 passed, 1 failed: {e}"),
    }
    result
}
