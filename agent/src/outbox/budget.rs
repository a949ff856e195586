//! How much one job's outbox may hold on disk (`--outbox-max-bytes`, 64 MiB): its log, test
//! records and file queue together, whatever cdrouter-cli prints and however long the
//! server stays away.
//!
//! Past the cap the newest output is refused, never the oldest: what was delivered is on the
//! server already, the server keeps the head of a log too (its own cap is 4 MiB), and a gap
//! in the middle of a log would help nobody. cdrouter-cli's own files in the run's result
//! directory still hold everything. The agent's notes have a small reserve past the point
//! where output stops, so the line saying so and the lines on how the run ended still fit.

use std::sync::Mutex;

/// The default cap: 16 times what the server keeps of a log, and room for the test records
/// of the largest result the server takes.
pub const DEFAULT_OUTBOX_MAX_BYTES: u64 = 64 << 20;
/// The smallest cap the settings accept.
pub const MIN_OUTBOX_MAX_BYTES: u64 = 1 << 20;
/// Kept for the agent's own notes once output is refused.
pub const NOTE_RESERVE: u64 = 16 << 10;

/// What a request for room got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grant {
    Granted,
    /// No room; `first`: the first refusal of this outbox, to be said in the log.
    Refused {
        first: bool,
    },
}

/// The bytes an outbox holds, against its cap. Shared by every handle on the outbox.
#[derive(Debug)]
pub struct Budget {
    cap: u64,
    state: Mutex<Used>,
}

#[derive(Debug)]
struct Used {
    bytes: u64,
    refused: bool,
}

impl Budget {
    /// A budget of `cap` bytes of which `used` are taken already (an outbox reopened).
    pub fn new(cap: u64, used: u64) -> Budget {
        Budget {
            cap,
            state: Mutex::new(Used {
                bytes: used,
                refused: false,
            }),
        }
    }

    pub fn cap(&self) -> u64 {
        self.cap
    }

    pub fn used(&self) -> u64 {
        self.lock().bytes
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Used> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Room for `bytes` of output or records: granted while the total stays within the cap
    /// less [`NOTE_RESERVE`].
    pub fn take(&self, bytes: u64) -> Grant {
        let limit = self.cap.saturating_sub(NOTE_RESERVE);
        let mut s = self.lock();
        if s.bytes.saturating_add(bytes) <= limit {
            s.bytes += bytes;
            return Grant::Granted;
        }
        let first = !s.refused;
        s.refused = true;
        Grant::Refused { first }
    }

    /// Room for `bytes` of an agent note: granted while the total stays within the cap.
    pub fn take_note(&self, bytes: u64) -> bool {
        let mut s = self.lock();
        if s.bytes.saturating_add(bytes) <= self.cap {
            s.bytes += bytes;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_stops_short_of_the_cap_and_notes_use_the_reserve() {
        let b = Budget::new(NOTE_RESERVE + 100, 0);
        assert_eq!(b.take(60), Grant::Granted);
        assert_eq!(b.take(40), Grant::Granted);
        assert_eq!(b.take(1), Grant::Refused { first: true });
        assert_eq!(b.take(1), Grant::Refused { first: false });
        assert!(b.take_note(NOTE_RESERVE));
        assert!(!b.take_note(1), "the reserve is spent");
        assert_eq!(b.used(), b.cap());
    }

    #[test]
    fn a_reopened_outbox_counts_what_it_holds() {
        let b = Budget::new(NOTE_RESERVE + 100, 90);
        assert_eq!(b.take(11), Grant::Refused { first: true });
        assert_eq!(b.take(10), Grant::Granted);
    }
}
