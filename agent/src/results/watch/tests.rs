//! The watcher against the fixtures' real runs: records as CDRouter's, whatever order the
//! files turn up in, and runs cut short.

use super::*;
use labrelay_api::Id;
use labrelay_export::{fixtures_dir, Bundle};

fn fail_run() -> labrelay_export::ResultDir {
    Bundle::read_dir(&fixtures_dir())
        .expect("fixtures")
        .into_iter()
        .find(|(n, _)| n.ends_with("-fail"))
        .and_then(|(_, b)| b.results.into_iter().next())
        .expect("the failing run")
}

/// A job directory (gone when the first is dropped) with its outbox and an empty result
/// directory.
fn job_dir(id: u64) -> (tempfile::TempDir, Outbox, PathBuf) {
    let job = tempfile::tempdir().expect("tempdir");
    let outbox = Outbox::create(&job.path().join(format!("job-{id}")), Id(id)).expect("outbox");
    let dir = outbox.result_dir();
    std::fs::create_dir_all(&dir).expect("result dir");
    (job, outbox, dir)
}

fn records(outbox: &Outbox) -> Vec<(u64, String, String)> {
    let text = std::fs::read_to_string(
        outbox
            .result_dir()
            .parent()
            .expect("job dir")
            .join("outbox/tests.jsonl"),
    )
    .unwrap_or_default();
    let mut last: std::collections::BTreeMap<u64, (String, String)> = Default::default();
    for line in text.lines() {
        let r: TestRecord = serde_json::from_str(line).expect("a record");
        last.insert(r.seq, (r.name, r.result));
    }
    last.into_iter().map(|(s, (n, r))| (s, n, r)).collect()
}

#[test]
fn the_real_failing_run_gives_cdrouters_records_whatever_order_files_turn_up_in() {
    let real = fail_run();
    let (_job, outbox, dir) = job_dir(1);
    let write = |name: &str| std::fs::write(dir.join(name), &real.files[name]).expect("write");
    let planned = vec!["cdrouter_app_14".to_string(), "dns_45".to_string()];
    let mut w = Watcher::new(&dir, outbox.clone(), planned, u64::MAX);
    write("start.txt");
    w.scan().expect("scan");
    // Both tests turn up in one look, the later one written first (its file is older):
    // they are numbered by when their logs say they began.
    write("dns_45.txt");
    write("cdrouter_app_14.txt");
    w.scan().expect("scan");
    let got = records(&outbox);
    assert_eq!(got[1].1, "cdrouter_app_14");
    assert_eq!(got[2].1, "dns_45");
    write("final.txt");
    let summary = w.finish().expect("finish");
    assert_eq!((summary.tests, summary.passed, summary.failed), (2, 1, 1));
    let want: Vec<(u64, String, String)> = [
        (1, "start", "pass"),
        (2, "cdrouter_app_14", "fail"),
        (3, "dns_45", "pass"),
        (4, "final", "pass"),
    ]
    .iter()
    .map(|(s, n, r)| (*s, n.to_string(), r.to_string()))
    .collect();
    assert_eq!(records(&outbox), want);
}

#[test]
fn a_log_with_only_its_header_yet_is_the_newest_in_its_look() {
    let real = fail_run();
    let (_job, outbox, dir) = job_dir(3);
    let planned = vec!["cdrouter_app_14".to_string(), "dns_45".to_string()];
    let mut w = Watcher::new(&dir, outbox.clone(), planned, u64::MAX);
    // The second test has just begun: its header is written, no timed line yet; the
    // first has ended. One look sees both (a busy machine): the first stays first.
    let log = String::from_utf8_lossy(&real.files["dns_45.txt"]).into_owned();
    let header: String = log
        .lines()
        .take_while(|l| LogTime::parse(l.get(..23).unwrap_or("")).is_none())
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(!header.is_empty() && header.len() < log.len());
    std::fs::write(
        dir.join("cdrouter_app_14.txt"),
        &real.files["cdrouter_app_14.txt"],
    )
    .expect("write");
    std::fs::write(dir.join("dns_45.txt"), header).expect("write");
    w.scan().expect("scan");
    let got = records(&outbox);
    assert_eq!(got[0].1, "cdrouter_app_14");
    assert_eq!(got[1].1, "dns_45");
}

#[test]
fn a_run_cut_short_keeps_what_it_reached() {
    let real = fail_run();
    let (_job, outbox, dir) = job_dir(2);
    std::fs::write(dir.join("start.txt"), &real.files["start.txt"]).expect("write");
    // The first test's log stops before its verdict; the second never began.
    let log = String::from_utf8_lossy(&real.files["cdrouter_app_14.txt"]).into_owned();
    let cut: String = log.lines().take(100).map(|l| format!("{l}\n")).collect();
    std::fs::write(dir.join("cdrouter_app_14.txt"), cut).expect("write");
    let planned = vec!["cdrouter_app_14".to_string(), "dns_45".to_string()];
    let mut w = Watcher::new(&dir, outbox.clone(), planned, u64::MAX);
    w.scan().expect("scan");
    assert_eq!(
        records(&outbox)[1].2,
        "running",
        "no verdict yet: still running"
    );
    let summary = w.finish().expect("finish");
    assert_eq!((summary.tests, summary.passed, summary.failed), (0, 0, 0));
    let got: Vec<(String, String)> = records(&outbox)
        .into_iter()
        .map(|(_, n, r)| (n, r))
        .collect();
    assert_eq!(
        got,
        [
            ("start".to_string(), "pass".to_string()),
            ("cdrouter_app_14".to_string(), "fatal".to_string()),
            ("dns_45".to_string(), "pending".to_string()),
        ]
    );
}
