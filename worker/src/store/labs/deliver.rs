//! The directory delivers the calls it owes labs' objects (`calls`): after any change to
//! labs, and from the alarm. A purge goes a few steps per delivery (each step removes a
//! batch of the lab's result files from R2) until the object reports it empty; then the
//! deleted lab is forgotten.

use super::calls::{self, Call};
use super::deleted;
use crate::internal::{PurgeStep, LAB_CLOSE, LAB_PURGE, LAB_REOPEN};
use crate::labs::Target;
use crate::store::db::us;
use crate::store::object::Store;
use crate::store_call::{call, Refused};
use labrelay_api::labs::LabRef;

/// Calls delivered at most per round (the rest wait for the next).
const PER_ROUND: i64 = 20;
/// Purge steps per delivery before the lab's turn passes.
const PURGE_STEPS: u32 = 5;

/// A call that did not land, in words.
async fn why(r: Refused) -> String {
    match r {
        Refused::Error(e) => e.to_string(),
        Refused::Answer(mut resp) => {
            let text = resp.text().await.unwrap_or_default();
            format!("HTTP {}: {}", resp.status_code(), text.trim())
        }
    }
}

/// A call that lands in one request (close, reopen).
async fn once(to: &Target, path: &str) -> Result<bool, String> {
    match call::<_, serde_json::Value>(to, path, None, &serde_json::json!({})).await {
        Ok(_) => Ok(true),
        Err(r) => Err(why(r).await),
    }
}

/// Whether one purge of `lab` finished; `Err` says why a step failed.
async fn purge(to: &Target) -> Result<bool, String> {
    for _ in 0..PURGE_STEPS {
        let step: PurgeStep = match call(to, LAB_PURGE, None, &serde_json::json!({})).await {
            Ok(s) => s,
            Err(r) => return Err(why(r).await),
        };
        if step.done {
            return Ok(true);
        }
    }
    Ok(false)
}

impl Store {
    /// Delivers the calls due now; each that fails is tried again later (backing off).
    pub(in crate::store) async fn deliver_lab_calls(&self) {
        let now = || us(crate::error::now());
        let due = match calls::due(&self.db, now(), PER_ROUND) {
            Ok(d) => d,
            Err(e) => return worker::console_error!("lab calls: {e}"),
        };
        for c in due {
            let to = Target::lab(&self.env, c.lab.clone(), None);
            let outcome = match c.call {
                Call::Close => once(&to, LAB_CLOSE).await,
                Call::Reopen => once(&to, LAB_REOPEN).await,
                Call::Purge => purge(&to).await,
            };
            if let Err(e) = self.settle_call(&c, outcome, now()) {
                worker::console_error!("lab calls: {e}");
            }
        }
    }

    fn settle_call(
        &self,
        c: &calls::Due,
        outcome: Result<bool, String>,
        now: i64,
    ) -> Result<(), labrelay_api::error::ApiError> {
        match outcome {
            Ok(true) => {
                if c.call == Call::Purge {
                    deleted::remove(&self.db, &c.lab)?;
                }
                calls::done(&self.db, c.id)
            }
            // A purge under way: its next steps as soon as the alarm can run them.
            Ok(false) => calls::again(&self.db, c.id, now, ""),
            Err(e) => {
                worker::console_error!("lab {}: {:?} did not land: {e}", lab_name(&c.lab), c.call);
                calls::again(&self.db, c.id, now + calls::backoff_us(c.tries), &e)
            }
        }
    }
}

fn lab_name(lab: &LabRef) -> String {
    format!("{}@{}", lab.name, lab.incarnation)
}
