//! Reservations, on the wire: a device or an agent held for one user's jobs for a while.

use serde::{Deserialize, Serialize};

/// The longest reservation (a week).
pub const MAX_RESERVATION_MINUTES: u32 = 10_080;

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
#[serde(default)]
pub struct ReservationInput {
    pub device_id: Option<crate::Id>,
    pub agent_id: Option<crate::Id>,
    pub minutes: Option<u32>,
    pub note: Option<String>,
}
