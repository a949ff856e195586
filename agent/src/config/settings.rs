//! The settings resolved: the options laid over the config file's ([`Cli::or`]), defaults
//! for what neither gives, and each value checked.

use super::cli::{Cli, FileConfig};
use super::server::check_server;
use super::{
    ConfigError, DEFAULT_CDROUTER_CLI, DEFAULT_CLAIM_WAIT, DEFAULT_STOP_GRACE, DEFAULT_TESTPATH,
    DEFAULT_WORK_DIR,
};
use crate::outbox::{DEFAULT_OUTBOX_MAX_BYTES, MIN_OUTBOX_MAX_BYTES};
use crate::retention::{self, Policy};
use crate::trust::Trust;
use std::path::PathBuf;
use std::time::Duration;

/// The flag names cdrouter-cli takes for a job's begin/end/skip options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flags {
    pub begin: String,
    pub end: String,
    pub skip: String,
}

impl Default for Flags {
    fn default() -> Self {
        Flags {
            begin: "-start".into(),
            end: "-stop".into(),
            skip: "-skip".into(),
        }
    }
}

/// What a run of cdrouter-cli needs to know about this machine.
#[derive(Clone, Debug)]
pub struct RunSettings {
    pub cdrouter_cli: PathBuf,
    pub testpath: PathBuf,
    pub flags: Flags,
    pub stop_grace: Duration,
    /// The per-result upload cap (the server has its own).
    pub results_max_bytes: u64,
    /// The cap on one job's outbox.
    pub outbox_max_bytes: u64,
    /// Seconds between heartbeats when not the server's.
    pub heartbeat_secs: Option<u64>,
    /// The agent's own binary, which supervises each run (`labrelay-agent supervise`); runs
    /// start directly without it.
    pub supervisor: Option<PathBuf>,
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            cdrouter_cli: DEFAULT_CDROUTER_CLI.into(),
            testpath: DEFAULT_TESTPATH.into(),
            flags: Flags::default(),
            stop_grace: Duration::from_secs(DEFAULT_STOP_GRACE),
            results_max_bytes: labrelay_api::results::DEFAULT_RESULT_MAX_BYTES,
            outbox_max_bytes: DEFAULT_OUTBOX_MAX_BYTES,
            heartbeat_secs: None,
            supervisor: None,
        }
    }
}

/// Everything resolved.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Base URL without a trailing slash.
    pub server: String,
    pub token: String,
    pub interfaces: Vec<String>,
    pub work_dir: PathBuf,
    pub concurrency: u32,
    pub claim_wait: u64,
    pub host: String,
    pub log_level: String,
    pub run: RunSettings,
    /// Which old job directories go.
    pub retention: Policy,
    /// The certificate authorities trusted besides the built-in ones (`ca_file`).
    pub trust: Trust,
}

impl Settings {
    /// Reads the config file (when named) and merges it under the flags.
    pub fn load(cli: Cli) -> Result<Settings, ConfigError> {
        let file = match &cli.config {
            Some(path) => super::cli::read_file(path)?,
            None => FileConfig::default(),
        };
        Settings::merge(cli, file, detect_interfaces)
    }

    /// Flags over file over defaults; `detect` supplies the interfaces when neither names any.
    pub fn merge(
        cli: Cli,
        file: FileConfig,
        detect: impl FnOnce() -> Vec<String>,
    ) -> Result<Settings, ConfigError> {
        let mut o = cli.or(file);
        let server = o
            .server
            .take()
            .filter(|s| !s.trim().is_empty())
            .ok_or(ConfigError::Missing("server", "SERVER", "server"))?;
        let server = server.trim().trim_end_matches('/').to_string();
        check_server(&server)?;
        let token = o
            .token
            .take()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .ok_or(ConfigError::Missing("token", "TOKEN", "token"))?;
        let interfaces: Vec<String> = o
            .interfaces
            .take()
            .unwrap_or_else(detect)
            .into_iter()
            .map(|i| i.trim().to_string())
            .filter(|i| !i.is_empty())
            .collect();
        let concurrency = o.concurrency.unwrap_or(1);
        if concurrency == 0 {
            return Err(ConfigError::Invalid(
                "concurrency must be at least 1".into(),
            ));
        }
        let run = RunSettings::resolve(&o)?;
        let trust = Trust::load(o.ca_file.as_deref())?;
        Ok(Settings {
            server,
            token,
            interfaces,
            work_dir: o.work_dir.unwrap_or_else(|| DEFAULT_WORK_DIR.into()),
            concurrency,
            claim_wait: o
                .claim_wait
                .unwrap_or(DEFAULT_CLAIM_WAIT)
                .min(labrelay_api::agents::MAX_WAIT_SECS),
            host: o.host.unwrap_or_else(hostname),
            log_level: o.log_level.unwrap_or_else(|| "info".into()),
            run,
            retention: Policy {
                keep_runs: o.keep_runs.unwrap_or(retention::DEFAULT_KEEP_RUNS),
                keep_days: o.keep_days.unwrap_or(retention::DEFAULT_KEEP_DAYS),
            },
            trust,
        })
    }
}

impl RunSettings {
    /// What the runs take of the options, checked.
    fn resolve(o: &Cli) -> Result<RunSettings, ConfigError> {
        let flags = Flags::resolve(o)?;
        let outbox_max_bytes = o.outbox_max_bytes.unwrap_or(DEFAULT_OUTBOX_MAX_BYTES);
        if outbox_max_bytes < MIN_OUTBOX_MAX_BYTES {
            return Err(ConfigError::Invalid(format!(
                "outbox_max_bytes must be at least {MIN_OUTBOX_MAX_BYTES} (1 MiB), got {outbox_max_bytes}"
            )));
        }
        if o.heartbeat_secs == Some(0) {
            return Err(ConfigError::Invalid(
                "heartbeat_secs must be at least 1".into(),
            ));
        }
        Ok(RunSettings {
            cdrouter_cli: absolute(
                o.cdrouter_cli
                    .clone()
                    .unwrap_or_else(|| DEFAULT_CDROUTER_CLI.into()),
            ),
            testpath: o
                .testpath
                .clone()
                .unwrap_or_else(|| DEFAULT_TESTPATH.into()),
            flags,
            stop_grace: Duration::from_secs(o.stop_grace.unwrap_or(DEFAULT_STOP_GRACE)),
            results_max_bytes: o
                .results_max_bytes
                .unwrap_or(labrelay_api::results::DEFAULT_RESULT_MAX_BYTES),
            outbox_max_bytes,
            heartbeat_secs: o.heartbeat_secs,
            supervisor: None,
        })
    }
}

impl Flags {
    /// The begin/end/skip flags given, or cdrouter-cli's own; each must be one word.
    fn resolve(o: &Cli) -> Result<Flags, ConfigError> {
        let defaults = Flags::default();
        let flags = Flags {
            begin: o.begin_flag.clone().unwrap_or(defaults.begin),
            end: o.end_flag.clone().unwrap_or(defaults.end),
            skip: o.skip_flag.clone().unwrap_or(defaults.skip),
        };
        for (name, flag) in [
            ("begin", &flags.begin),
            ("end", &flags.end),
            ("skip", &flags.skip),
        ] {
            if flag.trim().is_empty() || flag.contains(char::is_whitespace) {
                return Err(ConfigError::Invalid(format!(
                    "{name}_flag must be one word, got \"{flag}\""
                )));
            }
        }
        Ok(flags)
    }
}

/// A relative path with a directory in it (`bin/cdrouter-cli`) is taken from where the agent
/// was started: runs start in their own job directory, where it would not be found. A bare
/// name (`cdrouter-cli`) is left to the PATH.
fn absolute(path: PathBuf) -> PathBuf {
    if path.is_relative() && path.components().count() > 1 {
        if let Ok(cwd) = std::env::current_dir() {
            return cwd.join(path);
        }
    }
    path
}

/// The machine's network interfaces, loopback left out, sorted.
pub fn detect_interfaces() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir("/sys/class/net")
        .map(|dir| {
            dir.filter_map(Result::ok)
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n != "lo")
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn hostname() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_default()
}
