//! The `.deb` of `cargo xtask dist`, for Debian and Ubuntu lab machines, built with
//! `dpkg-deb` when it is there (skipped otherwise: the tarball is the package every Linux
//! takes). `/usr/bin/labrelay-agent`, the unit in `/lib/systemd/system`, the example config
//! in `/usr/share/doc/labrelay-agent`; the maintainer scripts (`agent/dist/debian/`) make the
//! user and `/etc/labrelay-agent/agent.toml` on first install.

use super::files::{copy, source_date, write};
use crate::result::Result;
use crate::tools::{self, run};
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn build(root: &Path, bin: &Path, version: &str, out: &Path) -> Result<Option<PathBuf>> {
    if tools::output(Command::new("dpkg-deb").arg("--version")).is_none() {
        println!("xtask: no dpkg-deb here: no .deb (the tarball is complete without it)");
        return Ok(None);
    }
    let stage = out.join("deb");
    let _ = std::fs::remove_dir_all(&stage);
    let files = root.join("agent/dist");
    for dir in [
        "DEBIAN",
        "usr/bin",
        "lib/systemd/system",
        "usr/share/doc/labrelay-agent",
    ] {
        std::fs::create_dir_all(stage.join(dir)).map_err(|e| format!("{dir}: {e}"))?;
    }
    copy(bin, &stage.join("usr/bin/labrelay-agent"), 0o755)?;
    let unit = std::fs::read_to_string(files.join("labrelay-agent.service"))
        .map_err(|e| e.to_string())?
        .replace("/usr/local/bin/labrelay-agent", "/usr/bin/labrelay-agent");
    write(
        &stage.join("lib/systemd/system/labrelay-agent.service"),
        &unit,
        0o644,
    )?;
    copy(
        &files.join("agent.toml.example"),
        &stage.join("usr/share/doc/labrelay-agent/agent.toml.example"),
        0o644,
    )?;
    for script in ["postinst", "prerm"] {
        copy(
            &files.join("debian").join(script),
            &stage.join("DEBIAN").join(script),
            0o755,
        )?;
    }
    write(&stage.join("DEBIAN/control"), &control(version), 0o644)?;
    let deb = out.join(format!("labrelay-agent_{version}_amd64.deb"));
    run(Command::new("dpkg-deb")
        .args(["--root-owner-group", "-Zxz", "--build"])
        .arg(&stage)
        .arg(&deb)
        .env("SOURCE_DATE_EPOCH", source_date(root).to_string()))?;
    Ok(Some(deb))
}

fn control(version: &str) -> String {
    format!(
        "Package: labrelay-agent\n\
         Version: {version}\n\
         Architecture: amd64\n\
         Maintainer: Labrelay maintainers <labrelay@localhost>\n\
         Section: net\n\
         Priority: optional\n\
         Description: Labrelay lab agent: runs CDRouter jobs from a Labrelay server\n \
         Claims CDRouter jobs from a Labrelay server over HTTPS and runs them on this\n \
         machine with cdrouter-cli. A static build: it needs no libraries.\n"
    )
}
