//! Files of the agent's packages: copied or written with their mode, dated by the last
//! commit (reproducible packages).

use crate::result::Result;
use crate::tools;
use std::path::Path;
use std::process::Command;

/// The last commit's time (SOURCE_DATE_EPOCH when set), for the files' times in packages.
pub fn source_date(root: &Path) -> u64 {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .or_else(|| {
            tools::output(
                Command::new("git")
                    .args(["log", "-1", "--format=%ct"])
                    .current_dir(root),
            )
        })
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

pub fn copy(from: &Path, to: &Path, mode: u32) -> Result {
    std::fs::copy(from, to)
        .map_err(|e| format!("copy {} to {}: {e}", from.display(), to.display()))?;
    chmod(to, mode)
}

pub fn write(to: &Path, text: &str, mode: u32) -> Result {
    std::fs::write(to, text).map_err(|e| format!("{}: {e}", to.display()))?;
    chmod(to, mode)
}

fn chmod(path: &Path, mode: u32) -> Result {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| format!("{}: {e}", path.display()))
}
