//! The machine side of `check`: cdrouter-cli is there and runs, the configured interfaces
//! exist, the work directory takes files and has room.

use super::{human_bytes, Item};
use crate::retention;
use nix::unistd::{access, AccessFlags};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

/// `cdrouter-cli -version` answers at once; 10 s covers a cold start on a loaded machine.
pub const CLI_TIMEOUT: Duration = Duration::from_secs(10);
/// One CDRouter package run writes tens to hundreds of MB (logs, packet captures) into its
/// job directory: 1 GiB is room for a few runs before retention frees older ones.
pub const MIN_FREE: u64 = 1 << 30;
/// Where Linux lists network interfaces.
const SYS_NET: &str = "/sys/class/net";

const CLI: &str = "cdrouter-cli";
const IFACES: &str = "interfaces";
const WORK: &str = "work dir";

/// `path` as the agent will start it: a bare name is looked up in PATH.
fn resolve(path: &Path) -> Option<PathBuf> {
    if path.components().count() > 1 || path.is_absolute() {
        return Some(path.to_path_buf());
    }
    let dirs = std::env::var_os("PATH")?;
    std::env::split_paths(&dirs)
        .map(|d| d.join(path))
        .find(|p| p.is_file())
}

/// cdrouter-cli exists, may be run by this user, and answers `-version` within `timeout`;
/// the line shows the first line it printed.
pub async fn cdrouter_cli(path: &Path, timeout: Duration) -> Item {
    match executable(path) {
        Ok(exe) => version(&exe, timeout).await,
        Err(item) => item,
    }
}

/// Where cdrouter-cli is, when it is there and this user may run it; else the failed item.
fn executable(path: &Path) -> Result<PathBuf, Item> {
    let shown = path.display();
    let Some(exe) = resolve(path) else {
        return Err(Item::fail(
            CLI,
            format!("{shown} is not on PATH: set cdrouter_cli to its full path"),
        ));
    };
    let meta = match std::fs::metadata(&exe) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Item::fail(
                CLI,
                format!(
                    "{} does not exist: install CDRouter, or set cdrouter_cli (--cdrouter-cli) \
                     to where cdrouter-cli is",
                    exe.display()
                ),
            ))
        }
        Err(e) => return Err(Item::fail(CLI, format!("{}: {e}", exe.display()))),
    };
    if meta.is_dir() {
        return Err(Item::fail(
            CLI,
            format!("{} is a directory, not a program", exe.display()),
        ));
    }
    if access(&exe, AccessFlags::X_OK).is_err() {
        return Err(Item::fail(
            CLI,
            format!(
                "{} is not executable by this user (mode {:04o})",
                exe.display(),
                meta.permissions().mode() & 0o7777
            ),
        ));
    }
    Ok(exe)
}

/// `exe -version`, run as a run is (none of the agent's settings, the token, in its
/// environment), within `timeout`.
async fn version(exe: &Path, timeout: Duration) -> Item {
    let mut cmd = tokio::process::Command::new(exe);
    cmd.arg("-version")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    crate::process::scrub_env(&mut cmd);
    let child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return Item::fail(CLI, format!("cannot run {}: {e}", exe.display())),
    };
    match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Ok(Ok(out)) => version_said(exe, &out),
        Ok(Err(e)) => Item::fail(CLI, format!("{} -version: {e}", exe.display())),
        Err(_) => Item::fail(
            CLI,
            format!(
                "{} -version did not finish within {} s (stopped)",
                exe.display(),
                timeout.as_secs()
            ),
        ),
    }
}

/// How `-version` ended, with the first line it printed.
fn version_said(exe: &Path, out: &std::process::Output) -> Item {
    let said = first_line(&out.stdout)
        .or_else(|| first_line(&out.stderr))
        .map_or_else(
            || "printed nothing".to_string(),
            |l| format!("says \"{l}\""),
        );
    match (out.status.code(), out.status.signal()) {
        (Some(0), _) => Item::ok(CLI, format!("{} -version runs and {said}", exe.display())),
        (Some(code), _) => Item::fail(
            CLI,
            format!(
                "{} -version exited with status {code} and {said}",
                exe.display()
            ),
        ),
        (None, signal) => Item::fail(
            CLI,
            format!(
                "{} -version was killed by signal {} and {said}",
                exe.display(),
                signal.unwrap_or(0)
            ),
        ),
    }
}

fn first_line(bytes: &[u8]) -> Option<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(|l| l.chars().take(200).collect())
}

/// This machine's interfaces with their state (`up`, `down`, ...), loopback included.
pub fn machine_interfaces() -> Result<Vec<(String, String)>, String> {
    let dir = std::fs::read_dir(SYS_NET).map_err(|e| format!("{SYS_NET}: {e}"))?;
    let mut all: Vec<(String, String)> = dir
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .map(|name| {
            let state = std::fs::read_to_string(Path::new(SYS_NET).join(&name).join("operstate"))
                .map(|s| s.trim().to_string())
                .unwrap_or_else(|_| "state unknown".into());
            (name, state)
        })
        .collect();
    all.sort();
    Ok(all)
}

/// Every configured interface exists on this machine.
pub fn interfaces(configured: &[String], machine: Result<Vec<(String, String)>, String>) -> Item {
    if configured.is_empty() {
        return Item::fail(
            IFACES,
            "none configured and none detected: the agent would take no job that needs one; \
             set interfaces (--interfaces eth1,eth2)",
        );
    }
    let machine = match machine {
        Ok(m) => m,
        Err(e) => {
            return Item::fail(
                IFACES,
                format!("cannot list this machine's interfaces ({e})"),
            )
        }
    };
    let state = |name: &str| machine.iter().find(|(n, _)| n == name).map(|(_, s)| s);
    let missing: Vec<&str> = configured
        .iter()
        .map(String::as_str)
        .filter(|i| state(i).is_none())
        .collect();
    if !missing.is_empty() {
        let have: Vec<&str> = machine.iter().map(|(n, _)| n.as_str()).collect();
        return Item::fail(
            IFACES,
            format!(
                "{} not on this machine (it has: {})",
                missing.join(", "),
                have.join(", ")
            ),
        );
    }
    let listed: Vec<String> = configured
        .iter()
        .map(|i| format!("{i} ({})", state(i).map_or("?", String::as_str)))
        .collect();
    Item::ok(IFACES, listed.join(", "))
}

/// The work directory takes a file and has at least `min_free` bytes free. A directory that
/// does not exist yet is fine when its parent takes one (the agent creates it at start);
/// the check itself leaves nothing behind.
pub fn work_dir(dir: &Path, min_free: u64) -> Item {
    let (probe_in, note) = match probe_dir(dir) {
        Ok(p) => p,
        Err(item) => return item,
    };
    if let Err(e) = probe(&probe_in) {
        let why = if note.is_empty() {
            format!("{} is not writable by this user: {e}", dir.display())
        } else {
            format!(
                "{} does not exist and this user cannot create it in {} ({e}): create it, \
                 owned by the agent's user",
                dir.display(),
                probe_in.display()
            )
        };
        return Item::fail(WORK, why);
    }
    // The casts: both are narrower than u64 on some targets.
    #[allow(clippy::unnecessary_cast)]
    let free = match nix::sys::statvfs::statvfs(&probe_in) {
        Ok(s) => (s.blocks_available() as u64).saturating_mul(s.fragment_size() as u64),
        Err(e) => {
            return Item::fail(
                WORK,
                format!("{}: cannot read free space: {e}", dir.display()),
            )
        }
    };
    let text = format!(
        "{}{note} is writable; {} free (at least {} needed){}",
        dir.display(),
        human_bytes(free),
        human_bytes(min_free),
        job_dirs(dir)
    );
    if free < min_free {
        return Item::fail(
            WORK,
            format!("{text}: free some space, or lower keep_runs / keep_days"),
        );
    }
    Item::ok(WORK, text)
}

/// Where to try a file: the work directory, or its parent when it does not exist yet (with
/// a note saying so); else the failed item.
fn probe_dir(dir: &Path) -> Result<(PathBuf, String), Item> {
    if dir.is_dir() {
        return Ok((dir.to_path_buf(), String::new()));
    }
    if dir.exists() {
        return Err(Item::fail(
            WORK,
            format!("{} is not a directory", dir.display()),
        ));
    }
    match dir.parent().filter(|p| p.is_dir()) {
        Some(parent) => Ok((
            parent.to_path_buf(),
            " (does not exist yet: the agent creates it)".to_string(),
        )),
        None => Err(Item::fail(
            WORK,
            format!(
                "{} does not exist, nor does its parent: create it for the agent's user",
                dir.display()
            ),
        )),
    }
}

/// "; N job directories, M not delivered yet", or nothing when there are none.
fn job_dirs(dir: &Path) -> String {
    let runs = retention::scan(dir).unwrap_or_default();
    if runs.is_empty() {
        return String::new();
    }
    let pending = runs.iter().filter(|r| r.delivered.is_none()).count();
    format!(
        "; {} job directories, {pending} not delivered yet",
        runs.len()
    )
}

/// Creates, writes, syncs and removes a file in `dir`.
fn probe(dir: &Path) -> std::io::Result<()> {
    let path = dir.join(format!(".labrelay-check-{}", std::process::id()));
    let result = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .and_then(|mut f| {
            f.write_all(&[0u8; 4096])?;
            f.sync_all()
        });
    let removed = std::fs::remove_file(&path);
    result.and(removed)
}

#[cfg(test)]
mod tests {
    use super::super::Verdict;
    use super::*;

    fn machine() -> Result<Vec<(String, String)>, String> {
        Ok(vec![
            ("eth0".into(), "up".into()),
            ("eth1".into(), "down".into()),
            ("lo".into(), "unknown".into()),
        ])
    }

    #[test]
    fn interfaces_must_all_exist() {
        let ok = interfaces(&["eth0".into(), "eth1".into()], machine());
        assert_eq!(ok.verdict, Verdict::Ok);
        assert_eq!(ok.text, "eth0 (up), eth1 (down)");
        let missing = interfaces(&["eth0".into(), "eth7".into()], machine());
        assert_eq!(missing.verdict, Verdict::Fail);
        assert_eq!(
            missing.text,
            "eth7 not on this machine (it has: eth0, eth1, lo)"
        );
        assert_eq!(interfaces(&[], machine()).verdict, Verdict::Fail);
        let unlisted = interfaces(&["eth0".into()], Err("/sys/class/net: gone".into()));
        assert!(unlisted.text.contains("/sys/class/net: gone"), "{unlisted}");
    }

    #[test]
    fn the_work_dir_needs_room_and_leaves_nothing_behind() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ok = work_dir(dir.path(), 1);
        assert_eq!(ok.verdict, Verdict::Ok, "{ok}");
        assert_eq!(std::fs::read_dir(dir.path()).expect("read").count(), 0);
        let full = work_dir(dir.path(), u64::MAX);
        assert_eq!(full.verdict, Verdict::Fail, "{full}");
        assert!(full.text.contains("free some space"), "{full}");
        let later = work_dir(&dir.path().join("new"), 1);
        assert!(later.text.contains("does not exist yet"), "{later}");
        assert_eq!(later.verdict, Verdict::Ok, "{later}");
        assert!(!dir.path().join("new").exists());
        let file = dir.path().join("file");
        std::fs::write(&file, "x").expect("write");
        assert_eq!(work_dir(&file, 1).verdict, Verdict::Fail);
        assert_eq!(work_dir(&file.join("below"), 1).verdict, Verdict::Fail);
    }

    #[test]
    fn output_lines_are_trimmed_and_capped() {
        assert_eq!(
            first_line(b"\n  CDRouter 14.2 \nmore"),
            Some("CDRouter 14.2".into())
        );
        assert_eq!(first_line(b" \n"), None);
        assert_eq!(first_line(&[b'x'; 500]).map(|l| l.len()), Some(200));
    }
}
