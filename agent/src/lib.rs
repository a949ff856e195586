//! The Labrelay lab agent: claims CDRouter jobs from a Labrelay server and runs them with
//! cdrouter-cli on this machine, streaming logs and progress back.
//!
//! Layers, each a file: [`client`] (HTTP + retryable-or-not), [`retry`] (backoff), [`claim_loop`]
//! (claim loop, shutdown), [`job`] (one job), [`process`] (process groups), [`outbox`] (disk
//! buffer + replay), [`progress`] (verdict counting), [`results`] (the result directory,
//! watched and uploaded), [`config`] (flags, env, file), [`retention`] (which old job
//! directories go), [`check`] (`labrelay-agent check`), [`supervise`] (what starts
//! cdrouter-cli and takes its processes along when the agent dies).

pub mod check;
pub mod claim_loop;
pub mod client;
pub mod config;
pub mod job;
pub mod outbox;
pub mod process;
pub mod progress;
pub mod results;
pub mod retention;
pub mod retry;
pub mod supervise;
pub mod trust;
