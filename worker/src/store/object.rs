//! The lab object's state: its SQLite database, who waits on it, and what it remembers between
//! requests. Handlers that hold a request (`longpoll.rs`) or reach R2 (`lab_life.rs`) take it;
//! the route table (`route_table.rs`) hands it to every handler through `route::Call`.

use super::db::Db;
use super::{queue, wake};
use worker::{durable_object, Env, State};

#[durable_object]
pub struct Store {
    pub(super) db: Db,
    pub(super) state: State,
    pub(super) env: Env,
    /// Set when the schema could not be brought up to date: every request answers with it.
    pub(super) init_error: Option<String>,
    /// Held claims, stop long-polls and browsers, and whom a change wakes.
    pub(super) waiting: wake::Waiting,
    /// The due queue as the last list of pending jobs read it (see `queue`).
    pub(super) due: queue::DueCache,
    /// The cap on one result's files (`RESULT_MAX_BYTES`, default 1 GiB).
    pub(super) result_max_bytes: u64,
    /// The lab was deleted: every call is refused (see `closing`).
    pub(super) closed: std::cell::Cell<bool>,
}

/// A var or secret of the worker's environment, "" when unset.
pub fn secret(env: &Env, name: &str) -> String {
    env.secret(name)
        .map(|s| s.to_string())
        .or_else(|_| env.var(name).map(|v| v.to_string()))
        .unwrap_or_default()
}

impl Store {
    /// What `GET /api/v1/system/hostname` answers (`HOSTNAME`, else "labrelay").
    /// The lab's storage quota (`LAB_QUOTA_BYTES`; 0: none), for `system/space`.
    pub(super) fn quota_bytes(&self) -> u64 {
        secret(&self.env, "LAB_QUOTA_BYTES").parse().unwrap_or(0)
    }

    pub(super) fn hostname(&self) -> String {
        let name = secret(&self.env, "HOSTNAME");
        if name.is_empty() {
            "labrelay".into()
        } else {
            name
        }
    }

    /// Whether agent `id` holds a claim open now.
    pub(super) fn polling(&self, id: labrelay_api::Id) -> bool {
        self.waiting.polling(id)
    }
}
