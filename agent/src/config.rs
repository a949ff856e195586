//! Settings: command-line flags, then environment variables (`LABRELAY_*`), then the TOML
//! file named by `--config`, then built-in defaults, each overriding the ones after it.
//!
//! The options are declared once, as clap's [`Cli`] (`cli`): the file takes the same names
//! with underscores (`work_dir = "/srv/lab"`) and is read into the same struct, and the two
//! are laid one over the other option by option before `settings` resolves defaults and
//! checks values. Keep the token in the file or the environment: command-line arguments are
//! visible to every user of the machine in `ps`.
//!
//! The server must be `https://`, but for the machine itself (`http://` to 127.0.0.0/8,
//! `::1` or `localhost`): the token must never cross a network in clear (`server`).

mod cli;
mod server;
mod settings;
#[cfg(test)]
mod tests;

pub use cli::{parse_file, read_file, Cli, Command, FileConfig, StrList};
pub use server::is_loopback;
pub use settings::{detect_interfaces, Flags, RunSettings, Settings};

use std::path::PathBuf;

pub const DEFAULT_CDROUTER_CLI: &str = "/usr/cdrouter/bin/cdrouter-cli";
pub const DEFAULT_TESTPATH: &str = "/usr/cdrouter/tests";
pub const DEFAULT_WORK_DIR: &str = "/var/lib/labrelay-agent";
/// The protocol's default claim hold; the server caps it at `MAX_WAIT_SECS`.
pub const DEFAULT_CLAIM_WAIT: u64 = 25;
pub const DEFAULT_STOP_GRACE: u64 = 10;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("no {0} given: pass --{0}, set LABRELAY_{1} or put {2} in the config file")]
    Missing(&'static str, &'static str, &'static str),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Trust(#[from] crate::trust::TrustError),
}
