//! `cargo xtask dist`: the lab agent as a package a lab admin installs, for any x86_64 Linux
//! from kernel 3.2 on (Rust's floor for Linux targets), glibc or not: a static musl build.
//!
//! Writes to `target/dist/`:
//! - `labrelay-agent-<version>-x86_64-linux.tar.gz` (+ `.sha256`): the binary, the systemd
//!   unit, an example config, `INSTALL.md` (README's "On the lab machine") and `SHA256SUMS`;
//! - `labrelay-agent_<version>_amd64.deb` when `dpkg-deb` is there ([`deb`]).
//!
//! Installs what it needs like every other xtask step: the Rust target, and Debian's
//! `musl-tools` for `musl-gcc` (ring, under rustls, compiles C).

mod deb;
mod files;

use crate::result::Result;
use crate::tools::{self, run};
pub use files::source_date;
use files::{copy, write};
use std::path::{Path, PathBuf};
use std::process::Command;

pub const TARGET: &str = "x86_64-unknown-linux-musl";
/// What the package names say the binary runs on.
const PLATFORM: &str = "x86_64-linux";
/// The packaging files, in the repo.
const FILES: &str = "agent/dist";
const UNIT: &str = "labrelay-agent.service";
const EXAMPLE: &str = "agent.toml.example";

pub struct Dist {
    pub tarball: PathBuf,
}

pub fn run_dist(root: &Path) -> Result<Dist> {
    build_static(root, &["labrelay-agent"])?;
    let bin = static_bin(root, "labrelay-agent");
    check_static(&bin)?;
    let version = version_of(&bin)?;
    let out = root.join("target/dist");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let tarball = tarball(root, &bin, &version, &out)?;
    let deb = deb::build(root, &bin, &version, &out)?;
    println!("xtask: {}", tarball.display());
    if let Some(deb) = &deb {
        println!("xtask: {}", deb.display());
    }
    Ok(Dist { tarball })
}

/// Adds the target and musl-gcc when missing, then builds these agent binaries statically.
pub fn build_static(root: &Path, bins: &[&str]) -> Result {
    tools::ensure_target(TARGET)?;
    if tools::output(Command::new("musl-gcc").arg("--version")).is_none() {
        tools::apt_install("musl-tools")?;
    }
    println!("xtask: building {} for {TARGET}", bins.join(", "));
    let mut cmd = Command::new("cargo");
    cmd.args([
        "build",
        "--release",
        "--locked",
        "--package",
        "labrelay-agent",
    ])
    .args(["--target", TARGET]);
    for bin in bins {
        cmd.args(["--bin", bin]);
    }
    // cc looks for x86_64-linux-musl-gcc; Debian names it musl-gcc.
    run(cmd
        .env("CC_x86_64_unknown_linux_musl", "musl-gcc")
        .env("CARGO_PROFILE_RELEASE_STRIP", "symbols")
        .current_dir(root))
}

pub fn static_bin(root: &Path, name: &str) -> PathBuf {
    root.join("target").join(TARGET).join("release").join(name)
}

/// An x86-64 ELF executable with no program interpreter: it needs no libc on the machine.
pub fn check_static(bin: &Path) -> Result {
    let bytes = std::fs::read(bin).map_err(|e| format!("{}: {e}", bin.display()))?;
    elf_is_static_x86_64(&bytes).map_err(|why| format!("{}: {why}", bin.display()))
}

fn elf_is_static_x86_64(b: &[u8]) -> std::result::Result<(), String> {
    let u16_at = |o: usize| b.get(o..o + 2).map(|s| u16::from_le_bytes([s[0], s[1]]));
    let u32_at = |o: usize| {
        b.get(o..o + 4)
            .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    };
    let u64_at = |o: usize| {
        b.get(o..o + 8).map(|s| {
            let mut a = [0u8; 8];
            a.copy_from_slice(s);
            u64::from_le_bytes(a)
        })
    };
    if b.get(..4) != Some(b"\x7fELF") || b.get(4) != Some(&2) || b.get(5) != Some(&1) {
        return Err("not a 64-bit little-endian ELF file".into());
    }
    const EM_X86_64: u16 = 62;
    if u16_at(0x12) != Some(EM_X86_64) {
        return Err("not an x86-64 binary".into());
    }
    let (Some(phoff), Some(phentsize), Some(phnum)) = (u64_at(0x20), u16_at(0x36), u16_at(0x38))
    else {
        return Err("truncated ELF header".into());
    };
    const PT_INTERP: u32 = 3;
    for i in 0..usize::from(phnum) {
        let at = usize::try_from(phoff)
            .unwrap_or(usize::MAX)
            .saturating_add(i * usize::from(phentsize));
        match u32_at(at) {
            Some(PT_INTERP) => {
                return Err("dynamically linked (it names a program interpreter)".into())
            }
            Some(_) => {}
            None => return Err("truncated program headers".into()),
        }
    }
    Ok(())
}

/// `labrelay-agent --version` prints `labrelay-agent 0.1.0`; it also proves the binary runs.
fn version_of(bin: &Path) -> Result<String> {
    let out = tools::output(Command::new(bin).arg("--version"))
        .ok_or_else(|| format!("{} --version failed", bin.display()))?;
    out.split_whitespace()
        .nth(1)
        .map(str::to_string)
        .ok_or_else(|| format!("unexpected --version output: {out}"))
}

fn tarball(root: &Path, bin: &Path, version: &str, out: &Path) -> Result<PathBuf> {
    let name = format!("labrelay-agent-{version}-{PLATFORM}");
    let stage = out.join(&name);
    let _ = std::fs::remove_dir_all(&stage);
    std::fs::create_dir_all(&stage).map_err(|e| format!("{}: {e}", stage.display()))?;
    let files = root.join(FILES);
    copy(bin, &stage.join("labrelay-agent"), 0o755)?;
    copy(&files.join(UNIT), &stage.join(UNIT), 0o644)?;
    copy(&files.join(EXAMPLE), &stage.join(EXAMPLE), 0o644)?;
    let install = install_section(root)?;
    write(&stage.join("INSTALL.md"), &install, 0o644)?;
    let sums = tools::output(
        Command::new("sha256sum")
            .args(["labrelay-agent", UNIT, EXAMPLE, "INSTALL.md"])
            .current_dir(&stage),
    )
    .ok_or("sha256sum failed")?;
    write(&stage.join("SHA256SUMS"), &sums, 0o644)?;
    let file = format!("{name}.tar.gz");
    // Owner, order and times fixed: the same inputs give the same tarball.
    run(Command::new("tar")
        .args(["--sort=name", "--owner=0", "--group=0", "--numeric-owner"])
        .arg(format!("--mtime=@{}", source_date(root)))
        .args(["-I", "gzip -n", "-cf", &file, &name])
        .current_dir(out))?;
    let sum = tools::output(Command::new("sha256sum").arg(&file).current_dir(out))
        .ok_or("sha256sum failed")?;
    write(&out.join(format!("{file}.sha256")), &sum, 0o644)?;
    Ok(out.join(file))
}

/// README's "On the lab machine" section, for the tarball.
pub fn install_section(root: &Path) -> Result<String> {
    let readme = std::fs::read_to_string(root.join("README.md")).map_err(|e| e.to_string())?;
    let start = readme
        .find("\n## On the lab machine")
        .ok_or("README.md has no \"## On the lab machine\" section")?;
    let body = &readme[start + 1..];
    let end = body[3..].find("\n## ").map_or(body.len(), |i| i + 4);
    Ok(format!("# Labrelay lab agent\n\n{}", &body[..end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal ELF64 header with one program header of type `ptype`.
    fn elf(machine: u16, ptype: u32) -> Vec<u8> {
        let mut b = vec![0u8; 64 + 56];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = 2;
        b[5] = 1;
        b[0x12..0x14].copy_from_slice(&machine.to_le_bytes());
        b[0x20..0x28].copy_from_slice(&64u64.to_le_bytes());
        b[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
        b[0x38..0x3a].copy_from_slice(&1u16.to_le_bytes());
        b[64..68].copy_from_slice(&ptype.to_le_bytes());
        b
    }

    #[test]
    fn static_means_no_program_interpreter() {
        const PT_LOAD: u32 = 1;
        assert_eq!(elf_is_static_x86_64(&elf(62, PT_LOAD)), Ok(()));
        assert!(elf_is_static_x86_64(&elf(62, 3)).is_err_and(|e| e.contains("dynamically linked")));
        assert!(elf_is_static_x86_64(&elf(183, PT_LOAD)).is_err_and(|e| e.contains("x86-64")));
        assert!(elf_is_static_x86_64(b"#!/bin/sh\n").is_err());
        assert!(elf_is_static_x86_64(&elf(62, PT_LOAD)[..66]).is_err());
    }

    #[test]
    fn this_machines_shell_is_dynamic() {
        let Ok(sh) = std::fs::read("/bin/sh") else {
            return;
        };
        if cfg!(all(target_arch = "x86_64", target_env = "gnu")) {
            assert!(elf_is_static_x86_64(&sh).is_err());
        }
    }

    #[test]
    fn the_readme_has_the_install_section() {
        let text = install_section(&tools::repo_root()).expect("section");
        assert!(
            text.starts_with("# Labrelay lab agent\n\n## On the lab machine"),
            "{text}"
        );
        assert!(!text.contains("\n## Benchmarks"), "only that section");
    }
}
