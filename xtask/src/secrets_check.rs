//! A step of `cargo xtask test`: a worker started as a deployment would be (no
//! `LABRELAY_DEV=1`) with the local default admin secrets must refuse to serve the API (503
//! naming the secret), while its health checks still answer. Needs its own server, hence here.

use crate::http::{answer_of, Answer, Http};
use crate::result::Result;
use crate::server::{Options, Server, DEV_ADMIN_PASSWORD};
use std::path::Path;
use std::time::Duration;

pub fn run(root: &Path, port: u16, state: &Path) -> Result {
    let server = Server::start(root, Options::local(port, state, false))?;
    let admin = server.admin(Duration::from_secs(30));
    let anonymous = Http::anonymous(&server.url, Duration::from_secs(30));
    let refused = |resp: Result<Answer>, what: &str| -> Result {
        match resp {
            Ok(Answer { status: 503, body }) => {
                if body.contains("ADMIN_PASSWORD") {
                    Ok(())
                } else {
                    Err(format!("{what}: 503 without naming the secret: {body}"))
                }
            }
            Ok(Answer { status, .. }) if status < 400 => Err(format!(
                "{what}: served ({status}) with the default secrets"
            )),
            Ok(Answer { status, body }) => Err(format!("{what}: {status} {body}, not 503")),
            Err(e) => Err(format!("{what}: {e}, not 503")),
        }
    };
    let result = (|| {
        refused(
            admin.answer("GET", "/api/v1/jobs/", None),
            "GET /api/v1/jobs/ with the default admin token",
        )?;
        refused(
            answer_of(
                anonymous
                    .request("POST", "/authenticate")
                    .send_form(&[("username", "admin"), ("password", DEV_ADMIN_PASSWORD)]),
            ),
            "POST /authenticate with the default admin password",
        )?;
        match anonymous.answer("GET", "/healthz", None) {
            Ok(a) if a.status == 200 => Ok(()),
            Ok(a) => Err(format!(
                "/healthz should still answer: {} {}",
                a.status, a.body
            )),
            Err(e) => Err(format!("/healthz should still answer: {e}")),
        }
    })();
    drop(server);
    match &result {
        Ok(()) => println!("weak secrets: 1 passed, 0 failed"),
        Err(e) => println!("weak secrets: 0 passed, 1 failed: {e}"),
    }
    result
}
