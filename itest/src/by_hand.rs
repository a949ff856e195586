//! A run spoken by hand, as an agent would (results tests): a lab's package on interfaces
//! of its own, its job claimed and started by a registered agent's token, files put part by
//! part.

use crate::own::{launch, package_on};
use crate::{unique, Api};
use serde_json::json;
use sha2::{Digest, Sha256};

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn enc(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A job claimed and started by hand: (agent api, job id, result id).
pub fn manual_run(api: &Api) -> (Api, String, String) {
    let (ifaces, pkg) = package_on(api, "rif", &["dns_45"]);
    let registered = api.create("agents", json!({"name": unique("uploader")}));
    let agent = Api::with_token(registered["token"].as_str().map(str::to_string));
    let job_id = launch(api, &pkg, json!({}));
    agent
        .post(
            "/api/v1/agent/claim",
            &json!({"interfaces": ifaces, "wait_secs": 5}),
        )
        .expect(200);
    let job = agent
        .post(&format!("/api/v1/agent/jobs/{job_id}/start"), &json!({}))
        .expect(200);
    let rid = job.data()["result_id"]
        .as_str()
        .expect("result")
        .to_string();
    (agent, job_id, rid)
}

pub fn put(
    agent: &Api,
    job: &str,
    name: &str,
    data: &[u8],
    part: u32,
    part_data: &[u8],
) -> crate::Answer {
    agent.put_bytes(
        &format!(
            "/api/v1/agent/jobs/{job}/files/{}?size={}&sha256={}&part={part}&part_sha256={}",
            enc(name),
            data.len(),
            hex(&Sha256::digest(data)),
            hex(&Sha256::digest(part_data))
        ),
        part_data,
    )
}
