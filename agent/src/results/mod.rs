//! A run's results as the server keeps them. While cdrouter-cli runs, [`watch::Watcher`]
//! looks at its log directory (`<job dir>/result/`), turns what it finds into CDRouter test
//! records (`seq`, `loop`, `result`, `started`, `duration`, ...) and queues each file in the
//! job's outbox the moment it is complete: a test's log and captures when its verdict is
//! written, everything else when the run ends. [`upload`] sends one file in checksummed
//! parts, resuming what the server already has. The outbox delivers both, in order, across
//! outages and agent restarts.

pub mod localtime;
pub mod upload;
pub mod watch;

pub use watch::Watcher;
