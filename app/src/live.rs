//! Live updates. While at least one live view is mounted, one loop long-polls
//! `GET /api/v1/changes?after=V&wait=25` and publishes the store's version; views reload what
//! they show when it moves (see `loader`). No per-second polling: an idle app holds one
//! request open, and a request only returns early when something changed.

mod choices;
mod loader;

pub use choices::choices;
pub use loader::{load, Loaded, Reload};

use crate::api;
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use std::cell::{Cell, RefCell};
use web_sys::AbortController;

/// How long the server may hold one poll (seconds). Below common proxy idle timeouts.
const WAIT_SECS: u64 = 25;
/// Backoff after failed polls: 1 s, 2 s, 4 s ... at most this (ms).
const MAX_BACKOFF_MS: i32 = 30_000;

struct Hub {
    /// `None` until the first answer (or failure): views wait for it before their first load,
    /// so no change can slip between their load and the first poll.
    version: RwSignal<Option<u64>>,
    watchers: Cell<usize>,
    running: Cell<bool>,
    poll: RefCell<Option<AbortController>>,
}

thread_local! {
    static HUB: RefCell<Option<Hub>> = const { RefCell::new(None) };
}

/// Creates the version signal under the app's root owner (call once, from `App`).
pub fn init() {
    HUB.with(|h| {
        *h.borrow_mut() = Some(Hub {
            version: RwSignal::new(None),
            watchers: Cell::new(0),
            running: Cell::new(false),
            poll: RefCell::new(None),
        });
    });
}

fn with_hub<R>(f: impl FnOnce(&Hub) -> R) -> Option<R> {
    HUB.with(|h| h.borrow().as_ref().map(f))
}

/// Calls `f` once the version is first known and every time it moves, while the calling
/// view is mounted.
pub fn on_change(f: impl Fn() + 'static) {
    let Some(version) = with_hub(|h| h.version) else {
        return;
    };
    subscribe();
    Effect::new(move |_| {
        if version.get().is_some() {
            f();
        }
    });
}

fn subscribe() {
    let start = with_hub(|h| {
        h.watchers.set(h.watchers.get() + 1);
        !h.running.replace(true)
    });
    if start == Some(true) {
        leptos::task::spawn_local(run());
    }
    on_cleanup(|| {
        with_hub(|h| {
            h.watchers.set(h.watchers.get().saturating_sub(1));
            if h.watchers.get() == 0 {
                if let Some(c) = h.poll.borrow_mut().take() {
                    c.abort();
                }
            }
        });
    });
}

async fn run() {
    let mut failures = 0u32;
    loop {
        let Some((version, controller)) = with_hub(|h| {
            if h.watchers.get() == 0 {
                h.running.set(false);
                return None;
            }
            let controller = AbortController::new().ok()?;
            *h.poll.borrow_mut() = Some(controller.clone());
            Some((h.version, SendWrapper::new(controller)))
        })
        .flatten() else {
            with_hub(|h| h.running.set(false));
            return;
        };
        let after = version.get_untracked();
        match api::changes(after, WAIT_SECS, &controller.signal()).await {
            Ok(v) => {
                failures = 0;
                if after != Some(v) {
                    version.try_set(Some(v));
                }
            }
            Err(_) if controller.signal().aborted() => {}
            Err(e) if e.status == 401 => {
                with_hub(|h| h.running.set(false));
                return;
            }
            Err(_) => {
                if after.is_none() {
                    // Let views load (and show the error) instead of waiting forever.
                    version.try_set(Some(0));
                }
                failures += 1;
                sleep(backoff(failures)).await;
            }
        }
    }
}

fn backoff(failures: u32) -> i32 {
    1000i32
        .saturating_mul(1 << failures.saturating_sub(1).min(5))
        .min(MAX_BACKOFF_MS)
}

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
