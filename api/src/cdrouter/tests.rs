//! Checked against the real CDRouter exports (`fixtures/cdrouter-exports/`): the result
//! records a real CDRouter stored for those runs are the expected answers.

use super::*;
use labrelay_export::{fixtures_dir, Bundle, ResultDir};
use serde_json::Value;

fn bundles() -> Vec<(String, Bundle)> {
    Bundle::read_dir(&fixtures_dir()).unwrap_or_else(|e| panic!("fixtures: {e}"))
}

/// The real CDRouter's test records of a bundle's result.
fn records(b: &Bundle) -> Vec<Value> {
    b.body["results"][0]["tests"]
        .as_array()
        .map(|a| a.iter().map(|t| t["test"].clone()).collect())
        .unwrap_or_default()
}

fn dir(b: &Bundle) -> &ResultDir {
    &b.results[0]
}

#[test]
fn lines_parse_as_the_official_client_expects() {
    // cdrouter.py's own tests of this log (tests/test_testresults.py, list_log of seq 1).
    let all = bundles();
    let (_, b) = all
        .iter()
        .find(|(n, _)| n.ends_with("-fail"))
        .unwrap_or_else(|| panic!("no -fail bundle"));
    let text = dir(b).text("start.txt").unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 558);
    let l = parse_line(lines[53]);
    assert!(l.is_section());
    assert_eq!(l.prefix, Some("SECTION"));
    assert_eq!(l.name, Some("setup"));
    assert_eq!(l.timestamp, Some("2022-08-21 22:23:12.722"));
    assert_eq!(
        l.message,
        "Started cdrouter-cli Sun Aug 21 22:23:08 EDT 2022"
    );
    let p = parse_line(lines[142]);
    assert_eq!(p.prefix, Some("O>>>"));
    assert_eq!(p.name, Some("wan"));
    let packet = p.packet.unwrap_or_default();
    assert_eq!(packet.interface, "wan");
    assert_eq!(packet.number, 1);
    assert_eq!(packet.src, "b0:75:0c:40:41:26");
    assert_eq!(packet.dst, "ff:ff:ff:ff:ff:ff");
    assert_eq!(packet.proto, "ARP");
    assert_eq!(packet.info, "Who is 5.5.5.1, tell 5.5.5.1");
    assert!(p.message.contains("Who is 5.5.5.1"));
}

#[test]
fn verdicts_are_only_the_test_verdict_lines() {
    let mut verdicts = 0;
    let mut assertions = 0;
    for (_, b) in bundles().iter().filter(|(_, b)| !b.results.is_empty()) {
        for (name, bytes) in &dir(b).files {
            if !name.ends_with(".txt") {
                continue;
            }
            for raw in String::from_utf8_lossy(bytes).lines() {
                let l = parse_line(raw);
                if matches!(l.prefix, Some("PASS" | "FAIL")) && l.name.is_none() {
                    match parse_verdict(raw) {
                        Some(v) => {
                            verdicts += 1;
                            assert!(name.starts_with(v.name), "{name}: {raw}");
                        }
                        None => assertions += 1,
                    }
                }
            }
        }
    }
    // One verdict per finished test log: 2 (fail) + 6 (perf) + 120 + 2 (repeats; the last
    // test was cut off).
    assert_eq!(verdicts, 2 + 6 + 122);
    assert!(assertions > 100, "{assertions} assertion lines");
}

#[test]
fn test_logs_agree_with_cdrouters_records() {
    let mut checked = 0;
    for (bundle, b) in bundles().iter().filter(|(_, b)| !b.results.is_empty()) {
        let d = dir(b);
        for rec in records(b) {
            let (name, result) = (
                rec["name"].as_str().unwrap_or(""),
                rec["result"].as_str().unwrap_or(""),
            );
            let log = rec["log"].as_str().unwrap_or("");
            if matches!(name, "start" | "final") || log.is_empty() {
                continue;
            }
            let text = d.text(log).unwrap_or_else(|| panic!("{bundle}: no {log}"));
            let FileKind::MaybeTestLog { test, repeat, .. } = classify(log) else {
                panic!("{log} is not a test log name");
            };
            assert_eq!(test, name, "{log}");
            assert_eq!(
                i64::from(repeat),
                rec["loop"]
                    .as_str()
                    .and_then(|l| l.parse().ok())
                    .unwrap_or(0),
                "{log}"
            );
            let s = summarize(&text);
            let header = s.header.clone().unwrap_or_default();
            assert_eq!(header.name, name, "{log}");
            assert_eq!(
                header.description,
                rec["description"].as_str().unwrap_or(""),
                "{log}"
            );
            match result {
                "pass" | "fail" => {
                    assert_eq!(
                        s.verdict.map(Verdict::as_str),
                        Some(result),
                        "{bundle} {log}"
                    );
                    let want = rec["duration"].as_u64().unwrap_or(0);
                    let got = s.duration_secs();
                    assert!(
                        got.abs_diff(want) <= 1,
                        "{bundle} {log}: duration {got} vs {want}"
                    );
                }
                // The real run was cut off in this test: no verdict in its log.
                "fatal" => assert_eq!(s.verdict, None, "{log}"),
                other => panic!("unexpected result {other}"),
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 2 + 6 + 123);
}

#[test]
fn captures_are_the_ones_cdrouter_lists() {
    for (bundle, b) in bundles().iter().filter(|(_, b)| !b.results.is_empty()) {
        let d = dir(b);
        let recs = records(b);
        let listed: Vec<(String, String)> = b.body["results"][0]["captures"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|c| {
                        (
                            c["filename"].as_str().unwrap_or("").to_string(),
                            c["interface"].as_str().unwrap_or("").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut found = Vec::new();
        for name in d.files.keys() {
            if let FileKind::Capture { base, interface } = classify(name) {
                // The capture's base is the log base of one of the run's tests.
                assert!(
                    recs.iter()
                        .any(|r| r["log"].as_str() == Some(&format!("{base}.txt"))),
                    "{bundle}: {name} belongs to no test"
                );
                found.push((name.clone(), interface.to_string()));
            }
        }
        found.sort();
        let mut want = listed.clone();
        want.sort();
        assert_eq!(found, want, "{bundle}");
    }
}

#[test]
fn the_synopsis_gives_the_runs_verdicts() {
    let all = bundles();
    let get = |suffix: &str| -> &Bundle {
        &all.iter()
            .find(|(n, _)| n.ends_with(suffix))
            .unwrap_or_else(|| panic!("no {suffix}"))
            .1
    };
    let fail = parse_synopsis(&dir(get("-fail")).text("final.txt").unwrap_or_default())
        .unwrap_or_default();
    assert_eq!(
        fail.rows
            .iter()
            .map(|r| (r.number, r.result.as_str()))
            .collect::<Vec<_>>(),
        [(183, "fail"), (490, "pass")]
    );
    assert_eq!(
        fail.rows[0].description,
        "Verify router closes public ports opened with the FTP PORT command"
    );
    assert_eq!((fail.tests_run, fail.failures), (Some(2), Some(1)));
    assert_eq!(fail.total_time.as_deref(), Some("00:03:51"));
    let perf = parse_synopsis(&dir(get("-perf")).text("final.txt").unwrap_or_default())
        .unwrap_or_default();
    assert_eq!(perf.rows.len(), 6);
    assert!(perf.rows.iter().all(|r| r.result == "pass"));
    assert_eq!((perf.tests_run, perf.failures), (Some(6), Some(0)));
    // A run cut off has no final.txt; a final.txt without the synopsis gives none.
    assert_eq!(
        parse_synopsis("2022-08-21 22:26:57.435 SECTION(shutdown): x"),
        None
    );
}

#[test]
fn log_times_round_trip() {
    let t = LogTime::parse("2022-08-21 22:23:12.722").unwrap_or_else(|| panic!("parse"));
    assert_eq!(t.format(), "2022-08-21 22:23:12.722");
    assert_eq!(t.wall_micros, 1_661_120_592_722_000);
    assert_eq!(
        LogTime::parse("2022-08-21 22:23:12").map(|t| t.wall_micros % 1_000_000),
        Some(0)
    );
    for bad in [
        "2022-08-21",
        "2022-13-21 22:23:12",
        "2022-08-21T22:23:12",
        "2022-08-21 22:23:12.",
        "x022-08-21 22:23:12",
    ] {
        assert_eq!(LogTime::parse(bad), None, "{bad}");
    }
}

#[test]
fn file_names_classify() {
    assert_eq!(classify("start.txt"), FileKind::Start);
    assert_eq!(classify("final.txt"), FileKind::Final);
    assert_eq!(
        classify("perf_5.10.txt"),
        FileKind::MaybeTestLog {
            base: "perf_5.10",
            test: "perf_5",
            repeat: 10
        }
    );
    assert_eq!(
        classify("dns_45.txt"),
        FileKind::MaybeTestLog {
            base: "dns_45",
            test: "dns_45",
            repeat: 1
        }
    );
    assert_eq!(
        classify("dns_45-lan-eth1.cap"),
        FileKind::Capture {
            base: "dns_45",
            interface: "lan-eth1"
        }
    );
    assert_eq!(
        classify("dns_45-ics.cap"),
        FileKind::Capture {
            base: "dns_45",
            interface: "ics"
        }
    );
    assert_eq!(classify("dns_45-lan-m.cap"), FileKind::Other);
    assert_eq!(classify("testlist.log"), FileKind::Other);
    assert_eq!(classify("Cisco E4200"), FileKind::Other);
}
