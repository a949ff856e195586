//! `labrelay-agent check`: before the first job, says in words whether this machine is ready
//! to run the agent, one line per check, and passes only when every check does.
//!
//! Checks: the server is reachable (and its TLS certificate verifies, for https), the token
//! belongs to an agent (which one), cdrouter-cli is there and answers `-version`, the
//! configured interfaces exist here, the work directory is writable with room to spare. The
//! server side is in [`server`], the machine side in [`local`]. Warnings (plain HTTP over
//! the network, a world-readable config, a token last used from another host) are shown but
//! do not fail the check.

mod local;
mod server;

pub use local::{cdrouter_cli, interfaces, machine_interfaces, work_dir, MIN_FREE};
pub use server::server_and_token;

use crate::config::Settings;
use std::fmt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    /// Works, but worth a look; does not fail the check.
    Warn,
    Fail,
    /// Could not be checked because an earlier check failed.
    Skipped,
}

/// One line of the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub name: &'static str,
    pub verdict: Verdict,
    pub text: String,
}

impl Item {
    pub fn ok(name: &'static str, text: impl Into<String>) -> Item {
        Item::new(name, Verdict::Ok, text)
    }
    pub fn warn(name: &'static str, text: impl Into<String>) -> Item {
        Item::new(name, Verdict::Warn, text)
    }
    pub fn fail(name: &'static str, text: impl Into<String>) -> Item {
        Item::new(name, Verdict::Fail, text)
    }
    pub fn skipped(name: &'static str, text: impl Into<String>) -> Item {
        Item::new(name, Verdict::Skipped, text)
    }
    fn new(name: &'static str, verdict: Verdict, text: impl Into<String>) -> Item {
        Item {
            name,
            verdict,
            text: text.into(),
        }
    }
    pub fn passed(&self) -> bool {
        matches!(self.verdict, Verdict::Ok | Verdict::Warn)
    }
}

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tag = match self.verdict {
            Verdict::Ok => "ok",
            Verdict::Warn => "WARN",
            Verdict::Fail => "FAIL",
            Verdict::Skipped => "SKIP",
        };
        write!(f, "  {tag:<5} {:<13} {}", self.name, self.text)
    }
}

pub struct Report {
    pub header: String,
    pub items: Vec<Item>,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.items.iter().all(Item::passed)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.header)?;
        for item in &self.items {
            writeln!(f, "{item}")?;
        }
        let failed = self.items.iter().filter(|i| !i.passed()).count();
        if failed == 0 {
            write!(f, "ready: all {} checks passed", self.items.len())
        } else {
            write!(
                f,
                "not ready: {failed} of {} checks did not pass",
                self.items.len()
            )
        }
    }
}

/// Runs every check. `config` is the config file the settings came from, if any.
pub async fn run(settings: &Settings, config: Option<&Path>) -> Report {
    let uid = nix::unistd::geteuid();
    let user = match nix::unistd::User::from_uid(uid) {
        Ok(Some(u)) => u.name,
        _ => format!("id {uid}"),
    };
    let mut header = format!(
        "labrelay-agent {} check, as user {user}",
        env!("CARGO_PKG_VERSION")
    );
    if uid.is_root() {
        header.push_str(
            " (root: to check the service's own access, run it as the service's user, e.g. \
             sudo -u labrelay-agent labrelay-agent check ...)",
        );
    }
    let mut items = Vec::new();
    if let Some(path) = config {
        items.push(config_file(path));
    }
    let (server, token) = server_and_token(
        &settings.server,
        &settings.token,
        &settings.host,
        &settings.trust,
    )
    .await;
    items.push(server);
    items.push(token);
    items.push(cdrouter_cli(&settings.run.cdrouter_cli, local::CLI_TIMEOUT).await);
    items.push(interfaces(&settings.interfaces, machine_interfaces()));
    items.push(work_dir(&settings.work_dir, MIN_FREE));
    Report { header, items }
}

/// The config file was read (or settings would have failed); warn when everyone can read
/// it, since it usually holds the token.
fn config_file(path: &Path) -> Item {
    match std::fs::metadata(path) {
        Ok(meta) => {
            let mode = meta.permissions().mode() & 0o7777;
            if mode & 0o004 != 0 {
                Item::warn(
                    "config",
                    format!(
                        "{} (mode {mode:04o}) is readable by every user on this machine: \
                         if it holds the token, chmod 640 it",
                        path.display()
                    ),
                )
            } else {
                Item::ok("config", format!("{} (mode {mode:04o})", path.display()))
            }
        }
        Err(e) => Item::fail("config", format!("{}: {e}", path.display())),
    }
}

/// 1.5 GiB, 300 MiB, 12 KiB: free space in words.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_passes_only_when_every_check_does() {
        let mut report = Report {
            header: "h".into(),
            items: vec![Item::ok("a", "fine"), Item::warn("b", "look")],
        };
        assert!(report.passed());
        assert!(report.to_string().ends_with("ready: all 2 checks passed"));
        report.items.push(Item::skipped("c", "not checked"));
        assert!(!report.passed());
        report.items.push(Item::fail("d", "broken"));
        let text = report.to_string();
        assert!(text.contains("  FAIL  d             broken"), "{text}");
        assert!(
            text.ends_with("not ready: 2 of 4 checks did not pass"),
            "{text}"
        );
    }

    #[test]
    fn sizes_in_words() {
        assert_eq!(human_bytes(512), "512 bytes");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(3 << 30), "3.0 GiB");
    }

    #[test]
    fn a_world_readable_config_is_a_warning() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("agent.toml");
        std::fs::write(&path, "token = \"t\"\n").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        assert_eq!(config_file(&path).verdict, Verdict::Warn);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        assert_eq!(config_file(&path).verdict, Verdict::Ok);
    }
}
