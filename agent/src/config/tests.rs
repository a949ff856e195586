//! The settings from flags, file and defaults, and the command line's shape.

use super::*;
use crate::outbox::DEFAULT_OUTBOX_MAX_BYTES;
use crate::retention::{self, Policy};
use clap::Parser;
use std::path::PathBuf;
use std::time::Duration;

/// The settings from these flags, no file, no interfaces detected.
fn merge(args: &[&str]) -> Result<Settings, ConfigError> {
    Settings::merge(cli(args), FileConfig::default(), Vec::new)
}

/// The settings from these flags over this config file, no interfaces detected.
fn merge_with(args: &[&str], file: &str) -> Result<Settings, ConfigError> {
    Settings::merge(cli(args), parse_file(file).expect("parses"), Vec::new)
}

fn cli(args: &[&str]) -> Cli {
    let mut all = vec!["labrelay-agent"];
    all.extend_from_slice(args);
    Cli::try_parse_from(all).expect("flags parse")
}

#[test]
fn flags_override_the_file_which_overrides_defaults() {
    let file = parse_file(
        r#"
        server = "https://file.example/"
        token = "from-file"
        interfaces = ["eth5", "eth6"]
        concurrency = 3
        stop_grace = 4
        skip_flag = "-skiptest"
        "#,
    )
    .expect("file parses");
    let s = Settings::merge(
        cli(&["--server", "https://flag.example", "--begin-flag", "-begin"]),
        file,
        || vec!["never".into()],
    )
    .expect("settings");
    assert_eq!(s.server, "https://flag.example");
    assert_eq!(s.token, "from-file");
    assert_eq!(s.interfaces, ["eth5", "eth6"]);
    assert_eq!(s.concurrency, 3);
    assert_eq!(s.run.stop_grace, Duration::from_secs(4));
    assert_eq!(
        s.run.flags,
        Flags {
            begin: "-begin".into(),
            end: "-stop".into(),
            skip: "-skiptest".into()
        }
    );
    assert_eq!(s.run.cdrouter_cli, PathBuf::from(DEFAULT_CDROUTER_CLI));
    assert_eq!(s.run.testpath, PathBuf::from(DEFAULT_TESTPATH));
    assert_eq!(s.claim_wait, DEFAULT_CLAIM_WAIT);
}

#[test]
fn interfaces_come_from_a_comma_list_or_detection() {
    let s = Settings::merge(
        cli(&[
            "--server=https://x",
            "--token=t",
            "--interfaces",
            "eth1, eth2,",
        ]),
        FileConfig::default(),
        || vec!["never".into()],
    )
    .expect("settings");
    assert_eq!(s.interfaces, ["eth1", "eth2"]);
    let s = merge_with(
        &["--server=https://x", "--token=t"],
        "interfaces = \"eth3,eth4\"",
    )
    .expect("settings");
    assert_eq!(s.interfaces, ["eth3", "eth4"]);
    let s = Settings::merge(
        cli(&["--server=https://x", "--token=t"]),
        FileConfig::default(),
        || vec!["eth9".into()],
    )
    .expect("settings");
    assert_eq!(s.interfaces, ["eth9"]);
}

/// `ca_file` from the file, overridden by the flag; a file that is not there stops the
/// agent (it must not trust less than it was told to).
#[test]
fn the_ca_file_comes_from_the_flag_or_the_file() {
    let err = merge_with(
        &["--server=https://x", "--token=t"],
        "ca_file = \"/no/such/ca.pem\"",
    )
    .expect_err("missing CA file");
    assert!(
        err.to_string().starts_with("ca_file /no/such/ca.pem: "),
        "{err}"
    );
    let file = parse_file("ca_file = \"/no/such/ca.pem\"").expect("parses");
    let err = Settings::merge(
        cli(&["--server=https://x", "--token=t", "--ca-file=/other/ca.pem"]),
        file,
        Vec::new,
    )
    .expect_err("missing CA file");
    assert!(
        err.to_string().starts_with("ca_file /other/ca.pem: "),
        "{err}"
    );
    let s = merge(&["--server=https://x", "--token=t"]).expect("settings");
    assert_eq!(s.trust.count(), 0);
}

#[test]
fn missing_or_bad_values_are_clear_errors() {
    let err = merge(&["--token=t"]).expect_err("no server");
    assert!(err.to_string().contains("LABRELAY_SERVER"), "{err}");
    let err = merge(&["--server=https://x"]).expect_err("no token");
    assert!(err.to_string().contains("token"), "{err}");
    assert!(merge(&["--server=ftp://x", "--token=t"]).is_err());
    assert!(Cli::try_parse_from(["a", "--concurrency", "0"]).is_err());
    assert!(parse_file("servr = \"typo\"").is_err());
}

#[test]
fn plain_http_is_for_this_machine_only() {
    let server = |url: &str| merge(&["--server", url, "--token=t"]);
    for ok in [
        "https://labrelay.example.com",
        "https://10.0.0.1:8443/",
        "http://127.0.0.1:8787",
        "http://127.1.2.3",
        "http://[::1]:8787",
        "http://localhost:8787",
        "http://LOCALHOST.",
    ] {
        assert!(server(ok).is_ok(), "{ok}: {:?}", server(ok).err());
    }
    for refused in [
        "http://labrelay.example.com",
        "http://10.0.0.1",
        "http://[::2]",
        "http://localhost.example.com",
        "http://127.0.0.1.example.com",
        "ftp://127.0.0.1",
        "labrelay.example.com",
    ] {
        let err = server(refused).expect_err(refused).to_string();
        assert!(err.contains("https://"), "{refused}: {err}");
    }
    let err = server("http://labrelay.example.com").expect_err("refused");
    assert!(err.to_string().contains("only for this machine"), "{err}");
}

#[test]
fn the_outbox_cap_and_the_heartbeat_are_settings() {
    let s = merge(&["--server=https://x", "--token=t"]).expect("settings");
    assert_eq!(s.run.outbox_max_bytes, DEFAULT_OUTBOX_MAX_BYTES);
    assert_eq!(s.run.heartbeat_secs, None);
    let s = merge_with(
        &["--server=https://x", "--token=t"],
        "outbox_max_bytes = 2097152\nheartbeat_secs = 30",
    )
    .expect("settings");
    assert_eq!(s.run.outbox_max_bytes, 2 << 20);
    assert_eq!(s.run.heartbeat_secs, Some(30));
    let err = merge(&[
        "--server=https://x",
        "--token=t",
        "--outbox-max-bytes",
        "1000",
    ])
    .expect_err("too small");
    assert!(err.to_string().contains("at least"), "{err}");
    assert!(Cli::try_parse_from(["a", "--heartbeat-secs", "0"]).is_err());
}

#[test]
fn options_go_before_or_after_check() {
    for args in [
        &["a", "--work-dir", "/w", "check", "--keep-runs", "3"][..],
        &["a", "check", "--work-dir", "/w", "--keep-runs=3"][..],
    ] {
        let cli = Cli::try_parse_args(args).expect("parses");
        assert_eq!(cli.command, Some(Command::Check), "{args:?}");
        assert_eq!(cli.work_dir, Some(PathBuf::from("/w")), "{args:?}");
        assert_eq!(cli.keep_runs, Some(3), "{args:?}");
    }
    let cli = Cli::try_parse_args(["a", "--server", "https://x"]).expect("parses");
    assert_eq!(cli.command, None);
    assert!(Cli::try_parse_args(["a", "chek"]).is_err());
}

#[test]
fn retention_comes_from_flags_or_the_file() {
    let s = merge_with(
        &["--server=https://x", "--token=t"],
        "keep_runs = 7\nkeep_days = 0",
    )
    .expect("settings");
    assert_eq!(
        s.retention,
        Policy {
            keep_runs: 7,
            keep_days: 0
        }
    );
    let s = merge(&["--server=https://x", "--token=t", "--keep-days", "2"]).expect("settings");
    assert_eq!(
        s.retention,
        Policy {
            keep_runs: retention::DEFAULT_KEEP_RUNS,
            keep_days: 2
        }
    );
}

/// The file's keys are the command line's options, and `--help` lists them all.
#[test]
fn the_file_takes_every_option_and_the_help_lists_them() {
    use clap::CommandFactory;
    let cmd = Cli::command();
    let options: Vec<&str> = cmd
        .get_arguments()
        .filter(|a| a.get_long().is_some())
        .map(|a| a.get_id().as_str())
        .filter(|id| !["config", "help", "version"].contains(id))
        .collect();
    for key in &options {
        if let Err(e) = parse_file(&format!("{key} = \"x\"")) {
            assert!(!e.contains("unknown field"), "{key}: {e}");
        }
    }
    assert!(parse_file("config = \"x\"").is_err());
    let help = cmd
        .get_after_help()
        .map(ToString::to_string)
        .unwrap_or_default();
    let listed: Vec<&str> = help
        .split("Config file keys: ")
        .nth(1)
        .and_then(|rest| rest.split('.').next())
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .collect();
    assert_eq!(listed, options);
}
