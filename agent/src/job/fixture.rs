//! For the job's unit tests: a claim as the server sends it, built from JSON, so fields the
//! API adds later need no change here.

use labrelay_api::agents::Claim;

/// A claim of job 42 (config `cfg`) with these tests, package arguments and config text.
pub fn claim(testlist: &[&str], package_args: &str, config: &str) -> Claim {
    let t = "2026-01-02T03:04:05Z";
    serde_json::from_value(serde_json::json!({
        "job": {
            "id": "42", "active": true, "status": "running", "options": {},
            "package_id": "1", "package_name": "pkg", "device_id": "2",
            "device_name": "dut", "config_id": "3", "config_name": "cfg",
            "result_id": null, "user_id": "1", "created": t, "updated": t,
            "automatic": false, "run_at": t, "interfaces": [], "interface_names": [],
            "uses_wireless": false, "uses_ics": false, "ics_interface_name": ""
        },
        "testlist": testlist,
        "package_extra_cli_args": package_args,
        "config_name": "cfg",
        "config": config,
        "device": null,
        "lease": {"expires_at": t, "ttl_secs": 60, "heartbeat_secs": 10},
    }))
    .expect("a valid claim")
}
