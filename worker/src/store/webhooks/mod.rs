//! Webhooks: a lab tells URLs when a job is launched, starts or ends, or a device turns
//! `bad` or `ready` (`labrelay_api::webhooks` has the wire types and the signature).
//!
//! | file | what |
//! |---|---|
//! | `hooks.rs` | the API: make, list, edit, rotate the secret, delete; deliveries; redeliver |
//! | `target.rs` | where a hook may send (SSRF) |
//! | `events.rs` | events (written by triggers) → a delivery per hook that hears them |
//! | `deliver.rs` | sending, from the alarm: signature, timeout, retries, giving up |
//! | `rows.rs` | the rows, finders, the queue's cap |

pub mod deliver;
pub mod events;
pub mod hooks;
pub mod rows;
pub mod target;

use super::object::{secret, Store};

/// How long a hook may fail before it turns itself off (seconds; `WEBHOOK_GIVE_UP_SECS`
/// shortens it for tests).
const GIVE_UP_SECS: i64 = 24 * 3600;

impl Store {
    /// Whether the worker runs for development (a hook may then target this machine).
    pub(super) fn dev(&self) -> bool {
        secret(&self.env, "LABRELAY_DEV") == "1"
    }

    fn give_up_secs(&self) -> i64 {
        secret(&self.env, "WEBHOOK_GIVE_UP_SECS")
            .parse()
            .ok()
            .filter(|s| *s > 0)
            .unwrap_or(GIVE_UP_SECS)
    }

    /// Turns new events into deliveries (cheap when there are none).
    pub(super) fn queue_webhooks(&self) {
        match events::pending(&self.db) {
            Ok(false) => {}
            Ok(true) => {
                if let Err(e) = events::expand(&self.db) {
                    worker::console_error!("webhooks: {e}");
                }
            }
            Err(e) => worker::console_error!("webhooks: {e}"),
        }
    }

    /// From the alarm: the due deliveries, a batch.
    pub(super) async fn deliver_webhooks(&self) {
        self.queue_webhooks();
        let due = match deliver::due(&self.db) {
            Ok(d) => d,
            Err(e) => {
                worker::console_error!("webhooks: {e}");
                return;
            }
        };
        let give_up = self.give_up_secs();
        // At once: one receiver that never answers holds no other hook's delivery back.
        let sends = due.iter().map(|(d, hook)| deliver::send(hook, d));
        let attempts = futures::future::join_all(sends).await;
        for ((d, hook), attempt) in due.iter().zip(&attempts) {
            if let Err(e) = deliver::record(&self.db, hook, d, attempt, give_up) {
                worker::console_error!("webhooks: {e}");
            }
        }
    }
}
