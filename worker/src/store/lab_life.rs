//! A lab's object answering the directory about its lab's life (`crate::internal::LAB_*`;
//! the rules are in `closing`): closed on delete, reopened on restore, purged step by step.

use super::closing;
use super::http::{self, Reply};
use super::object::Store;
use crate::internal::PurgeStep;
use labrelay_api::error::ApiError;

/// R2 batches (of 100 objects) one purge step deletes at most.
const GARBAGE_BATCHES: u32 = 10;

impl Store {
    /// The lab was deleted: its jobs end, every held request is answered (and refused when
    /// it asks again), and from now on every call is refused.
    pub(super) fn close_lab(&self) -> Result<Reply, ApiError> {
        closing::close(&self.db)?;
        self.closed.set(true);
        self.waiting.notify(super::effects::queue_change());
        http::data(&serde_json::json!({}))
    }

    pub(super) fn reopen_lab(&self) -> Result<Reply, ApiError> {
        closing::reopen(&self.db)?;
        self.closed.set(false);
        http::data(&serde_json::json!({}))
    }

    /// One step of a purge: a batch of result files out of R2; when none is left, every
    /// record, and the object becomes a tombstone.
    pub(super) async fn purge_step(&self) -> Result<Reply, ApiError> {
        if closing::is_purged(&self.db)? {
            return http::data(&PurgeStep {
                removed: 0,
                done: true,
            });
        }
        closing::condemn_files(&self.db)?;
        let mut removed = 0;
        for _ in 0..GARBAGE_BATCHES {
            match self.collect_garbage().await {
                0 => break,
                n => removed += n as u64,
            }
        }
        let done = closing::left(&self.db)? == 0;
        if done {
            let storage = self.state.storage();
            if let Err(e) = storage.delete_alarm().await {
                worker::console_error!("purge: delete_alarm: {e}");
            }
            if let Err(e) = storage.delete_all().await {
                worker::console_error!("purge: delete_all: {e}");
            }
            closing::tombstone(&self.db)?;
        }
        http::data(&PurgeStep { removed, done })
    }
}
