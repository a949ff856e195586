//! Retry policy: exponential backoff with full jitter, for every call to the server that may
//! fail for a while (claims, log appends, finishes).
//!
//! Attempt `n` (from 0) sleeps a random time in `[0, min(cap, base * 2^n)]` ("full jitter":
//! lab agents that lost the server together do not come back together). The numbers:
//! - `base` 0.5 s: a blip (a worker restart, a dropped connection) is retried almost at once;
//! - `cap` 30 s: an agent notices a recovered server within half a minute, while a fleet of
//!   agents sends each one request per ~15 s on average during an outage;
//! - `reset()` after any success: the next failure starts small again.

use rand::Rng;
use std::time::Duration;

/// First ceiling: short enough that a transient error costs almost nothing.
pub const BASE: Duration = Duration::from_millis(500);
/// Highest ceiling: how long a recovered server may wait for us at most.
pub const CAP: Duration = Duration::from_secs(30);

#[derive(Clone, Debug)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    attempt: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new(BASE, CAP)
    }
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration) -> Backoff {
        Backoff {
            base,
            cap,
            attempt: 0,
        }
    }

    /// The upper bound of the sleep of attempt `attempt`: `min(cap, base * 2^attempt)`.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        // 2^20 * 0.5 s is already days: no need to go further, and no overflow.
        let factor = 1u32 << attempt.min(20);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// How long to sleep before the next try; each call moves one attempt further.
    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self.ceiling(self.attempt);
        self.attempt = self.attempt.saturating_add(1);
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::rng().random_range(0..=millis))
    }

    /// How many failures in a row this backoff has seen.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// After a success: the next failure starts from `base` again.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_double_from_half_a_second_up_to_thirty() {
        let b = Backoff::default();
        let secs: Vec<f64> = (0..10).map(|n| b.ceiling(n).as_secs_f64()).collect();
        assert_eq!(
            secs,
            [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0, 30.0]
        );
        assert_eq!(b.ceiling(u32::MAX), CAP);
    }

    #[test]
    fn delays_stay_within_their_ceiling() {
        let mut b = Backoff::default();
        for attempt in 0..200 {
            let ceiling = b.ceiling(attempt);
            let d = b.next_delay();
            assert!(d <= ceiling, "attempt {attempt}: {d:?} > {ceiling:?}");
        }
        assert_eq!(b.attempts(), 200);
    }

    #[test]
    fn jitter_spreads_the_delays() {
        let mut b = Backoff::new(Duration::from_secs(30), CAP);
        let delays: std::collections::HashSet<Duration> = (0..50).map(|_| b.next_delay()).collect();
        assert!(delays.len() > 10, "full jitter should not repeat itself");
    }

    #[test]
    fn reset_starts_over() {
        let mut b = Backoff::default();
        for _ in 0..8 {
            b.next_delay();
        }
        b.reset();
        assert_eq!(b.attempts(), 0);
        assert!(b.next_delay() <= BASE);
    }
}
