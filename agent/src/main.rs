//! `labrelay-agent`: parse the flags, merge the config, run the agent loop.

use clap::Parser;
use labrelay_agent::config::{Cli, Settings};
use labrelay_agent::{process, worker};
use std::process::ExitCode;
use tracing_subscriber::filter::LevelFilter;

fn main() -> ExitCode {
    let settings = match Settings::load(Cli::parse()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("labrelay-agent: {e}");
            return ExitCode::from(2);
        }
    };
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
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("labrelay-agent: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(worker::run(settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}
