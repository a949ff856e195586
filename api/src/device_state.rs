//! A device under test's state and health, on the wire: only a ready, healthy device runs
//! jobs; its health check runs first when its health is unknown.

use serde::{Deserialize, Serialize};

/// The longest health-check period (a year).
pub const MAX_HEALTH_EVERY_HOURS: u32 = 8_784;

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
