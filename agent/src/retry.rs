//! Retry policy: exponential backoff with full jitter, for every call to the server that may
//! fail for a while (claims, starts, the outbox's deliveries, finishes, stop long-polls), all
//! through one helper, [`retry`], with a [`Limit`] saying how long each may keep trying.
//!
//! Attempt `n` (from 0) sleeps a random time in `[0, min(cap, base * 2^n)]` ("full jitter":
//! lab agents that lost the server together do not come back together). The numbers:
//! - `base` 0.5 s: a blip (a worker restart, a dropped connection) is retried almost at once;
//! - `cap` 30 s: an agent notices a recovered server within half a minute, while a fleet of
//!   agents sends each one request per ~15 s on average during an outage;
//! - `reset()` after any success: the next failure starts small again.

use rand::Rng;
use std::fmt::Display;
use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;

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

/// How long [`retry`] keeps trying.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// Until the call succeeds or fails for good (the caller may drop the future to give up).
    Forever,
    /// At most this many calls in all.
    Tries(u32),
    /// No new call once this long has passed since the first.
    For(Duration),
}

/// Calls `call` until it succeeds, fails in a way `retryable` says is final, or `limit` is
/// reached, sleeping a full-jitter [`Backoff`] between calls and saying so in the agent's
/// log (`what`: what is being tried, e.g. "job 42: start"). Answers the success, or the
/// last error.
pub async fn retry<T, E, F, Fut>(
    what: &str,
    limit: Limit,
    retryable: impl Fn(&E) -> bool,
    mut call: F,
) -> Result<T, E>
where
    E: Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut backoff = Backoff::default();
    let started = Instant::now();
    loop {
        let e = match call().await {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        let spent = match limit {
            Limit::Forever => false,
            Limit::Tries(n) => backoff.attempts().saturating_add(1) >= n,
            Limit::For(d) => started.elapsed() >= d,
        };
        if spent || !retryable(&e) {
            return Err(e);
        }
        let delay = backoff.next_delay();
        tracing::warn!("{what}: {e}; retrying in {:.1} s", delay.as_secs_f64());
        tokio::time::sleep(delay).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    async fn failing(calls: &Cell<u32>, fail: u32, code: u16) -> Result<u32, String> {
        calls.set(calls.get() + 1);
        if calls.get() <= fail {
            Err(format!("{code}"))
        } else {
            Ok(calls.get())
        }
    }

    fn transient(e: &str) -> bool {
        e.starts_with('5')
    }

    /// `retry` of a call that fails `fail` times with `code` (5xx: transient).
    async fn run(calls: &Cell<u32>, limit: Limit, fail: u32, code: u16) -> Result<u32, String> {
        retry(
            "t",
            limit,
            |e: &String| transient(e),
            || failing(calls, fail, code),
        )
        .await
    }

    #[tokio::test(start_paused = true)]
    async fn retries_transient_errors_until_it_works() {
        let calls = Cell::new(0);
        let r = run(&calls, Limit::Forever, 20, 503).await;
        assert_eq!(r, Ok(21));
    }

    #[tokio::test(start_paused = true)]
    async fn a_final_error_ends_at_once() {
        let calls = Cell::new(0);
        let r = run(&calls, Limit::Forever, 20, 400).await;
        assert_eq!(r, Err("400".into()));
        assert_eq!(calls.get(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn tries_and_time_limits_are_kept() {
        let calls = Cell::new(0);
        let r = run(&calls, Limit::Tries(4), 20, 503).await;
        assert_eq!(r, Err("503".into()));
        assert_eq!(calls.get(), 4);

        let calls = Cell::new(0);
        let start = Instant::now();
        let limit = Duration::from_secs(15);
        let r = run(&calls, Limit::For(limit), u32::MAX, 503).await;
        assert_eq!(r, Err("503".into()));
        let took = start.elapsed();
        assert!(took >= limit, "{took:?}");
        assert!(took <= limit + CAP, "{took:?}");
    }

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
