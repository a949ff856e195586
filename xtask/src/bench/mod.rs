//! `cargo xtask bench <name>`: one file per benchmark, the harness they share
//! (`harness.rs`). Benchmarks measure and print; they assert nothing (tests do).

mod api;
mod app;
mod dispatch;
pub mod harness;
mod hostile;
mod labs;
mod queue;
mod results;
mod webhooks;

use crate::result::Result;
use std::path::Path;

pub fn run(root: &Path, which: &str, jobs: u64) -> Result {
    match which {
        "api" => api::run(root, jobs),
        "dispatch" => dispatch::run(root),
        "app" => app::run(root),
        "results" => results::run(root),
        "hostile" => hostile::run(root, jobs.max(100_000)),
        "labs" => labs::run(root, jobs),
        "queue" => queue::run(root),
        "webhooks" => webhooks::run(root),
        other => Err(format!(
            "unknown benchmark {other:?}: try `api`, `dispatch`, `app`, `results`, `hostile`, `labs`, `queue` or `webhooks`"
        )),
    }
}
