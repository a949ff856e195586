//! The cdrouter-cli simulator replays the real runs of `fixtures/cdrouter-exports/` as
//! cdrouter-cli would write them.

use labrelay_api::cdrouter::{parse_synopsis, summarize, Verdict};
use labrelay_export::{fixtures_dir, Bundle, ResultDir};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Output};

const SIM: &str = env!("CARGO_BIN_EXE_cdrouter-cli-sim");

fn run(dir: &Path, list: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    std::fs::write(dir.join("list"), list).expect("testlist");
    let mut cmd = Command::new(SIM);
    cmd.arg("-execute")
        .arg(format!("@{}", dir.join("list").display()))
        .args(["-logdir"])
        .arg(dir.join("logs"))
        .args(args)
        .env("CDROUTER_SIM_TEST_MS", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the simulator runs")
}

fn real(suffix: &str) -> ResultDir {
    Bundle::read_dir(&fixtures_dir())
        .expect("fixtures")
        .into_iter()
        .find(|(n, _)| n.ends_with(suffix))
        .and_then(|(_, b)| b.results.into_iter().next())
        .expect("a result")
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("logdir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// The logs are the real failing run's line for line, only the times are now; a capture is
/// the real one byte for byte.
fn assert_the_real_logs(logs: &Path) {
    let strip = |t: &str| -> Vec<String> {
        t.lines()
            .map(|l| l.get(23..).unwrap_or(l).to_string())
            .collect()
    };
    let original = real("-fail");
    for log in ["dns_45.txt", "cdrouter_app_14.txt", "start.txt"] {
        let got = std::fs::read_to_string(logs.join(log)).expect("log");
        assert_eq!(
            strip(&got),
            strip(&original.text(log).unwrap_or_default()),
            "{log}"
        );
    }
    assert_eq!(
        std::fs::read(logs.join("dns_45-lan-eth1.cap")).expect("cap"),
        original.files["dns_45-lan-eth1.cap"]
    );
}

#[test]
fn a_testlist_of_real_tests_writes_the_real_result_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("Cisco E4200.conf"),
        "testvar lanInterface eth1\n",
    )
    .expect("config");
    let config = dir.path().join("Cisco E4200.conf");
    let out = run(
        dir.path(),
        "cdrouter_app_14\ndns_45\n",
        &[
            "-config",
            &config.display().to_string(),
            "-testvar",
            "wanMode=DHCP",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "a test failed");
    let logs = dir.path().join("logs");
    // Every file the real run wrote, but for the checksums of the real CDRouter's install.
    let want: Vec<String> = real("-fail")
        .files
        .keys()
        .filter(|n| !n.starts_with("CHECKSUM"))
        .cloned()
        .collect();
    assert_eq!(names(&logs), want);
    let final_txt = std::fs::read_to_string(logs.join("final.txt")).expect("final.txt");
    let s = parse_synopsis(&final_txt).expect("a synopsis");
    let rows: Vec<(u64, &str)> = s
        .rows
        .iter()
        .map(|r| (r.number, r.result.as_str()))
        .collect();
    assert_eq!(rows, [(183, "fail"), (490, "pass")]);
    assert_eq!((s.tests_run, s.failures), (Some(2), Some(1)));
    assert_eq!(
        std::fs::read_to_string(logs.join("error.log")).expect("error.log"),
        "exit status 1\n"
    );
    assert_the_real_logs(&logs);
    // stdout is the log as it was written.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("PASS: Test dns_45 (490) passed"),
        "{stdout}"
    );
    assert!(stdout.contains("FAIL: Test cdrouter_app_14 (183) failed"));
    assert!(stdout.contains("cdrouter-183   +FAIL|"));
}

#[test]
fn unknown_tests_replay_a_real_log_under_their_name_with_start_stop_skip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(
        dir.path(),
        "a\nb\nc\nd\n# comment\n\ne\n",
        &[
            "-start",
            "b",
            "-stop",
            "d",
            "-skip",
            "c",
            "-unknown",
            "value",
            "-flagonly",
        ],
        &[("CDROUTER_SIM_FAIL", "d")],
    );
    assert_eq!(out.status.code(), Some(1));
    let logs = dir.path().join("logs");
    assert_eq!(
        std::fs::read_to_string(logs.join("testlist.log")).expect("testlist"),
        "b\nd\n"
    );
    let b = summarize(&std::fs::read_to_string(logs.join("b.txt")).expect("b.txt"));
    let d = summarize(&std::fs::read_to_string(logs.join("d.txt")).expect("d.txt"));
    assert_eq!(b.header.map(|h| h.name), Some("b".into()));
    assert_eq!(
        (b.verdict, d.verdict),
        (Some(Verdict::Pass), Some(Verdict::Fail))
    );
    assert!(!logs.join("a.txt").exists() && !logs.join("c.txt").exists());
    let s = parse_synopsis(&std::fs::read_to_string(logs.join("final.txt")).expect("final"))
        .expect("synopsis");
    assert_eq!(
        s.rows.iter().map(|r| r.result.as_str()).collect::<Vec<_>>(),
        ["pass", "fail"]
    );
}

#[test]
fn a_repeated_test_writes_numbered_logs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(dir.path(), "dns_45\ndns_45\ndns_45\n", &[], &[]);
    assert_eq!(out.status.code(), Some(0));
    let logs = dir.path().join("logs");
    for name in [
        "dns_45.txt",
        "dns_45.2.txt",
        "dns_45.3.txt",
        "dns_45.3-lan-eth1.cap",
    ] {
        assert!(logs.join(name).is_file(), "{name}");
    }
}

#[test]
fn replaying_the_unfinished_run_is_cut_off_where_the_real_one_was() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(SIM)
        .arg("-logdir")
        .arg(dir.path())
        .env("CDROUTER_SIM_TEST_MS", "1")
        .env("CDROUTER_SIM_REPLAY", "20220721151446")
        .output()
        .expect("runs");
    assert_eq!(out.status.signal(), Some(9), "killed, as the real run was");
    let original = real("-repeats-unfinished");
    let want: Vec<String> = original
        .files
        .keys()
        .filter(|n| *n != "10G Template")
        .cloned()
        .collect();
    assert_eq!(names(dir.path()), want);
    assert!(!dir.path().join("final.txt").exists());
}

#[test]
fn sigterm_stops_mid_test_without_final_txt() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("list"), "cdrouter_app_14\ndns_45\n").expect("list");
    let mut child = Command::new(SIM)
        .arg("-execute")
        .arg(format!("@{}", dir.path().join("list").display()))
        .arg("-logdir")
        .arg(dir.path().join("logs"))
        .env("CDROUTER_SIM_TEST_MS", "3000")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("runs");
    let log = dir.path().join("logs/cdrouter_app_14.txt");
    for _ in 0..200 {
        if log.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid")),
        nix::sys::signal::SIGTERM,
    )
    .expect("signal");
    let status = child.wait().expect("exits");
    assert_eq!(status.code(), Some(143));
    assert!(log.is_file());
    assert_eq!(
        summarize(&std::fs::read_to_string(&log).expect("log")).verdict,
        None
    );
    assert!(!dir.path().join("logs/final.txt").exists());
    assert!(!dir.path().join("logs/dns_45.txt").exists());
}

#[test]
fn a_crash_exits_139_after_the_first_test() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(dir.path(), "a\nb\n", &[], &[("CDROUTER_SIM_CRASH", "1")]);
    assert_eq!(out.status.code(), Some(139));
    assert!(dir.path().join("logs/a.txt").is_file() && !dir.path().join("logs/b.txt").exists());
}

#[test]
fn bad_usage_exits_two_and_version_answers() {
    let out = Command::new(SIM).arg("-config").output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(SIM).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(SIM)
        .args(["-execute", "a"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2), "no -logdir");
    let out = Command::new(SIM).arg("-version").output().expect("runs");
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("SIMULATOR"));
}
