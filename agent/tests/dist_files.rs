//! The packaging files in `agent/dist/` agree with the agent: the example config is a valid
//! config with the defaults it claims, the systemd unit passes `systemd-analyze verify` and
//! its stop timeouts leave the agent's own shutdown room.

use labrelay_agent::claim_loop::FLUSH_ON_EXIT;
use labrelay_agent::config::{self, Cli, Settings, DEFAULT_STOP_GRACE, DEFAULT_WORK_DIR};
use labrelay_agent::retention::Policy;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn dist(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("dist")
        .join(name)
}

fn read(name: &str) -> String {
    std::fs::read_to_string(dist(name)).expect("packaging file")
}

/// The unit's `Key=value` lines (the last one wins, as in systemd), and every `ExecStop`.
struct Unit {
    text: String,
}

impl Unit {
    fn get(&self, key: &str) -> Option<&str> {
        self.all(key).last().copied()
    }

    fn all(&self, key: &str) -> Vec<&str> {
        self.text
            .lines()
            .filter_map(|l| l.split_once('='))
            .filter(|(k, _)| k.trim() == key)
            .map(|(_, v)| v.trim())
            .collect()
    }

    fn secs(&self, key: &str) -> Duration {
        Duration::from_secs(
            self.get(key)
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{key} in seconds")),
        )
    }
}

#[test]
fn the_example_config_is_valid_and_says_the_defaults() {
    let file = config::parse_file(&read("agent.toml.example")).expect("the example parses");
    let s = Settings::merge(Cli::default(), file, Vec::new).expect("the example is complete");
    assert_eq!(s.server, "https://labrelay.example.com");
    assert_eq!(s.work_dir, PathBuf::from(DEFAULT_WORK_DIR));
    assert_eq!(s.retention, Policy::default());
    assert_eq!(s.run.stop_grace, Duration::from_secs(DEFAULT_STOP_GRACE));
    assert_eq!(
        s.run.outbox_max_bytes,
        labrelay_agent::outbox::DEFAULT_OUTBOX_MAX_BYTES
    );
    assert_eq!(
        s.run.cdrouter_cli,
        PathBuf::from(config::DEFAULT_CDROUTER_CLI)
    );
}

#[test]
fn the_unit_runs_the_agent_as_its_own_user_with_the_config() {
    let unit = Unit {
        text: read("labrelay-agent.service"),
    };
    assert_eq!(unit.get("User"), Some("labrelay-agent"));
    assert_eq!(
        unit.get("ExecStart"),
        Some("/usr/local/bin/labrelay-agent --config /etc/labrelay-agent/agent.toml")
    );
    // systemd's StateDirectory is the agent's default work directory.
    assert_eq!(
        Path::new("/var/lib").join(unit.get("StateDirectory").unwrap_or_default()),
        PathBuf::from(DEFAULT_WORK_DIR)
    );
    assert_eq!(unit.get("Restart"), Some("on-failure"));
    assert_eq!(unit.get("ProtectSystem"), Some("strict"));
    assert_eq!(unit.get("NoNewPrivileges"), Some("yes"));
}

#[test]
fn stopping_leaves_the_agent_time_for_both_of_its_steps() {
    let unit = Unit {
        text: read("labrelay-agent.service"),
    };
    // Step 1 (ExecStop): SIGTERM, then wait for the agent to end by itself.
    let stops = unit.all("ExecStop");
    assert_eq!(stops.len(), 2, "{stops:?}");
    assert!(stops[0].contains("kill -TERM $MAINPID"), "{stops:?}");
    let window: u64 = stops[1]
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("timeout N");
    assert!(stops[1].contains("tail --pid=$MAINPID"), "{stops:?}");
    // Step 2 (KillSignal to the agent only): stop the run, report, exit.
    assert_eq!(unit.get("KillSignal"), Some("SIGTERM"));
    assert_eq!(unit.get("KillMode"), Some("mixed"));
    let timeout = unit.secs("TimeoutStopSec");
    assert!(
        Duration::from_secs(window) < timeout,
        "ExecStop's wait must end before TimeoutStopSec"
    );
    let second_step = Duration::from_secs(DEFAULT_STOP_GRACE) + FLUSH_ON_EXIT;
    assert!(
        second_step * 2 <= timeout,
        "{second_step:?} (stop grace + flush) needs room within TimeoutStopSec {timeout:?}"
    );
}

#[test]
fn systemd_accepts_the_unit() {
    let Ok(version) = std::process::Command::new("systemd-analyze")
        .arg("--version")
        .output()
    else {
        eprintln!("skipped: no systemd-analyze here");
        return;
    };
    assert!(version.status.success());
    // verify wants the binary to exist: point ExecStart at the one just built.
    let dir = tempfile::tempdir().expect("tempdir");
    let unit = dir.path().join("labrelay-agent.service");
    std::fs::write(
        &unit,
        read("labrelay-agent.service").replace(
            "/usr/local/bin/labrelay-agent",
            env!("CARGO_BIN_EXE_labrelay-agent"),
        ),
    )
    .expect("write");
    let out = std::process::Command::new("systemd-analyze")
        .arg("verify")
        .arg(&unit)
        .output()
        .expect("systemd-analyze verify");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    // Unknown or misspelt directives are only warnings: none allowed.
    assert!(said.trim().is_empty(), "systemd-analyze verify: {said}");
}

#[test]
fn the_deb_scripts_are_valid_shell() {
    for script in ["debian/postinst", "debian/prerm"] {
        let ok = std::process::Command::new("sh")
            .arg("-n")
            .arg(dist(script))
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "{script}");
    }
}
