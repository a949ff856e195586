//! Queue control, on the wire: a job's priority, why a pending job waits, a device's state.

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

/// A device under test's state: only a `ready` device runs jobs; the others hold its queue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceState {
    #[default]
    Ready,
    /// Taken out by hand (with a note).
    Maintenance,
    /// A health check failed.
    Bad,
    Retired,
}

impl DeviceState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceState::Ready => "ready",
            DeviceState::Maintenance => "maintenance",
            DeviceState::Bad => "bad",
            DeviceState::Retired => "retired",
        }
    }

    pub fn parse(s: &str) -> Option<DeviceState> {
        Some(match s {
            "ready" => DeviceState::Ready,
            "maintenance" => DeviceState::Maintenance,
            "bad" => DeviceState::Bad,
            "retired" => DeviceState::Retired,
            _ => return None,
        })
    }
}

/// A device's health as its health check last found it: `unknown` until one passes, again
/// after maintenance or a job that ended in `error`, and when `health_every_hours` has run out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    #[default]
    Unknown,
    Good,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Unknown => "unknown",
            Health::Good => "good",
        }
    }

    pub fn parse(s: &str) -> Health {
        if s == "good" {
            Health::Good
        } else {
            Health::Unknown
        }
    }
}

/// The longest health-check period (a year), and the longest reservation (a week).
pub const MAX_HEALTH_EVERY_HOURS: u32 = 8_784;
pub const MAX_RESERVATION_MINUTES: u32 = 10_080;

/// A package's schedule, CDRouter-shaped: when `enabled`, a job of the package is launched
/// (`automatic: true`, with these options) at each tick of `spec` (cron, UTC).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub spec: String,
    #[serde(default)]
    pub options: crate::jobs::JobOptions,
}

/// A schedule as a request sends it (every key optional, `null` the same as absent).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ScheduleInput {
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub spec: Option<String>,
    #[serde(default)]
    pub options: Option<crate::jobs::JobOptionsInput>,
}

impl ScheduleInput {
    pub fn apply(self, base: &mut Schedule) {
        if let Some(e) = self.enabled {
            base.enabled = e;
        }
        if let Some(s) = self.spec {
            base.spec = s.trim().to_string();
        }
        if let Some(o) = self.options {
            o.apply(&mut base.options);
        }
    }
}

/// A device or an agent (its interfaces) held for one user's jobs until `until`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reservation {
    pub id: crate::Id,
    /// The device reserved (0: an agent is).
    pub device_id: crate::Id,
    /// The agent reserved (0: a device is).
    pub agent_id: crate::Id,
    /// The device's or the agent's name.
    pub name: String,
    pub user_id: crate::Id,
    pub user_name: String,
    pub note: String,
    pub created: crate::Timestamp,
    pub until: crate::Timestamp,
    /// Whether it still holds (`until` has not passed).
    pub active: bool,
}

/// `POST /reservations/` (a device or an agent, for `minutes`) and `PATCH /reservations/{id}/`
/// (renew: `minutes` from now; a new note).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReservationInput {
    #[serde(default)]
    pub device_id: Option<crate::Id>,
    #[serde(default)]
    pub agent_id: Option<crate::Id>,
    #[serde(default)]
    pub minutes: Option<u32>,
    #[serde(default)]
    pub note: Option<String>,
}
