//! What a result's files are called and how they are served: names that would show as
//! something else (bidirectional and invisible characters) are refused at upload with the
//! character named; a name that is not plain ASCII is sent with an ASCII `filename=` and RFC
//! 6266's exact `filename*=`; every download, archives included, says `nosniff`. And a running
//! test always has a start time, whatever its agent sent.

use labrelay_itest::by_hand::{enc, hex, manual_run, put};
use labrelay_itest::Api;
use serde_json::json;
use sha2::{Digest, Sha256};

fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map_or("", |(_, v)| v.as_str())
}

#[test]
fn names_that_show_as_another_are_refused_in_words() {
    let api = Api::admin();
    let (agent, job, rid) = manual_run(&api);
    let data = b"MZ not really\n";
    let rtl = "rtl-\u{202e}txt.exe";
    // A part upload.
    let a = put(&agent, &job, rtl, data, 1, data);
    assert_eq!(a.status, 400, "{}", a.raw);
    assert!(
        a.error().contains("U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        "{}",
        a.raw
    );
    // Invisible ones too.
    for c in ['\u{200f}', '\u{2066}', '\u{200b}', '\u{feff}'] {
        let a = put(&agent, &job, &format!("a{c}b.txt"), data, 1, data);
        assert_eq!(a.status, 400, "{c:?}: {}", a.raw);
        assert!(
            a.error().contains(&format!("U+{:04X}", c as u32)),
            "{}",
            a.raw
        );
    }
    // A batch: that file refused, its neighbour kept.
    let ok = b"fine\n";
    let manifest = json!({"files": [
        {"name": rtl, "size": data.len(), "sha256": hex(&Sha256::digest(data))},
        {"name": "fine.txt", "size": ok.len(), "sha256": hex(&Sha256::digest(ok))},
    ]});
    let mut body = serde_json::to_vec(&manifest).expect("json");
    body.push(b'\n');
    body.extend_from_slice(data);
    body.extend_from_slice(ok);
    let batch = agent
        .post_raw(
            &format!("/api/v1/agent/jobs/{job}/files/"),
            "application/octet-stream",
            &body,
        )
        .expect(200);
    let outcomes = batch.data().as_array().expect("outcomes").clone();
    assert_eq!(outcomes[0]["status"], 400, "{outcomes:?}");
    assert!(
        outcomes[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("U+202E")),
        "{outcomes:?}"
    );
    assert!(outcomes[1]["error"].is_null(), "{outcomes:?}");
    // A test record naming such a log.
    agent
        .post(
            &format!("/api/v1/agent/jobs/{job}/tests"),
            &json!({"tests": [{"seq": 1, "name": "dns_45", "result": "running", "log": rtl}]}),
        )
        .expect(400);
    agent
        .post(
            &format!("/api/v1/agent/jobs/{job}/tests"),
            &json!({"tests": [{"seq": 1, "name": "dns\u{202e}54", "result": "running"}]}),
        )
        .expect(400);
    // Nothing of them was kept.
    let listed = api
        .get(&format!("/api/v1/results/{rid}/logdir/"))
        .expect(200)
        .raw;
    assert!(
        !listed.contains('\u{202e}') && !listed.contains("\\u202e"),
        "{listed}"
    );
}

#[test]
fn downloads_carry_an_ascii_name_the_exact_one_and_nosniff() {
    let api = Api::admin();
    let (agent, job, rid) = manual_run(&api);
    let data = "2022-08-21 22:26:57.422 PASS: Test dns_45 (490) passed\n".as_bytes();
    let name = "résumé \"q\".txt";
    // `"` is not a file name character: CDRouter never writes one.
    put(&agent, &job, name, data, 1, data).expect(400);
    let name = "résumé.txt";
    put(&agent, &job, name, data, 1, data).expect(200);
    let (status, headers, bytes) =
        api.get_with_headers(&format!("/api/v1/results/{rid}/logdir/{}", enc(name)));
    assert_eq!(status, 200);
    assert_eq!(bytes, data);
    assert_eq!(
        header(&headers, "content-disposition"),
        "attachment; filename=\"r_sum_.txt\"; filename*=UTF-8''r%C3%A9sum%C3%A9.txt"
    );
    assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
    put(&agent, &job, "final.txt", data, 1, data).expect(200);
    let (_, headers, _) = api.get_with_headers(&format!("/api/v1/results/{rid}/logdir/final.txt"));
    assert_eq!(
        header(&headers, "content-disposition"),
        "attachment; filename=\"final.txt\""
    );
    // The archives as every other download.
    for format in ["zip", "tgz"] {
        let (status, headers, bytes) =
            api.get_with_headers(&format!("/api/v1/results/{rid}/logdir/?format={format}"));
        assert_eq!(status, 200, "{format}");
        assert!(!bytes.is_empty());
        assert_eq!(
            header(&headers, "x-content-type-options"),
            "nosniff",
            "{format}: {headers:?}"
        );
        assert_eq!(
            header(&headers, "content-disposition"),
            format!("attachment; filename=\"result-{rid}.{format}\"")
        );
    }
}

#[test]
fn a_running_test_always_has_a_start_time() {
    let api = Api::admin();
    let (agent, job, rid) = manual_run(&api);
    let tests = format!("/api/v1/agent/jobs/{job}/tests");
    let running = || {
        api.get(&format!("/api/v1/results/{rid}/?updates=-1"))
            .expect(200)
            .data()["running"]
            .clone()
    };
    // An agent with no timed log line yet sends no start: the server's clock stands in.
    agent
        .post(
            &tests,
            &json!({"tests": [{"seq": 1, "name": "dns_45", "result": "running", "log": "dns_45.txt"}]}),
        )
        .expect(200);
    let first = running();
    assert_eq!(first["name"], "dns_45");
    assert!(first["started"].is_string(), "{first}");
    // The log's own stamp replaces it when it comes...
    let stamp = "2022-08-21T22:26:51.031000Z";
    agent
        .post(
            &tests,
            &json!({"tests": [{"seq": 1, "name": "dns_45", "result": "running", "log": "dns_45.txt", "started": stamp}]}),
        )
        .expect(200);
    assert_eq!(running()["started"], "2022-08-21T22:26:51.031000000Z");
    // ...and a later record without one never wipes it.
    agent
        .post(
            &tests,
            &json!({"tests": [{"seq": 1, "name": "dns_45", "result": "running", "log": "dns_45.txt"}]}),
        )
        .expect(200);
    assert_eq!(running()["started"], "2022-08-21T22:26:51.031000000Z");
    // A test that never ran has none.
    agent
        .post(
            &tests,
            &json!({"tests": [{"seq": 2, "name": "dns_46", "result": "pending"}]}),
        )
        .expect(200);
    let t2 = api.get_data(&format!("/api/v1/results/{rid}/tests/2/"));
    assert!(t2["started"].is_null(), "{t2}");
}
