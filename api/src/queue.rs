//! The queue, on the wire: a job's priority and why a pending job waits.

use serde::{Deserialize, Serialize};

/// Priorities run from 0 to 100; the highest runs first, first in first out within a level.
pub const MAX_PRIORITY: u8 = 100;
/// A job's priority when neither the launch nor its package says.
pub const DEFAULT_PRIORITY: u8 = 50;

pub fn default_priority() -> u8 {
    DEFAULT_PRIORITY
}

/// Why a pending job has not run yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitCode {
    /// Its `run_at` has not come.
    Scheduled,
    /// Its device is in maintenance, bad or retired.
    DeviceNotReady,
    /// Its device is reserved by another user.
    Reserved,
    /// Its package is pinned to an agent that is offline.
    AgentOffline,
    /// No online agent has all its interfaces.
    NoAgent,
    /// An agent has them, but a job it holds is using one.
    InterfacesBusy,
    /// Jobs of higher or equal priority that need the same interfaces are ahead of it.
    Queued,
}

/// Why a pending job waits: a code, the same in words, and its place in the queue of jobs
/// that compete for its interfaces (1 = next).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiting {
    pub code: WaitCode,
    pub reason: String,
    pub position: u64,
}
