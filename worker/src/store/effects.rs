//! What a successful call to each of the lab object's routes changes. That decides whom it wakes (`wake.rs`): a held claim only for what can
//! make a job dispatchable ([`Effect::Queue`]: launch, edit, stop, delete, a finished run, an
//! agent or a package pin); browsers for anything they show, told which kind of record and
//! which one ([`Effect::View`]: a job's progress, its log, a result's tests and files);
//! nobody for reads, heartbeats that change nothing, and refusals.

use labrelay_api::Id;
use serde::Serialize;
use worker::Method;

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

fn change(kind: Kind, id: Option<&&str>) -> Change {
    Change {
        kind,
        id: id.and_then(|s| s.parse().ok()).filter(|n| *n > 0).map(Id),
    }
}

/// The effect of a successful call to `/api/v1/<seg>` with `method` (`preview`: a `?process=`
/// call, which changes nothing).
pub fn effect(method: &Method, seg: &[&str], preview: bool) -> Effect {
    use Effect::{Nothing, Queue, View};
    if *method == Method::Get || *method == Method::Head || preview {
        return Nothing;
    }
    match seg {
        // A user's changes.
        ["jobs", rest @ ..] => Queue(change(Kind::Jobs, rest.first())),
        ["packages", rest @ ..] => Queue(change(Kind::Packages, rest.first())),
        ["agents", rest @ ..] => Queue(change(Kind::Agents, rest.first())),
        ["configs", rest @ ..] => View(change(Kind::Configs, rest.first())),
        // A device's state or health check, a reservation: jobs may run now, or may not.
        ["devices", rest @ ..] => Queue(change(Kind::Devices, rest.first())),
        ["reservations", rest @ ..] => Queue(change(Kind::Reservations, rest.first())),
        ["results", rest @ ..] => View(change(Kind::Results, rest.first())),
        ["users", rest @ ..] => View(change(Kind::Users, rest.first())),
        ["labs", rest @ ..] => View(change(Kind::Labs, rest.first())),
        // An agent's.
        ["agent", "claim"] => View(change(Kind::Jobs, None)),
        ["agent", "jobs", id, action] => match *action {
            // A run that ends frees its interfaces: the queue may move.
            "finish" => Queue(change(Kind::Jobs, Some(id))),
            "start" | "heartbeat" => View(change(Kind::Jobs, Some(id))),
            "log" => View(change(Kind::Log, Some(id))),
            "tests" | "files" => View(change(Kind::Results, Some(id))),
            _ => Nothing,
        },
        ["agent", "jobs", id, "files", ..] => View(change(Kind::Results, Some(id))),
        _ => Nothing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u64) -> Option<Id> {
        Some(Id(n))
    }

    #[test]
    fn only_queue_changes_wake_claims() {
        let e = |m: Method, p: &str| {
            let seg: Vec<&str> = p.split('/').filter(|s| !s.is_empty()).collect();
            effect(&m, &seg, false)
        };
        assert_eq!(e(Method::Get, "jobs/5"), Effect::Nothing);
        assert_eq!(effect(&Method::Post, &["jobs"], true), Effect::Nothing);
        assert_eq!(
            e(Method::Post, "jobs"),
            Effect::Queue(Change {
                kind: Kind::Jobs,
                id: None
            })
        );
        assert_eq!(
            e(Method::Post, "jobs/7/stop"),
            Effect::Queue(Change {
                kind: Kind::Jobs,
                id: id(7)
            })
        );
        assert_eq!(
            e(Method::Post, "agent/jobs/7/finish"),
            Effect::Queue(Change {
                kind: Kind::Jobs,
                id: id(7)
            })
        );
        // Heartbeats and log lines never wake a claim.
        assert_eq!(
            e(Method::Post, "agent/jobs/7/heartbeat"),
            Effect::View(Change {
                kind: Kind::Jobs,
                id: id(7)
            })
        );
        assert_eq!(
            e(Method::Post, "agent/jobs/7/log"),
            Effect::View(Change {
                kind: Kind::Log,
                id: id(7)
            })
        );
        assert_eq!(
            e(Method::Post, "agent/jobs/7/tests"),
            Effect::View(Change {
                kind: Kind::Results,
                id: id(7)
            })
        );
        assert_eq!(
            e(Method::Patch, "configs/3"),
            Effect::View(Change {
                kind: Kind::Configs,
                id: id(3)
            })
        );
    }
}
