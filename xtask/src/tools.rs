//! Installs what a fresh machine lacks, all from the package registries (nothing from GitHub):
//! the wasm target, the pinned cargo tools (versions measured on this machine: see
//! shared notes), and the npm packages of package-lock.json (wrangler with workerd,
//! binaryen's wasm-opt, and for the browser tests playwright-core and axe-core).

use crate::result::Result;
use std::path::{Path, PathBuf};
use std::process::Command;

/// (binary, crate, version, extra `cargo install` flags)
const CARGO_TOOLS: &[(&str, &str, &str, &[&str])] = &[
    ("worker-build", "worker-build", "0.8.7", &["--locked"]),
    // Not --locked: its lockfile names a webpki-roots version the registry lacks.
    ("wasm-bindgen", "wasm-bindgen-cli", "0.2.130", &[]),
    // trunk 0.22+ needs a newer rustc than this machine's 1.95.
    ("trunk", "trunk", "0.21.14", &["--locked"]),
    // Splits the app's wasm at its split functions (the version leptos' wasm_split_helpers
    // 0.2.3 is made for).
    (
        "wasm-split-cli",
        "wasm_split_cli_support",
        "0.2.3",
        &["--locked", "--features", "build-binary"],
    ),
];

pub fn repo_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(Path::to_path_buf).unwrap_or(manifest)
}

pub fn run(cmd: &mut Command) -> Result {
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start {:?}: {e}", cmd.get_program()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed: {status}"))
    }
}

pub fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

pub fn cargo_bin(name: &str) -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"));
    home.join("bin").join(name)
}

pub fn node_bin(root: &Path, name: &str) -> PathBuf {
    root.join("node_modules/.bin").join(name)
}

/// PATH with the repo's npm tools and cargo's bin directory first.
pub fn path_env(root: &Path) -> std::ffi::OsString {
    let mut parts = vec![root.join("node_modules/.bin"), cargo_bin("")];
    if let Some(p) = std::env::var_os("PATH") {
        parts.extend(std::env::split_paths(&p));
    }
    std::env::join_paths(parts).unwrap_or_default()
}

pub fn ensure_all(root: &Path) -> Result {
    ensure_target("wasm32-unknown-unknown")?;
    for (bin, krate, version, flags) in CARGO_TOOLS {
        ensure_cargo_tool(bin, krate, version, flags)?;
    }
    ensure_npm(root)
}

/// `rustup target add`, when the target is not installed yet.
pub fn ensure_target(target: &str) -> Result {
    let installed =
        output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if installed.lines().any(|l| l.trim() == target) {
        return Ok(());
    }
    println!("xtask: adding the {target} target");
    run(Command::new("rustup").args(["target", "add", target]))
}

/// Installs a Debian package with apt-get (as the e2e step does for chromium).
pub fn apt_install(package: &str) -> Result {
    println!("xtask: installing {package} (apt-get, once)");
    run(Command::new("apt-get").arg("update"))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "--no-install-recommends", package])
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

fn ensure_cargo_tool(bin: &str, krate: &str, version: &str, flags: &[&str]) -> Result {
    let have = output(Command::new(cargo_bin(bin)).arg("--version")).unwrap_or_default();
    if have.split_whitespace().any(|w| w == version) {
        return Ok(());
    }
    // A tool without --version: cargo's own record of what it installed.
    let installed = output(Command::new("cargo").args(["install", "--list"])).unwrap_or_default();
    if cargo_bin(bin).exists() && installed.contains(&format!("{krate} v{version}:")) {
        return Ok(());
    }
    println!("xtask: installing {krate} {version} (a few minutes, once)");
    run(Command::new("cargo")
        .args(["install", krate, "--version", version])
        .args(flags))
}

/// `npm ci` when node_modules is missing or older than the lockfile.
fn ensure_npm(root: &Path) -> Result {
    let lock = root.join("package-lock.json");
    let marker = root.join("node_modules/.package-lock.json");
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let fresh = match (modified(&lock), modified(&marker)) {
        (Some(l), Some(m)) => m >= l && node_bin(root, "wrangler").exists(),
        _ => false,
    };
    if fresh {
        return Ok(());
    }
    println!("xtask: npm ci (wrangler, binaryen, playwright-core, axe-core)");
    run(Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(root))
}
