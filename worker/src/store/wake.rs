//! Who waits in a lab's object, and whom a change wakes (`effects.rs` says what each call
//! changes): held claims only for queue changes (and the alarm), stop long-polls for changes
//! to jobs, browsers (`/changes`, `?updates=`) for everything they show. Browsers are told
//! what changed since their version, from a short history; past it, "everything".

use super::effects::{Change, Effect, Kind};
use futures::channel::oneshot;
use labrelay_api::Id;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::time::Duration;

/// Changes remembered for `/changes?after=` (a browser further behind reloads everything).
const HISTORY: usize = 512;

pub struct Waiting {
    /// Held claims, by agent.
    claims: RefCell<Vec<(Id, oneshot::Sender<()>)>>,
    /// Stop long-polls.
    stops: RefCell<Vec<oneshot::Sender<()>>>,
    /// Browsers and `?updates=` long-polls.
    watchers: RefCell<Vec<oneshot::Sender<()>>>,
    version: Cell<u64>,
    history: RefCell<VecDeque<(u64, Change)>>,
    /// Claims woken, since the object started.
    claim_wakeups: Cell<u64>,
}

/// Which list a waiter joins.
#[derive(Clone, Copy)]
pub enum Line {
    Claim(Id),
    Stop,
    Watch,
}

impl Waiting {
    pub fn new() -> Waiting {
        Waiting {
            claims: RefCell::new(Vec::new()),
            stops: RefCell::new(Vec::new()),
            watchers: RefCell::new(Vec::new()),
            // From the clock, so a restarted object never repeats a version a browser saw.
            version: Cell::new(js_sys::Date::now() as u64),
            history: RefCell::new(VecDeque::new()),
            claim_wakeups: Cell::new(0),
        }
    }

    /// How many wait in each line, and the claims woken so far (`GET /api/v1/system/status`).
    pub fn status(&self) -> labrelay_api::labs::WaitStatus {
        labrelay_api::labs::WaitStatus {
            version: self.version.get(),
            held_claims: self.claims.borrow().len() as u64,
            stop_polls: self.stops.borrow().len() as u64,
            watchers: self.watchers.borrow().len() as u64,
            claim_wakeups: self.claim_wakeups.get(),
        }
    }

    pub fn version(&self) -> u64 {
        self.version.get()
    }

    /// Whether this agent holds a claim open now (an agent is "polling").
    pub fn polling(&self, agent: Id) -> bool {
        self.claims.borrow().iter().any(|(a, _)| *a == agent)
    }

    /// Tells whoever a change concerns.
    pub fn notify(&self, effect: Effect) {
        let change = match effect {
            Effect::Nothing => return,
            Effect::Queue(c) => {
                self.wake_claims();
                c
            }
            Effect::View(c) => c,
        };
        if change.kind == Kind::Jobs {
            for tx in self.stops.borrow_mut().drain(..) {
                let _ = tx.send(());
            }
        }
        let v = self.version.get() + 1;
        self.version.set(v);
        let mut h = self.history.borrow_mut();
        h.push_back((v, change));
        while h.len() > HISTORY {
            h.pop_front();
        }
        drop(h);
        for tx in self.watchers.borrow_mut().drain(..) {
            let _ = tx.send(());
        }
    }

    /// Every held claim re-checks (a queue change, or the alarm).
    pub fn wake_claims(&self) {
        let woken: Vec<_> = self.claims.borrow_mut().drain(..).collect();
        self.claim_wakeups
            .set(self.claim_wakeups.get() + woken.len() as u64);
        for (_, tx) in woken {
            let _ = tx.send(());
        }
    }

    /// The distinct changes after version `after`; `None` when the history no longer reaches
    /// back that far (or `after` is not a version this object gave).
    pub fn changes_since(&self, after: u64) -> Option<Vec<Change>> {
        if after == self.version.get() {
            return Some(Vec::new());
        }
        let h = self.history.borrow();
        let first = h.front().map(|(v, _)| *v)?;
        if after + 1 < first || after > self.version.get() {
            return None;
        }
        let mut out: Vec<Change> = Vec::new();
        for (_, c) in h.iter().filter(|(v, _)| *v > after) {
            if !out.contains(c) {
                out.push(*c);
            }
        }
        Some(out)
    }

    /// Waits in `line` until woken or `millis` pass.
    pub async fn wait(&self, line: Line, millis: u64) {
        let (tx, rx) = oneshot::channel();
        match line {
            Line::Claim(agent) => self.claims.borrow_mut().push((agent, tx)),
            Line::Stop => self.stops.borrow_mut().push(tx),
            Line::Watch => self.watchers.borrow_mut().push(tx),
        }
        let delay = worker::Delay::from(Duration::from_millis(millis));
        futures::pin_mut!(delay);
        let _ = futures::future::select(rx, delay).await;
        // Drop our sender if the timer won, so the lists do not grow.
        match line {
            Line::Claim(_) => self.claims.borrow_mut().retain(|(_, t)| !t.is_canceled()),
            Line::Stop => self.stops.borrow_mut().retain(|t| !t.is_canceled()),
            Line::Watch => self.watchers.borrow_mut().retain(|t| !t.is_canceled()),
        }
    }
}
