//! A package's schedule (CDRouter's `schedule: {enabled, spec, options}`), on the wire, and
//! when it next fires.

use serde::{Deserialize, Serialize};

/// A package's schedule, CDRouter-shaped: when `enabled`, a job of the package is launched
/// (`automatic: true`, with these options) at each tick of `spec` (cron, UTC).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Schedule {
    pub enabled: bool,
    pub spec: String,
    pub options: crate::jobs::JobOptions,
}

impl Schedule {
    /// When it next fires after `now_us` (µs), or 0: not enabled, no valid spec, or no tick
    /// in the next eight years.
    pub fn next_tick(&self, now_us: i64) -> i64 {
        if !self.enabled {
            return 0;
        }
        crate::cron::Spec::parse(&self.spec)
            .ok()
            .and_then(|s| s.next_after(now_us.div_euclid(1_000_000)))
            .map_or(0, |secs| secs * 1_000_000)
    }
}

/// A schedule as a request sends it (every key optional, `null` the same as absent).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ScheduleInput {
    pub enabled: Option<bool>,
    pub spec: Option<String>,
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
