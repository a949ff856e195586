//! Settings: command-line flags, then environment variables (`LABRELAY_*`), then the TOML
//! file named by `--config`, then built-in defaults, each overriding the ones after it.
//!
//! The file takes the flags' names with underscores (`work_dir = "/srv/lab"`); see
//! [`FileConfig`]. Keep the token in the file or the environment: command-line arguments are
//! visible to every user of the machine in `ps`.
//!
//! The server must be `https://`, but for the machine itself (`http://` to 127.0.0.0/8,
//! `::1` or `localhost`): the token must never cross a network in clear.

use crate::outbox::{DEFAULT_OUTBOX_MAX_BYTES, MIN_OUTBOX_MAX_BYTES};
use crate::retention::{self, Policy};
use crate::trust::Trust;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use reqwest::Url;
use serde::Deserialize;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const DEFAULT_CDROUTER_CLI: &str = "/usr/cdrouter/bin/cdrouter-cli";
pub const DEFAULT_TESTPATH: &str = "/usr/cdrouter/tests";
pub const DEFAULT_WORK_DIR: &str = "/var/lib/labrelay-agent";
/// The protocol's default claim hold; the server caps it at `MAX_WAIT_SECS`.
pub const DEFAULT_CLAIM_WAIT: u64 = 25;
pub const DEFAULT_STOP_GRACE: u64 = 10;

const AFTER_HELP: &str = "\
Precedence: flags, then LABRELAY_* variables, then the --config file, then defaults.
Config file keys: server, token, interfaces, cdrouter_cli, work_dir, concurrency, testpath,
  begin_flag, end_flag, skip_flag, stop_grace, claim_wait, host, log_level, results_max_bytes,
  outbox_max_bytes, heartbeat_secs, keep_runs, keep_days, ca_file.
The server must be https://, but for this machine itself (127.0.0.0/8, ::1, localhost).
Options go before or after `check`.
Signals: the first SIGTERM/SIGINT stops claiming and lets running jobs finish; the second
  stops them (SIGTERM, --stop-grace, SIGKILL) and reports them stopped.";

/// Runs CDRouter jobs from a Labrelay server on this lab machine.
#[derive(Parser, Debug, Default)]
#[command(name = "labrelay-agent", version, after_help = AFTER_HELP)]
pub struct Cli {
    /// TOML config file (keys as the long flags, with underscores)
    #[arg(long, env = "LABRELAY_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Server base URL, e.g. https://labrelay.example.com (http:// only to this machine)
    #[arg(long, env = "LABRELAY_SERVER", value_name = "URL")]
    pub server: Option<String>,

    /// The agent's token (prefer the environment or the config file to the command line)
    #[arg(long, env = "LABRELAY_TOKEN", hide_env_values = true)]
    pub token: Option<String>,

    /// Interfaces wired to devices under test, comma separated [default: /sys/class/net minus lo]
    #[arg(
        long,
        env = "LABRELAY_INTERFACES",
        value_delimiter = ',',
        value_name = "LIST"
    )]
    pub interfaces: Option<Vec<String>>,

    /// The cdrouter-cli executable [default: /usr/cdrouter/bin/cdrouter-cli]
    #[arg(long, env = "LABRELAY_CDROUTER_CLI", value_name = "PATH")]
    pub cdrouter_cli: Option<PathBuf>,

    /// Where job directories and their outboxes live [default: /var/lib/labrelay-agent]
    #[arg(long, env = "LABRELAY_WORK_DIR", value_name = "DIR")]
    pub work_dir: Option<PathBuf>,

    /// How many jobs may run at once [default: 1]
    #[arg(long, env = "LABRELAY_CONCURRENCY", value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub concurrency: Option<u32>,

    /// cdrouter-cli's -testpath [default: /usr/cdrouter/tests]
    #[arg(long, env = "LABRELAY_TESTPATH", value_name = "DIR")]
    pub testpath: Option<PathBuf>,

    /// cdrouter-cli flag for the first test to run [default: -start]
    #[arg(
        long,
        env = "LABRELAY_BEGIN_FLAG",
        allow_hyphen_values = true,
        value_name = "FLAG"
    )]
    pub begin_flag: Option<String>,

    /// cdrouter-cli flag for the last test to run [default: -stop]
    #[arg(
        long,
        env = "LABRELAY_END_FLAG",
        allow_hyphen_values = true,
        value_name = "FLAG"
    )]
    pub end_flag: Option<String>,

    /// cdrouter-cli flag for a test to skip, given once per test [default: -skip]
    #[arg(
        long,
        env = "LABRELAY_SKIP_FLAG",
        allow_hyphen_values = true,
        value_name = "FLAG"
    )]
    pub skip_flag: Option<String>,

    /// Seconds between SIGTERM and SIGKILL when a run is stopped [default: 10]
    #[arg(long, env = "LABRELAY_STOP_GRACE", value_name = "SECS")]
    pub stop_grace: Option<u64>,

    /// How long the server may hold a claim, in seconds (at most 50) [default: 25]
    #[arg(long, env = "LABRELAY_CLAIM_WAIT", value_name = "SECS")]
    pub claim_wait: Option<u64>,

    /// Host name reported to the server [default: this machine's]
    #[arg(long, env = "LABRELAY_HOST")]
    pub host: Option<String>,

    /// Log level: error, warn, info, debug or trace [default: info]
    #[arg(long, env = "LABRELAY_LOG", value_name = "LEVEL")]
    pub log_level: Option<String>,

    /// Most bytes of one run's result directory to upload; 0 uploads none [default: 1 GiB]
    #[arg(long, env = "LABRELAY_RESULTS_MAX_BYTES", value_name = "BYTES")]
    pub results_max_bytes: Option<u64>,

    /// Most bytes one job's outbox keeps on disk (log, test records, file queue); past it
    /// new output is dropped, with a line saying so [default: 64 MiB, at least 1 MiB]
    #[arg(long, env = "LABRELAY_OUTBOX_MAX_BYTES", value_name = "BYTES")]
    pub outbox_max_bytes: Option<u64>,

    /// Seconds between lease renewals of a running job, at most the lease less 10 s
    /// [default: as the server says, 10]
    #[arg(long, env = "LABRELAY_HEARTBEAT_SECS", value_name = "SECS",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub heartbeat_secs: Option<u64>,

    /// Delivered job directories kept, newest first; 0: no limit [default: 50]
    #[arg(long, env = "LABRELAY_KEEP_RUNS", value_name = "N")]
    pub keep_runs: Option<u32>,

    /// Days a delivered job directory is kept; 0: no limit [default: 30]
    #[arg(long, env = "LABRELAY_KEEP_DAYS", value_name = "DAYS")]
    pub keep_days: Option<u32>,

    /// PEM file of certificate authorities to trust besides the public ones built in (a
    /// self-hosted server's private CA, a TLS-inspecting proxy's)
    #[arg(long, env = "LABRELAY_CA_FILE", value_name = "FILE")]
    pub ca_file: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Check the set-up in words (server and TLS, token, cdrouter-cli, interfaces, work
    /// directory) and exit: status 0 only when every check passes
    Check,
}

impl Cli {
    /// Parses the command line; every option may come before or after the subcommand.
    pub fn parse_args() -> Cli {
        match Cli::try_parse_args(std::env::args_os()) {
            Ok(cli) => cli,
            Err(e) => e.exit(),
        }
    }

    pub fn try_parse_args<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let mut matches = Cli::command()
            .mut_args(|a| a.global(true))
            .try_get_matches_from(args)?;
        Cli::from_arg_matches_mut(&mut matches)
    }
}

/// The config file: every key optional, unknown keys are an error (a typo must not be
/// silently ignored).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub server: Option<String>,
    pub token: Option<String>,
    /// A list (`["eth1", "eth2"]`) or a comma-separated string.
    pub interfaces: Option<StrList>,
    pub cdrouter_cli: Option<PathBuf>,
    pub work_dir: Option<PathBuf>,
    pub concurrency: Option<u32>,
    pub testpath: Option<PathBuf>,
    pub begin_flag: Option<String>,
    pub end_flag: Option<String>,
    pub skip_flag: Option<String>,
    pub stop_grace: Option<u64>,
    pub claim_wait: Option<u64>,
    pub host: Option<String>,
    pub log_level: Option<String>,
    pub results_max_bytes: Option<u64>,
    pub outbox_max_bytes: Option<u64>,
    pub heartbeat_secs: Option<u64>,
    pub keep_runs: Option<u32>,
    pub keep_days: Option<u32>,
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum StrList {
    List(Vec<String>),
    Comma(String),
}

impl StrList {
    fn into_vec(self) -> Vec<String> {
        match self {
            StrList::List(v) => v,
            StrList::Comma(s) => s.split(',').map(str::to_string).collect(),
        }
    }
}

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
            Some(path) => read_file(path)?,
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
        let server = cli
            .server
            .or(file.server)
            .filter(|s| !s.trim().is_empty())
            .ok_or(ConfigError::Missing("server", "SERVER", "server"))?;
        let server = server.trim().trim_end_matches('/').to_string();
        check_server(&server)?;
        let token = cli
            .token
            .or(file.token)
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .ok_or(ConfigError::Missing("token", "TOKEN", "token"))?;
        let interfaces: Vec<String> = cli
            .interfaces
            .or(file.interfaces.map(StrList::into_vec))
            .unwrap_or_else(detect)
            .into_iter()
            .map(|i| i.trim().to_string())
            .filter(|i| !i.is_empty())
            .collect();
        let concurrency = cli.concurrency.or(file.concurrency).unwrap_or(1);
        if concurrency == 0 {
            return Err(ConfigError::Invalid(
                "concurrency must be at least 1".into(),
            ));
        }
        let defaults = Flags::default();
        let flags = Flags {
            begin: cli.begin_flag.or(file.begin_flag).unwrap_or(defaults.begin),
            end: cli.end_flag.or(file.end_flag).unwrap_or(defaults.end),
            skip: cli.skip_flag.or(file.skip_flag).unwrap_or(defaults.skip),
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
        let outbox_max_bytes = cli
            .outbox_max_bytes
            .or(file.outbox_max_bytes)
            .unwrap_or(DEFAULT_OUTBOX_MAX_BYTES);
        if outbox_max_bytes < MIN_OUTBOX_MAX_BYTES {
            return Err(ConfigError::Invalid(format!(
                "outbox_max_bytes must be at least {MIN_OUTBOX_MAX_BYTES} (1 MiB), got {outbox_max_bytes}"
            )));
        }
        let heartbeat_secs = cli.heartbeat_secs.or(file.heartbeat_secs);
        if heartbeat_secs == Some(0) {
            return Err(ConfigError::Invalid(
                "heartbeat_secs must be at least 1".into(),
            ));
        }
        let trust = Trust::load(cli.ca_file.or(file.ca_file).as_deref())?;
        let claim_wait = cli
            .claim_wait
            .or(file.claim_wait)
            .unwrap_or(DEFAULT_CLAIM_WAIT)
            .min(labrelay_api::agents::MAX_WAIT_SECS);
        Ok(Settings {
            server,
            token,
            interfaces,
            work_dir: cli
                .work_dir
                .or(file.work_dir)
                .unwrap_or_else(|| DEFAULT_WORK_DIR.into()),
            concurrency,
            claim_wait,
            host: cli.host.or(file.host).unwrap_or_else(hostname),
            log_level: cli
                .log_level
                .or(file.log_level)
                .unwrap_or_else(|| "info".into()),
            run: RunSettings {
                cdrouter_cli: absolute(
                    cli.cdrouter_cli
                        .or(file.cdrouter_cli)
                        .unwrap_or_else(|| DEFAULT_CDROUTER_CLI.into()),
                ),
                testpath: cli
                    .testpath
                    .or(file.testpath)
                    .unwrap_or_else(|| DEFAULT_TESTPATH.into()),
                flags,
                stop_grace: Duration::from_secs(
                    cli.stop_grace
                        .or(file.stop_grace)
                        .unwrap_or(DEFAULT_STOP_GRACE),
                ),
                results_max_bytes: cli
                    .results_max_bytes
                    .or(file.results_max_bytes)
                    .unwrap_or(labrelay_api::results::DEFAULT_RESULT_MAX_BYTES),
                outbox_max_bytes,
                heartbeat_secs,
                supervisor: None,
            },
            retention: Policy {
                keep_runs: cli
                    .keep_runs
                    .or(file.keep_runs)
                    .unwrap_or(retention::DEFAULT_KEEP_RUNS),
                keep_days: cli
                    .keep_days
                    .or(file.keep_days)
                    .unwrap_or(retention::DEFAULT_KEEP_DAYS),
            },
            trust,
        })
    }
}

/// The server's URL: https, or http to this machine only.
fn check_server(server: &str) -> Result<(), ConfigError> {
    let url = Url::parse(server)
        .ok()
        .filter(|u| u.host_str().is_some())
        .ok_or_else(|| {
            ConfigError::Invalid(format!("server must be an https:// URL, got \"{server}\""))
        })?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        "http" => Err(ConfigError::Invalid(format!(
            "server {server}: plain http:// is only for this machine (127.0.0.1, ::1, \
             localhost); the token must not cross a network in clear: use https://"
        ))),
        _ => Err(ConfigError::Invalid(format!(
            "server must be an https:// URL, got \"{server}\""
        ))),
    }
}

/// Whether the URL names this machine: 127.0.0.0/8, `::1` or `localhost`.
pub fn is_loopback(url: &Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    match host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.trim_end_matches('.').eq_ignore_ascii_case("localhost"),
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

pub fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_file(&text).map_err(|message| ConfigError::Parse {
        path: path.to_path_buf(),
        message,
    })
}

pub fn parse_file(text: &str) -> Result<FileConfig, String> {
    toml::from_str(text).map_err(|e| e.to_string())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Cli {
        let mut all = vec!["labrelay-agent"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all).expect("flags parse")
    }

    #[test]
    fn flags_override_the_file_which_overrides_defaults() {
        let file = parse_file(
            r#"
            server = "https://file.example/"
            token = "from-file"
            interfaces = ["eth5", "eth6"]
            concurrency = 3
            stop_grace = 4
            skip_flag = "-skiptest"
            "#,
        )
        .expect("file parses");
        let s = Settings::merge(
            cli(&["--server", "https://flag.example", "--begin-flag", "-begin"]),
            file,
            || vec!["never".into()],
        )
        .expect("settings");
        assert_eq!(s.server, "https://flag.example");
        assert_eq!(s.token, "from-file");
        assert_eq!(s.interfaces, ["eth5", "eth6"]);
        assert_eq!(s.concurrency, 3);
        assert_eq!(s.run.stop_grace, Duration::from_secs(4));
        assert_eq!(
            s.run.flags,
            Flags {
                begin: "-begin".into(),
                end: "-stop".into(),
                skip: "-skiptest".into()
            }
        );
        assert_eq!(s.run.cdrouter_cli, PathBuf::from(DEFAULT_CDROUTER_CLI));
        assert_eq!(s.run.testpath, PathBuf::from(DEFAULT_TESTPATH));
        assert_eq!(s.claim_wait, DEFAULT_CLAIM_WAIT);
    }

    #[test]
    fn interfaces_come_from_a_comma_list_or_detection() {
        let s = Settings::merge(
            cli(&[
                "--server=https://x",
                "--token=t",
                "--interfaces",
                "eth1, eth2,",
            ]),
            FileConfig::default(),
            || vec!["never".into()],
        )
        .expect("settings");
        assert_eq!(s.interfaces, ["eth1", "eth2"]);
        let file = parse_file("interfaces = \"eth3,eth4\"").expect("parses");
        let s = Settings::merge(cli(&["--server=https://x", "--token=t"]), file, Vec::new)
            .expect("settings");
        assert_eq!(s.interfaces, ["eth3", "eth4"]);
        let s = Settings::merge(
            cli(&["--server=https://x", "--token=t"]),
            FileConfig::default(),
            || vec!["eth9".into()],
        )
        .expect("settings");
        assert_eq!(s.interfaces, ["eth9"]);
    }

    /// `ca_file` from the file, overridden by the flag; a file that is not there stops the
    /// agent (it must not trust less than it was told to).
    #[test]
    fn the_ca_file_comes_from_the_flag_or_the_file() {
        let file = parse_file("ca_file = \"/no/such/ca.pem\"").expect("parses");
        let err = Settings::merge(cli(&["--server=https://x", "--token=t"]), file, Vec::new)
            .expect_err("missing CA file");
        assert!(
            err.to_string().starts_with("ca_file /no/such/ca.pem: "),
            "{err}"
        );
        let file = parse_file("ca_file = \"/no/such/ca.pem\"").expect("parses");
        let err = Settings::merge(
            cli(&["--server=https://x", "--token=t", "--ca-file=/other/ca.pem"]),
            file,
            Vec::new,
        )
        .expect_err("missing CA file");
        assert!(
            err.to_string().starts_with("ca_file /other/ca.pem: "),
            "{err}"
        );
        let s = Settings::merge(
            cli(&["--server=https://x", "--token=t"]),
            FileConfig::default(),
            Vec::new,
        )
        .expect("settings");
        assert_eq!(s.trust.count(), 0);
    }

    #[test]
    fn missing_or_bad_values_are_clear_errors() {
        let err = Settings::merge(cli(&["--token=t"]), FileConfig::default(), Vec::new)
            .expect_err("no server");
        assert!(err.to_string().contains("LABRELAY_SERVER"), "{err}");
        let err = Settings::merge(
            cli(&["--server=https://x"]),
            FileConfig::default(),
            Vec::new,
        )
        .expect_err("no token");
        assert!(err.to_string().contains("token"), "{err}");
        assert!(Settings::merge(
            cli(&["--server=ftp://x", "--token=t"]),
            FileConfig::default(),
            Vec::new
        )
        .is_err());
        assert!(Cli::try_parse_from(["a", "--concurrency", "0"]).is_err());
        assert!(parse_file("servr = \"typo\"").is_err());
    }

    #[test]
    fn plain_http_is_for_this_machine_only() {
        let server = |url: &str| {
            Settings::merge(
                cli(&["--server", url, "--token=t"]),
                FileConfig::default(),
                Vec::new,
            )
        };
        for ok in [
            "https://labrelay.example.com",
            "https://10.0.0.1:8443/",
            "http://127.0.0.1:8787",
            "http://127.1.2.3",
            "http://[::1]:8787",
            "http://localhost:8787",
            "http://LOCALHOST.",
        ] {
            assert!(server(ok).is_ok(), "{ok}: {:?}", server(ok).err());
        }
        for refused in [
            "http://labrelay.example.com",
            "http://10.0.0.1",
            "http://[::2]",
            "http://localhost.example.com",
            "http://127.0.0.1.example.com",
            "ftp://127.0.0.1",
            "labrelay.example.com",
        ] {
            let err = server(refused).expect_err(refused).to_string();
            assert!(err.contains("https://"), "{refused}: {err}");
        }
        let err = server("http://labrelay.example.com").expect_err("refused");
        assert!(err.to_string().contains("only for this machine"), "{err}");
    }

    #[test]
    fn the_outbox_cap_and_the_heartbeat_are_settings() {
        let s = Settings::merge(
            cli(&["--server=https://x", "--token=t"]),
            FileConfig::default(),
            Vec::new,
        )
        .expect("settings");
        assert_eq!(s.run.outbox_max_bytes, DEFAULT_OUTBOX_MAX_BYTES);
        assert_eq!(s.run.heartbeat_secs, None);
        let file = parse_file("outbox_max_bytes = 2097152\nheartbeat_secs = 30").expect("parses");
        let s = Settings::merge(cli(&["--server=https://x", "--token=t"]), file, Vec::new)
            .expect("settings");
        assert_eq!(s.run.outbox_max_bytes, 2 << 20);
        assert_eq!(s.run.heartbeat_secs, Some(30));
        let err = Settings::merge(
            cli(&[
                "--server=https://x",
                "--token=t",
                "--outbox-max-bytes",
                "1000",
            ]),
            FileConfig::default(),
            Vec::new,
        )
        .expect_err("too small");
        assert!(err.to_string().contains("at least"), "{err}");
        assert!(Cli::try_parse_from(["a", "--heartbeat-secs", "0"]).is_err());
    }

    #[test]
    fn options_go_before_or_after_check() {
        for args in [
            &["a", "--work-dir", "/w", "check", "--keep-runs", "3"][..],
            &["a", "check", "--work-dir", "/w", "--keep-runs=3"][..],
        ] {
            let cli = Cli::try_parse_args(args).expect("parses");
            assert_eq!(cli.command, Some(Command::Check), "{args:?}");
            assert_eq!(cli.work_dir, Some(PathBuf::from("/w")), "{args:?}");
            assert_eq!(cli.keep_runs, Some(3), "{args:?}");
        }
        let cli = Cli::try_parse_args(["a", "--server", "https://x"]).expect("parses");
        assert_eq!(cli.command, None);
        assert!(Cli::try_parse_args(["a", "chek"]).is_err());
    }

    #[test]
    fn retention_comes_from_flags_or_the_file() {
        let file = parse_file("keep_runs = 7\nkeep_days = 0").expect("parses");
        let s = Settings::merge(cli(&["--server=https://x", "--token=t"]), file, Vec::new)
            .expect("settings");
        assert_eq!(
            s.retention,
            Policy {
                keep_runs: 7,
                keep_days: 0
            }
        );
        let s = Settings::merge(
            cli(&["--server=https://x", "--token=t", "--keep-days", "2"]),
            FileConfig::default(),
            Vec::new,
        )
        .expect("settings");
        assert_eq!(
            s.retention,
            Policy {
                keep_runs: retention::DEFAULT_KEEP_RUNS,
                keep_days: 2
            }
        );
    }
}
