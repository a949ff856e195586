//! Results end to end: the real agent runs the cdrouter-cli simulator replaying the real
//! CDRouter runs of `fixtures/cdrouter-exports/`; the worker keeps the result, its tests,
//! captures and files (in R2); every results endpoint answers as CDRouter's does, bad input
//! included. Each test uses interfaces of its own, so only its own agents claim its jobs.

use labrelay_itest::by_hand::{enc, hex, manual_run, put};
use labrelay_itest::own::{launch, package_on};
use labrelay_itest::{finished, strings, unique, wait_for_job, AgentProc, Api};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::time::Duration;

const LONG: Duration = Duration::from_secs(180);

/// (seq, name, result, log) of a result's tests.
fn tests_of(api: &Api, result: &str) -> Vec<(u64, String, String, String)> {
    api.get(&format!("/api/v1/results/{result}/tests/?limit=none"))
        .expect(200)
        .data()
        .as_array()
        .expect("tests")
        .iter()
        .map(|t| {
            (
                t["seq"].as_str().and_then(|s| s.parse().ok()).unwrap_or(0),
                t["name"].as_str().unwrap_or("").to_string(),
                t["result"].as_str().unwrap_or("").to_string(),
                t["log"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// Every file the agent's run wrote is listed with its SHA-256 and downloads byte for byte.
fn assert_files_match(api: &Api, result: &str, dir: &Path) -> usize {
    let listed = api
        .get(&format!("/api/v1/results/{result}/logdir/"))
        .expect(200);
    let listed = listed.data().as_array().expect("a list").clone();
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("result dir") {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        let local = std::fs::read(entry.path()).expect("file");
        let remote = listed
            .iter()
            .find(|f| f["name"] == name.as_str())
            .unwrap_or_else(|| panic!("{name} is not listed"));
        assert_eq!(
            remote["sha256"],
            hex(&Sha256::digest(&local)).as_str(),
            "{name}"
        );
        assert_eq!(remote["size"], local.len() as u64, "{name}");
        let (status, _, bytes) =
            api.get_bytes(&format!("/api/v1/results/{result}/logdir/{}", enc(&name)));
        assert_eq!(status, 200, "{name}");
        assert!(bytes == local, "{name}: the download differs");
        n += 1;
    }
    assert_eq!(n, listed.len(), "nothing listed that the run did not write");
    n
}

#[test]
fn a_run_of_real_tests_gives_a_cdrouter_result_with_tests_logs_and_captures() {
    let api = Api::admin();
    let (ifaces, pkg) = package_on(&api, "rif", &["cdrouter_app_14", "dns_45"]);
    let agent = AgentProc::simulating("results-agent", &ifaces, "100");
    let job_id = launch(&api, &pkg, json!({}));
    let job = wait_for_job(&api, &job_id, LONG, finished);
    assert_eq!(job["status"], "completed", "agent log:\n{}", agent.log());
    let rid = job["result_id"].as_str().expect("a result id").to_string();

    // The result, as the real CDRouter recorded this run (tests counts start and final).
    let r = api.get(&format!("/api/v1/results/{rid}/")).expect(200);
    let r = r.data();
    assert_eq!(r["id"], rid.as_str());
    assert_eq!(r["status"], "completed");
    assert_eq!(r["active"], false);
    assert_eq!(r["result"], "The package completed successfully.");
    assert_eq!(
        (r["tests"].as_u64(), r["pass"].as_u64(), r["fail"].as_u64()),
        (Some(4), Some(1), Some(1))
    );
    assert_eq!(
        r["testcases"],
        json!(["cdrouter_app_14", "dns_45", "final", "start"])
    );
    assert_eq!(r["job_id"], job_id.as_str());
    assert_eq!(r["package_name"], pkg["name"]);
    assert!(r["size_on_disk"].as_u64().unwrap_or(0) > 400_000);

    let tests = tests_of(&api, &rid);
    let want: Vec<(u64, &str, &str, &str)> = vec![
        (1, "start", "pass", "start.txt"),
        (2, "cdrouter_app_14", "fail", "cdrouter_app_14.txt"),
        (3, "dns_45", "pass", "dns_45.txt"),
        (4, "final", "pass", "final.txt"),
    ];
    let got: Vec<(u64, &str, &str, &str)> = tests
        .iter()
        .map(|(s, n, r, l)| (*s, n.as_str(), r.as_str(), l.as_str()))
        .collect();
    assert_eq!(got, want);
    let t = api
        .get(&format!("/api/v1/results/{rid}/tests/2/"))
        .expect(200);
    assert_eq!(
        t.data()["description"],
        "Verify router closes public ports opened with the FTP PORT command"
    );
    assert!(t.data()["started"].is_string());
    let failing = api
        .get(&format!("/api/v1/results/{rid}/tests/?filter=result=fail"))
        .expect(200);
    assert_eq!(failing.body["links"]["total"], 1);

    // The failing assertion is one filter away.
    let log = api
        .get(&format!(
            "/api/v1/results/{rid}/tests/2/log?filter=prefix=FAIL"
        ))
        .expect(200);
    let messages: Vec<&str> = log.data()["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .filter_map(|l| l["message"].as_str())
        .collect();
    assert_eq!(
        messages,
        [
            "Inbound FTP data connection succeeded",
            "Test cdrouter_app_14 (183) failed"
        ]
    );
    let page = api
        .get(&format!(
            "/api/v1/results/{rid}/tests/3/log?offset=2&limit=3"
        ))
        .expect(200);
    assert_eq!(page.data()["lines"][0]["line"], 3);
    assert_eq!(page.data()["more"], true);
    let (status, ct, text) =
        api.get_bytes(&format!("/api/v1/results/{rid}/tests/3/log?format=text"));
    assert_eq!((status, ct.as_str()), (200, "text/plain"));
    assert!(String::from_utf8_lossy(&text).contains("PASS: Test dns_45 (490) passed"));

    // Captures: the device captures CDRouter lists (its -m copies are not), as pcap.
    let caps = api
        .get(&format!("/api/v1/results/{rid}/tests/3/captures/"))
        .expect(200);
    let interfaces = strings(caps.data(), "interface");
    assert_eq!(interfaces, ["ics", "lan-eth1", "wan-eth2"]);
    let one = api
        .get(&format!("/api/v1/results/{rid}/tests/3/captures/lan-eth1/"))
        .expect(200);
    assert_eq!(one.data()["filename"], "dns_45-lan-eth1.cap");
    let (status, ct, pcap) = api.get_bytes(&format!(
        "/api/v1/results/{rid}/tests/3/captures/lan-eth1/?format=cap"
    ));
    assert_eq!((status, ct.as_str()), (200, "application/vnd.tcpdump.pcap"));
    let dir = agent.work.join(format!("job-{job_id}/result"));
    assert_eq!(
        pcap,
        std::fs::read(dir.join("dns_45-lan-eth1.cap")).expect("local capture")
    );

    // The result directory, file by file and whole.
    assert!(assert_files_match(&api, &rid, &dir) >= 30);
    let (status, ct, zip) = api.get_bytes(&format!("/api/v1/results/{rid}/logdir/?format=zip"));
    assert_eq!((status, ct.as_str()), (200, "application/zip"));
    assert_eq!(&zip[..4], b"PK\x03\x04");
    let (status, ct, tgz) = api.get_bytes(&format!("/api/v1/results/{rid}/logdir/?format=tgz"));
    assert_eq!((status, ct.as_str()), (200, "application/gzip"));
    assert_eq!(&tgz[..2], &[0x1f, 0x8b]);

    // Updates: the first call answers at once with the current update id.
    let u = api
        .get(&format!("/api/v1/results/{rid}/?updates=-1"))
        .expect(200);
    let uid = u.data()["id"].as_str().expect("update id").to_string();
    assert!(u.data()["updates"]
        .as_array()
        .is_some_and(|a| !a.is_empty()));
    assert_eq!(u.data()["progress"]["unit"], "percentage");

    // Deleting the job deletes its result and files.
    api.delete(&format!("/api/v1/jobs/{job_id}/")).expect(204);
    api.get_refused(&format!("/api/v1/results/{rid}/"), 404, "no such result");
    api.get_refused(
        &format!("/api/v1/results/{rid}/?updates={uid}"),
        404,
        "no such result",
    );
    let (status, _, _) = api.get_bytes(&format!("/api/v1/results/{rid}/logdir/final.txt"));
    assert_eq!(status, 404);
}

#[test]
fn the_unfinished_real_run_ends_as_error_with_the_verdicts_it_reached() {
    let api = Api::admin();
    let (ifaces, pkg) = package_on(
        &api,
        "rif",
        &[
            "perf_multi_2",
            "perf_multi_3",
            "perf_multi_4",
            "perf_multi_1",
            "perf_5",
        ],
    );
    let agent = AgentProc::simulating_with(
        "replay-agent",
        &ifaces,
        &[
            ("CDROUTER_SIM_TEST_MS", "5"),
            ("CDROUTER_SIM_REPLAY", "20220721151446"),
        ],
    );
    let job_id = launch(&api, &pkg, json!({}));
    let job = wait_for_job(&api, &job_id, LONG, finished);
    assert_eq!(job["status"], "error", "agent log:\n{}", agent.log());
    assert_eq!(
        job["reason"],
        "cdrouter-cli was killed by signal 9 (SIGKILL)"
    );
    let rid = job["result_id"].as_str().expect("result").to_string();
    let r = api.get(&format!("/api/v1/results/{rid}/")).expect(200);
    // The real CDRouter recorded 120 passed and 2 failed for this run, and the test it was
    // in when it was cut off as fatal.
    assert_eq!(r.data()["status"], "error");
    assert_eq!(
        (r.data()["pass"].as_u64(), r.data()["fail"].as_u64()),
        (Some(120), Some(2))
    );
    let tests = tests_of(&api, &rid);
    assert_eq!(tests.len(), 124, "start and the 123 tests that began");
    let last = tests.last().expect("tests");
    assert_eq!(
        (last.1.as_str(), last.2.as_str(), last.3.as_str()),
        ("perf_multi_4", "fatal", "perf_multi_4.25.txt")
    );
    let loops = api
        .get(&format!(
            "/api/v1/results/{rid}/tests/?filter=name=perf_5&sort=-loop&limit=1"
        ))
        .expect(200);
    assert_eq!(loops.data()[0]["loop"], "24");
    let dir = agent.work.join(format!("job-{job_id}/result"));
    assert!(assert_files_match(&api, &rid, &dir) > 200);
    assert!(!dir.join("final.txt").exists());
}

#[test]
fn a_stopped_run_keeps_what_it_reached() {
    let api = Api::admin();
    let (ifaces, pkg) = package_on(
        &api,
        "rif",
        &[
            "dns_45",
            "cdrouter_app_14",
            "dns_45",
            "dns_45",
            "dns_45",
            "dns_45",
        ],
    );
    let agent = AgentProc::simulating("stop-agent", &ifaces, "4000");
    let job_id = launch(&api, &pkg, json!({}));
    let running = wait_for_job(&api, &job_id, LONG, |j| j["result_id"].is_string());
    let rid = running["result_id"].as_str().expect("result").to_string();
    // The first test's verdict is in the result as soon as its log is written.
    let start = std::time::Instant::now();
    while api.get(&format!("/api/v1/results/{rid}/tests/2/")).body["data"]["result"] != "pass" {
        assert!(
            start.elapsed() < LONG,
            "the first test never passed: {}",
            agent.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        api.get(&format!("/api/v1/results/{rid}/"))
            .expect(200)
            .data()["status"],
        "running"
    );
    api.delete(&format!("/api/v1/results/{rid}/"))
        .expect_error(409, "result is running: stop its job first");
    api.post(&format!("/api/v1/jobs/{job_id}/stop"), &json!({}))
        .expect(200);
    let job = wait_for_job(&api, &job_id, LONG, finished);
    assert_eq!(job["status"], "stopped", "agent log:\n{}", agent.log());
    let r = api.get(&format!("/api/v1/results/{rid}/")).expect(200);
    assert_eq!(r.data()["status"], "stopped");
    let tests = tests_of(&api, &rid);
    assert_eq!(tests[1].1, "dns_45");
    assert_eq!(tests[1].2, "pass");
    assert!(
        tests.iter().any(|t| t.2 == "pending"),
        "the tests never begun are pending: {tests:?}"
    );
    // Now the result may go on its own.
    api.delete(&format!("/api/v1/results/{rid}/")).expect(204);
    api.get_refused(
        &format!("/api/v1/results/{rid}/tests/"),
        404,
        "no such result",
    );
}

#[test]
fn file_uploads_are_checked_resumable_and_capped() {
    let api = Api::admin();
    let (agent, job, rid) = manual_run(&api);
    let small = b"2022-08-21 22:26:57.422 PASS: Test dns_45 (490) passed\n".to_vec();

    // A one-part file; sent twice, stored once.
    let ok = put(&agent, &job, "dns_45.txt", &small, 1, &small).expect(200);
    assert_eq!(ok.data()["complete"], true);
    put(&agent, &job, "dns_45.txt", &small, 1, &small).expect(200);

    // What is refused, and how.
    let bad_sum = agent.put_bytes(
        &format!(
            "/api/v1/agent/jobs/{job}/files/x.txt?size=3&sha256={}&part=1&part_sha256={}",
            hex(&Sha256::digest(b"abc")),
            hex(&Sha256::digest(b"abc"))
        ),
        b"abd",
    );
    assert_eq!(bad_sum.status, 400, "{}", bad_sum.raw);
    assert!(
        bad_sum.error().starts_with("checksum mismatch"),
        "{}",
        bad_sum.raw
    );
    let short = agent.put_bytes(
        &format!(
            "/api/v1/agent/jobs/{job}/files/x.txt?size=10&sha256={}&part=1",
            hex(&Sha256::digest(b"0123456789"))
        ),
        b"0123",
    );
    assert_eq!(short.status, 400, "{}", short.raw);
    for name in ["..", ".", "a%2Fb", "%00x", "%22q"] {
        let a = agent.put_bytes(
            &format!(
                "/api/v1/agent/jobs/{job}/files/{name}?size=1&sha256={}&part=1",
                hex(&Sha256::digest(b"x"))
            ),
            b"x",
        );
        // A dot segment never reaches a file name: URL normalisation removes it first.
        assert!(matches!(a.status, 400 | 404 | 405), "{name}: {}", a.raw);
    }
    let huge = agent.put_bytes(
        &format!(
            "/api/v1/agent/jobs/{job}/files/huge.cap?size=2147483648&sha256={}&part=1&part_sha256={}",
            hex(&Sha256::digest(b"x")),
            hex(&Sha256::digest(b"x"))
        ),
        b"x",
    );
    assert_eq!(
        huge.status, 413,
        "over the per-result cap, refused before the body: {}",
        huge.raw
    );
    put(&agent, &job, "y.txt", b"x", 2, b"x").expect(400);
    put(&agent, "999999999", "y.txt", b"x", 1, b"x").expect_error(404, "no such job");
    Api::anonymous()
        .put_bytes(
            &format!(
                "/api/v1/agent/jobs/{job}/files/y.txt?size=1&sha256={}&part=1",
                hex(&Sha256::digest(b"x"))
            ),
            b"x",
        )
        .expect_error(401, "invalid token");
    api.put_bytes(
        &format!(
            "/api/v1/agent/jobs/{job}/files/y.txt?size=1&sha256={}&part=1",
            hex(&Sha256::digest(b"x"))
        ),
        b"x",
    )
    .expect_error(403, "insufficient privileges");
    let other = Api::with_token(
        api.create("agents", json!({"name": unique("other")}))["token"]
            .as_str()
            .map(str::to_string),
    );
    put(&other, &job, "y.txt", b"x", 1, b"x").expect_error(409, "job is not leased to this agent");

    // A three-part file, parts out of order, resumed from what the server says it has.
    let big: Vec<u8> = (0..(20u32 << 20))
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let part = |n: usize| &big[(n - 1) * (8 << 20)..(n * (8 << 20)).min(big.len())];
    let second = put(&agent, &job, "big capture.cap", &big, 2, part(2)).expect(200);
    assert_eq!(second.data()["parts_received"], json!([2]));
    assert_eq!(second.data()["complete"], false);
    let state = agent
        .get(&format!(
            "/api/v1/agent/jobs/{job}/files/big%20capture.cap?size={}&sha256={}",
            big.len(),
            hex(&Sha256::digest(&big))
        ))
        .expect(200);
    assert_eq!(state.data()["parts_received"], json!([2]));
    assert_eq!(state.data()["parts"], 3);
    put(&agent, &job, "big capture.cap", &big, 1, part(1)).expect(200);
    let done = put(&agent, &job, "big capture.cap", &big, 3, part(3)).expect(200);
    assert_eq!(done.data()["complete"], true, "{}", done.raw);
    let (status, _, bytes) =
        api.get_bytes(&format!("/api/v1/results/{rid}/logdir/big%20capture.cap"));
    assert_eq!(status, 200);
    assert!(bytes == big, "the assembled file is the original");

    // A new version replaces the old one.
    let v2 = b"second version".to_vec();
    put(&agent, &job, "dns_45.txt", &v2, 1, &v2).expect(200);
    let (_, _, got) = api.get_bytes(&format!("/api/v1/results/{rid}/logdir/dns_45.txt"));
    assert_eq!(got, v2);
    let listed = api
        .get(&format!("/api/v1/results/{rid}/logdir/"))
        .expect(200);
    assert_eq!(listed.data().as_array().map(Vec::len), Some(2));
    assert_eq!(
        api.get(&format!("/api/v1/results/{rid}/"))
            .expect(200)
            .data()["size_on_disk"],
        (big.len() + v2.len()) as u64
    );
}

#[test]
fn test_records_are_checked() {
    let api = Api::admin();
    let (agent, job, rid) = manual_run(&api);
    let path = format!("/api/v1/agent/jobs/{job}/tests");
    let rec = |seq: u64, result: &str| json!({"seq": seq, "name": "dns_45", "result": result, "log": "dns_45.txt"});
    agent
        .post(&path, &json!({"tests": [rec(1, "running")]}))
        .expect(200);
    agent
        .post(&path, &json!({"tests": [rec(1, "pass"), rec(2, "fail")]}))
        .expect(200);
    let r = api.get(&format!("/api/v1/results/{rid}/")).expect(200);
    assert_eq!(
        (
            r.data()["tests"].as_u64(),
            r.data()["pass"].as_u64(),
            r.data()["fail"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    for (body, why) in [
        (
            json!({"tests": [rec(0, "pass")]}),
            "tests[0]: seq must be 1 to 20000",
        ),
        (
            json!({"tests": [rec(1, "great")]}),
            "tests[0]: result must be one of pass, fail, fatal, skipped, pending, running",
        ),
        (
            json!({"tests": [{"seq": 1, "name": "", "result": "pass"}]}),
            "tests[0]: name must be 1 to 200 printable characters",
        ),
        (
            json!({"tests": [{"seq": 1, "name": "x", "result": "pass", "log": "../etc/passwd"}]}),
            "tests[0]: log and keylog must be plain file names",
        ),
    ] {
        agent.post(&path, &body).expect_error(400, why);
    }
    let many: Vec<Value> = (1..=501).map(|i| rec(i, "pass")).collect();
    agent
        .post(&path, &json!({"tests": many}))
        .expect_error(400, "too many tests in one upload: at most 500");
    agent.post(&path, &json!({"tests": "no"})).expect(400);
    agent
        .post("/api/v1/agent/jobs/999999999/tests", &json!({"tests": []}))
        .expect_error(404, "no such job");
}

#[test]
fn results_endpoints_refuse_bad_input_clearly() {
    let api = Api::admin();
    let (agent, job, rid) = manual_run(&api);
    api.get_refused("/api/v1/results/abc/", 404, "no such result");
    api.get_refused("/api/v1/results/99999999999999/", 404, "no such result");
    api.get("/api/v1/results/?filter=nope=1").expect(400);
    api.get("/api/v1/results/?sort=nope").expect(400);
    api.get_refused(
        &format!("/api/v1/results/{rid}/?updates=x"),
        400,
        "invalid updates \"x\": must be a number",
    );
    api.get_refused(
        &format!("/api/v1/results/{rid}/tests/99/"),
        404,
        "no such test",
    );
    api.get_refused(
        &format!("/api/v1/results/{rid}/tests/99/captures/"),
        404,
        "no such test",
    );
    api.get_refused(
        &format!("/api/v1/results/{rid}/logdir/none.txt"),
        404,
        "no such file",
    );
    api.get_refused(
        &format!("/api/v1/results/{rid}/logdir/?format=rar"),
        400,
        "invalid format \"rar\": zip or tgz",
    );
    api.get(&format!("/api/v1/results/{rid}/tests/1/log?limit=0"))
        .expect(400);
    api.get_refused(
        &format!("/api/v1/results/{rid}/tests/99/log"),
        404,
        "no such test",
    );
    Api::anonymous()
        .get(&format!("/api/v1/results/{rid}/logdir/x"))
        .expect_error(401, "invalid token");
    agent.get_refused(
        &format!("/api/v1/results/{rid}/"),
        403,
        "insufficient privileges",
    );
    // A test whose log has not arrived has an empty log, not an error.
    agent
        .post(&format!("/api/v1/agent/jobs/{job}/tests"), &json!({"tests": [{"seq": 1, "name": "start", "result": "running", "log": "start.txt"}]}))
        .expect(200);
    let empty = api
        .get(&format!("/api/v1/results/{rid}/tests/1/log"))
        .expect(200);
    assert_eq!(empty.data()["total"], 0);
    // Star, note, lock: a locked result is not deleted.
    let edited = api
        .patch(
            &format!("/api/v1/results/{rid}/"),
            &json!({"starred": true, "note": "flaky DUT", "locked": true}),
        )
        .expect(200);
    assert_eq!(
        (
            edited.data()["starred"].as_bool(),
            edited.data()["note"].as_str()
        ),
        (Some(true), Some("flaky DUT"))
    );
    api.patch(
        &format!("/api/v1/results/{rid}/"),
        &json!({"note": "x".repeat(10_001)}),
    )
    .expect_error(400, "note is at most 10000 bytes");
    agent
        .post(
            &format!("/api/v1/agent/jobs/{job}/finish"),
            &json!({"status": "completed", "exit_code": 0}),
        )
        .expect(200);
    api.delete(&format!("/api/v1/results/{rid}/"))
        .expect_error(409, "cannot delete locked result");
    api.patch(
        &format!("/api/v1/results/{rid}/"),
        &json!({"locked": false}),
    )
    .expect(200);
    api.delete(&format!("/api/v1/results/{rid}/")).expect(204);
}
