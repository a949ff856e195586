//! Which jobs an agent's token was seen to hold: once the store has said so, the entry
//! trusts it for [`HELD_MS`] and sends the job's next one-part files with a single store call
//! after the bytes are in R2 (the store checks everything again; a refusal forgets it).

use std::cell::RefCell;
use std::collections::HashMap;

/// How long the entry trusts "this token holds this job" without asking the store (ms): a
/// revoked agent can put at most this long's one-part files in R2, each deleted at once.
const HELD_MS: f64 = 60_000.0;
/// Most (token, job) pairs remembered by one isolate.
const HELD_MAX: usize = 1024;

thread_local! {
    /// (bearer, job) -> (result id, until when).
    static HELD: RefCell<HashMap<(String, u64), (u64, f64)>> = RefCell::new(HashMap::new());
}

/// The result of `job`, when `auth` was seen to hold it lately.
pub fn result(auth: &str, job: u64) -> Option<u64> {
    let now = js_sys::Date::now();
    HELD.with(|h| {
        h.borrow()
            .get(&(auth.to_string(), job))
            .filter(|(_, until)| *until > now)
            .map(|(r, _)| *r)
    })
}

pub fn remember(auth: &str, job: u64, result: u64) {
    let until = js_sys::Date::now() + HELD_MS;
    HELD.with(|h| {
        let mut h = h.borrow_mut();
        if h.len() >= HELD_MAX {
            h.clear();
        }
        h.insert((auth.to_string(), job), (result, until));
    });
}

pub fn forget(auth: &str, job: u64) {
    HELD.with(|h| h.borrow_mut().remove(&(auth.to_string(), job)));
}
