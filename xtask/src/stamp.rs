//! Build steps that skip work whose inputs did not change. A step names its inputs (folders
//! and files of the repo) and its outputs; the inputs' paths and contents (read and hashed,
//! not their times: a checkout or a `touch` changes nothing) hash to a stamp kept under
//! `target/xtask-stamps/`. When the stamp matches and every output is there, the step is not
//! run again: `cargo xtask serve` with nothing changed starts in seconds, not minutes.

use crate::result::Result;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Folders never read as inputs: build outputs and caches.
const SKIPPED: &[&str] = &["target", "node_modules", ".git", "dist", "build", ".state"];

pub struct Step<'a> {
    pub name: &'a str,
    /// Folders (read whole) and files, relative to the repo.
    pub inputs: &'a [&'a str],
    /// Files or folders the step leaves, relative to the repo: all must be there to skip.
    pub outputs: &'a [&'a str],
}

/// What to do about a step.
pub enum Plan {
    /// Nothing changed since its last run and its outputs are there.
    Skip,
    /// Run it, then [`done`] with this hash.
    Run(String),
}

fn stamp_path(root: &Path, step: &Step) -> PathBuf {
    root.join("target/xtask-stamps").join(step.name)
}

fn files(root: &Path, rel: &str, out: &mut Vec<PathBuf>) -> Result {
    let path = root.join(rel);
    if path.is_file() {
        out.push(path);
        return Ok(());
    }
    let entries = match std::fs::read_dir(&path) {
        Ok(e) => e,
        // A missing input is part of the state too (its absence hashes as nothing).
        Err(_) => return Ok(()),
    };
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", path.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let child = format!("{rel}/{name}");
        if entry.path().is_dir() {
            if !SKIPPED.contains(&name.as_str()) {
                files(root, &child, out)?;
            }
        } else {
            out.push(entry.path());
        }
    }
    Ok(())
}

/// The hash of the inputs' paths and bytes.
pub fn inputs_hash(root: &Path, inputs: &[&str]) -> Result<String> {
    let mut all = Vec::new();
    for rel in inputs {
        files(root, rel, &mut all)?;
    }
    all.sort();
    all.dedup();
    let mut hash = Sha256::new();
    for path in &all {
        let rel = path.strip_prefix(root).unwrap_or(path);
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        hash.update(rel.to_string_lossy().as_bytes());
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(&bytes);
    }
    Ok(hash.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Whether `step` must run. `LABRELAY_REBUILD=1` runs every step.
pub fn plan(root: &Path, step: &Step) -> Result<Plan> {
    let hash = inputs_hash(root, step.inputs)?;
    let forced = std::env::var("LABRELAY_REBUILD").is_ok_and(|v| v == "1");
    let stamped = std::fs::read_to_string(stamp_path(root, step)).unwrap_or_default();
    let outputs = step.outputs.iter().all(|o| root.join(o).exists());
    if !forced && outputs && stamped.trim() == hash {
        return Ok(Plan::Skip);
    }
    // A run that fails halfway must not leave the old stamp to vouch for its outputs.
    let _ = std::fs::remove_file(stamp_path(root, step));
    Ok(Plan::Run(hash))
}

/// Records that `step` ran from inputs that hash to `hash`.
pub fn done(root: &Path, step: &Step, hash: &str) -> Result {
    let path = stamp_path(root, step);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(&path, hash).map_err(|e| format!("{}: {e}", path.display()))
}

/// Runs `step` through `build` unless nothing changed.
pub fn run(root: &Path, step: &Step, build: impl FnOnce() -> Result) -> Result {
    // Two xtask runs at once (two terminals, a test beside a serve) take turns: the second
    // waits, then finds the step done (or builds it), instead of writing the same files.
    let _turn = turn(root, step)?;
    match plan(root, step)? {
        Plan::Skip => {
            println!(
                "xtask: {}: inputs unchanged since its last build, skipped",
                step.name
            );
            Ok(())
        }
        Plan::Run(hash) => {
            build()?;
            done(root, step, &hash)
        }
    }
}

/// An exclusive lock on the step's build, held until dropped.
fn turn(root: &Path, step: &Step) -> Result<std::fs::File> {
    let dir = root.join("target/xtask-stamps");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join(format!("{}.lock", step.name));
    let file =
        std::fs::File::create(&path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    if file.try_lock().is_err() {
        println!(
            "xtask: {}: another xtask is building it; waiting",
            step.name
        );
        file.lock()
            .map_err(|e| format!("cannot lock {}: {e}", path.display()))?;
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "xtask-stamp-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("src/target")).expect("dir");
        std::fs::write(dir.join("src/a.rs"), "a").expect("write");
        std::fs::write(dir.join("src/target/junk"), "x").expect("write");
        std::fs::write(dir.join("Cargo.lock"), "lock").expect("write");
        dir
    }

    #[test]
    fn a_step_runs_again_only_when_an_input_or_an_output_changed() {
        let root = scratch();
        let step = Step {
            name: "t",
            inputs: &["src", "Cargo.lock"],
            outputs: &["out.txt"],
        };
        let runs = std::cell::Cell::new(0);
        let build = || {
            runs.set(runs.get() + 1);
            std::fs::write(root.join("out.txt"), "built").map_err(|e| e.to_string())
        };
        // `file` written with `text` (nothing when empty), then the step: it has run `want`
        // times in all.
        let after = |file: &str, text: &str, what: &str, want: u32| {
            if !file.is_empty() {
                std::fs::write(root.join(file), text).expect("write");
            }
            run(&root, &step, build).expect(what);
            assert_eq!(runs.get(), want, "{what}");
        };
        after("", "", "first", 1);
        after("", "", "unchanged", 1);
        // What is skipped (a build folder) is not an input.
        after("src/target/junk", "y", "junk", 1);
        // The same bytes written again: no change.
        after("src/a.rs", "a", "touched", 1);
        // An edit, a new file, a removed output: each runs it again.
        after("src/a.rs", "b", "edit", 2);
        after("src/new.rs", "n", "new", 3);
        std::fs::remove_file(root.join("out.txt")).expect("rm");
        after("", "", "output gone", 4);
        // A failed run leaves no stamp: the next one builds.
        std::fs::write(root.join("src/a.rs"), "c").expect("write");
        assert!(run(&root, &step, || Err("broken".into())).is_err());
        after(
            "src/a.rs",
            "b",
            "after a failure: the failed run did not vouch for the old outputs",
            5,
        );
        let _ = std::fs::remove_dir_all(&root);
    }
}
