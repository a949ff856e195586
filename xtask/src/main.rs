//! `cargo xtask ...`: install what is missing, build, run, test and benchmark Labrelay.

mod app_pack;
mod app_wasm;
mod bench;
mod build;
mod demo;
mod dev;
mod dist;
mod e2e;
mod http;
mod local_agent;
mod openapi;
mod outage;
mod result;
mod schedule_restart;
mod secrets_check;
mod server;
mod stamp;
mod test;
mod tls;
mod tools;
mod upgrade;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// `crate::Result` for the files that name it so (openapi.rs); the others take it from
/// `crate::result`.
pub use result::Result;

#[derive(Parser)]
#[command(about = "Labrelay's tasks: dev, serve, test, bench, dist")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Install what is missing, build, and serve API + UI on http://127.0.0.1:8787, with a
    /// local lab agent on the cdrouter-cli simulator.
    Dev {
        /// The app's modules optimized as shipped (slower to build after a change).
        #[arg(long)]
        shipped_app: bool,
    },
    /// Build and serve API + UI only.
    Serve {
        #[arg(long, default_value_t = 8787)]
        port: u16,
        /// Where the Durable Object keeps its data (default: .state/ in the repo).
        #[arg(long)]
        state: Option<PathBuf>,
        /// The app's modules optimized as shipped (slower to build after a change).
        #[arg(long)]
        shipped_app: bool,
    },
    /// Unit tests, then integration tests against the real worker under wrangler dev.
    Test,
    /// Benchmarks (not tests): `api`, `dispatch`, `app`, `results`.
    Bench {
        #[arg(default_value = "api")]
        which: String,
        /// Jobs stored for the first round (the second round uses 10x as many).
        #[arg(long, default_value_t = 10_000)]
        jobs: u64,
    },
    /// Install the pinned build tools that are missing.
    Setup,
    /// Install what is missing, then build the browser app and the worker.
    Build,
    /// The lab agent as a package: a static x86_64 Linux build, tarball (+ .deb) in target/dist/.
    Dist,
    /// One step of `test` on its own: today's worker on a store from before labs.
    UpgradeCheck,
    /// One step of `test` on its own: a package schedule across a worker outage (~2 min).
    ScheduleCheck,
    /// Put the demo configs, devices and packages (from the real CDRouter exports) on a
    /// running server, skipping those it has. `cargo xtask dev` does it on a first run.
    Demo {
        #[arg(long, default_value = "http://127.0.0.1:8787")]
        url: String,
        /// An admin's API token (default: the local one, from .dev.vars).
        #[arg(long)]
        token: Option<String>,
    },
}

/// `dev` and `serve` build the app without wasm-opt unless asked for the shipped build.
fn app_build(shipped: bool) -> build::AppBuild {
    if shipped {
        build::AppBuild::Shipped
    } else {
        build::AppBuild::Dev
    }
}

fn main() {
    let cli = Cli::parse();
    let root = tools::repo_root();
    let result = match cli.cmd {
        Cmd::Dev { shipped_app } => dev::dev(&root, app_build(shipped_app)),
        Cmd::Serve {
            port,
            state,
            shipped_app,
        } => dev::serve(&root, port, state, app_build(shipped_app)),
        Cmd::Test => test::run(&root),
        Cmd::Bench { which, jobs } => bench::run(&root, &which, jobs),
        Cmd::Setup => tools::ensure_all(&root),
        Cmd::Build => tools::ensure_all(&root).and_then(|()| build::all(&root)),
        Cmd::ScheduleCheck => tools::ensure_all(&root)
            .and_then(|()| build::all(&root))
            .and_then(|()| {
                let port = server::free_port()?;
                schedule_restart::run(&root, port, &server::fresh_dir(&root, "schedule-state")?)
            }),
        Cmd::UpgradeCheck => tools::ensure_all(&root)
            .and_then(|()| build::all(&root))
            .and_then(|()| {
                let port = server::free_port()?;
                upgrade::run(&root, port, &server::fresh_dir(&root, "upgrade-state")?)
            }),
        Cmd::Dist => dist::run_dist(&root).map(drop),
        Cmd::Demo { url, token } => {
            let token = token.unwrap_or_else(|| dev::dev_token(&root));
            demo::ensure(&root, &url, &token)
                .map(|made| println!("added {} demo records", made.len()))
        }
    };
    if let Err(e) = result {
        eprintln!("xtask: {e}");
        std::process::exit(1);
    }
}
