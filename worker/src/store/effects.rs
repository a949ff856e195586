//! What a successful call to a route of the lab object changes (the route table's `wakes`
//! column). That decides whom it wakes (`wake.rs`): a held claim only for what can
//! make a job dispatchable ([`Effect::Queue`]: launch, edit, stop, delete, a finished run, an
//! agent or a package pin); browsers for anything they show, told which kind of record and
//! which one ([`Effect::View`]: a job's progress, its log, a result's tests and files);
//! nobody for reads, heartbeats that change nothing, and refusals.

use labrelay_api::Id;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Jobs,
    /// A job's log (a job page follows it; lists do not).
    Log,
    Results,
    Packages,
    Configs,
    Devices,
    Agents,
    Users,
    Labs,
    Reservations,
    /// A hook or a delivery (a redelivery, a hook turned on again: the alarm moves).
    Webhooks,
}

/// What changed: a kind of record, and which one when it is one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    pub kind: Kind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    Nothing,
    /// May make a job dispatchable: held claims re-check, browsers are told.
    Queue(Change),
    /// Only what browsers show.
    View(Change),
}

/// Whom a successful call to a route wakes (the route table's `wakes` column).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wakes {
    Nobody,
    /// Held claims and browsers: the change may make a job dispatchable.
    Queue(Kind),
    /// Browsers only.
    View(Kind),
}

impl Wakes {
    /// The effect of a success, `id` the record it concerns (the path's first `{x}`, when it
    /// is an id).
    pub fn effect(self, id: Option<&str>) -> Effect {
        let change = |kind| Change {
            kind,
            id: id.and_then(|s| s.parse().ok()).filter(|n| *n > 0).map(Id),
        };
        match self {
            Wakes::Nobody => Effect::Nothing,
            Wakes::Queue(kind) => Effect::Queue(change(kind)),
            Wakes::View(kind) => Effect::View(change(kind)),
        }
    }
}

/// The queue changed, no one job in particular (an alarm, a schedule's tick).
pub fn queue_change() -> Effect {
    Effect::Queue(Change {
        kind: Kind::Jobs,
        id: None,
    })
}
