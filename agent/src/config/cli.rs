//! The options, declared once for clap: flags, their `LABRELAY_*` variables, and the same
//! names as keys of the TOML config file (read with serde into the same struct).

use super::ConfigError;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use serde::{Deserialize, Deserializer};
use std::path::{Path, PathBuf};

const AFTER_HELP: &str = "\
Precedence: flags, then LABRELAY_* variables, then the --config file, then defaults.
Config file keys: server, token, interfaces, cdrouter_cli, work_dir, concurrency, testpath,
  begin_flag, end_flag, skip_flag, stop_grace, claim_wait, host, log_level, results_max_bytes,
  outbox_max_bytes, heartbeat_secs, keep_runs, keep_days, ca_file.
The server must be https://, but for this machine itself (127.0.0.0/8, ::1, localhost).
Options go before or after `check`.
Signals: the first SIGTERM/SIGINT stops claiming and lets running jobs finish; the second
  stops them (SIGTERM, --stop-grace, SIGKILL) and reports them stopped.";

// Also the config file's form (serde): each option a key, `config` and the subcommand left
// out; an unknown key is an error (a typo must not be silently ignored). The doc line below
// is the command's `--help`.
/// Runs CDRouter jobs from a Labrelay server on this lab machine.
#[derive(Parser, Debug, Default, Deserialize)]
#[command(name = "labrelay-agent", version, after_help = AFTER_HELP)]
#[serde(default, deny_unknown_fields)]
pub struct Cli {
    /// TOML config file (keys as the long flags, with underscores)
    #[arg(long, env = "LABRELAY_CONFIG", value_name = "FILE")]
    #[serde(skip)]
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
    #[serde(deserialize_with = "str_list")]
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
    #[arg(long, env = "LABRELAY_BEGIN_FLAG", value_name = "FLAG")]
    #[arg(allow_hyphen_values = true)]
    pub begin_flag: Option<String>,

    /// cdrouter-cli flag for the last test to run [default: -stop]
    #[arg(long, env = "LABRELAY_END_FLAG", value_name = "FLAG")]
    #[arg(allow_hyphen_values = true)]
    pub end_flag: Option<String>,

    /// cdrouter-cli flag for a test to skip, given once per test [default: -skip]
    #[arg(long, env = "LABRELAY_SKIP_FLAG", value_name = "FLAG")]
    #[arg(allow_hyphen_values = true)]
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
    #[serde(skip)]
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

    /// These options over `under`'s: each one not given here is taken from there. (The
    /// struct literal makes the compiler check that every option is named.)
    pub fn or(self, under: Cli) -> Cli {
        macro_rules! each_or {
            ($($option:ident)*) => { Cli { $($option: self.$option.or(under.$option)),* } };
        }
        each_or!(config server token interfaces cdrouter_cli work_dir concurrency testpath
            begin_flag end_flag skip_flag stop_grace claim_wait host log_level results_max_bytes
            outbox_max_bytes heartbeat_secs keep_runs keep_days ca_file command)
    }
}

/// The config file: [`Cli`]'s options, every one optional.
pub type FileConfig = Cli;

/// `interfaces` in the file: a list (`["eth1", "eth2"]`) or a comma-separated string.
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

fn str_list<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    Option::<StrList>::deserialize(d).map(|list| list.map(StrList::into_vec))
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
