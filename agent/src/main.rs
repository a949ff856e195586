//! `labrelay-agent`: parse the flags, merge the config, run the agent loop (or `check`, or
//! the supervisor of a run: `supervise`, started by the agent itself).

use labrelay_agent::config::{Cli, Command, Settings};
use labrelay_agent::{check, claim_loop, process, supervise};
use std::process::ExitCode;
use tracing_subscriber::filter::LevelFilter;

fn main() -> ExitCode {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if supervise::is_invoked(argv.get(1).map(|a| a.as_os_str())) {
        return supervise::main(&argv[2..]);
    }
    let mut cli = Cli::parse_args();
    let command = cli.command.take();
    let config = cli.config.clone();
    let settings = match Settings::load(cli) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("labrelay-agent: {e}");
            return ExitCode::from(2);
        }
    };
    if command == Some(Command::Check) {
        return run_check(&settings, config.as_deref());
    }
    let level: LevelFilter = match settings.log_level.parse() {
        Ok(l) => l,
        Err(_) => {
            eprintln!(
                "labrelay-agent: invalid log level \"{}\": use error, warn, info, debug or trace",
                settings.log_level
            );
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
    process::install_panic_hook();
    // One thread: the agent waits on the network and on children, it never computes much,
    // and a single-threaded runtime keeps the idle footprint a few megabytes.
    let Some(runtime) = runtime() else {
        return ExitCode::FAILURE;
    };
    match runtime.block_on(claim_loop::run(settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// The agent's runtime; `None` (said on stderr) when it cannot start.
fn runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => Some(rt),
        Err(e) => {
            eprintln!("labrelay-agent: cannot start the runtime: {e}");
            None
        }
    }
}

/// `labrelay-agent check`: the report on stdout; 0 when every check passed, else 1.
fn run_check(settings: &Settings, config: Option<&std::path::Path>) -> ExitCode {
    let Some(runtime) = runtime() else {
        return ExitCode::FAILURE;
    };
    let report = runtime.block_on(check::run(settings, config));
    println!("{report}");
    if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
