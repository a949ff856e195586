//! The cdrouter-cli simulator behaves as documented.

use std::process::{Command, Output};

const SIM: &str = env!("CARGO_BIN_EXE_cdrouter-cli-sim");

fn run(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    std::fs::write(dir.join("list"), "a\nb\nc\nd\n# comment\n\ne\n").expect("testlist");
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

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn runs_the_selected_tests_and_reports_failures() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(
        dir.path(),
        &[
            "-start",
            "b",
            "-stop",
            "d",
            "-skip",
            "c",
            "-testvar",
            "wanMode=DHCP",
            "-unknown",
            "value",
            "-flagonly",
            "-config",
            "x.conf",
        ],
        &[("CDROUTER_SIM_FAIL", "d")],
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("Starting test b (1 of 2)"), "{text}");
    assert!(
        text.contains(" PASS: b\n") && text.contains(" FAIL: d\n"),
        "{text}"
    );
    assert!(!text.contains("test a") && !text.contains("test c") && !text.contains("test e"));
    assert!(text.contains("Testvar wanMode=DHCP") && text.contains("Config: x.conf"));
    assert!(text.contains("Tests: 2  Pass: 1  Fail: 1"), "{text}");
    let result = std::fs::read_to_string(dir.path().join("logs/sim-result.json")).expect("result");
    let result: serde_json::Value = serde_json::from_str(&result).expect("json");
    assert_eq!(
        (result["tests"].as_u64(), result["fail"].as_u64()),
        (Some(2), Some(1))
    );
}

#[test]
fn all_passing_exits_zero() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(dir.path(), &[], &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("Tests: 5  Pass: 5  Fail: 0"));
}

#[test]
fn a_crash_exits_139_after_the_first_test() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(dir.path(), &[], &[("CDROUTER_SIM_CRASH", "1")]);
    assert_eq!(out.status.code(), Some(139));
    let text = stdout(&out);
    assert!(
        text.contains("PASS: a") && !text.contains("test b"),
        "{text}"
    );
}

#[test]
fn bad_usage_exits_two() {
    let out = Command::new(SIM).arg("-config").output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(SIM).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
}
