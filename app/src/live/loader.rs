//! A view's data, loaded for its current key (the page, the filters, the id) and reloaded
//! when the key changes or the store's version moves. At most one request is in flight: a
//! reason to reload that comes during one makes exactly one more run after it. The last
//! data stays on screen while a reload runs, so live tables do not flicker; but a failed
//! load for a new key clears it (a bad filter must not leave the last filter's rows on
//! screen, reading as its results). A view about to delete what it shows holds its loads.

use crate::api;
use leptos::prelude::*;
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

pub struct Loaded<T: Send + Sync + 'static> {
    pub data: RwSignal<Option<T>>,
    /// The last load's failure, in user words (cleared by the next success).
    pub error: RwSignal<Option<String>>,
    /// A load is in flight.
    pub loading: RwSignal<bool>,
    /// No loads while set (see `hold`).
    held: RwSignal<bool>,
    reload: StoredValue<Rc<dyn Fn()>, LocalStorage>,
}

impl<T: Send + Sync + 'static> Clone for Loaded<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for Loaded<T> {}

impl<T: Send + Sync + 'static> Loaded<T> {
    /// Loads again now (after an action of this view changed something).
    pub fn reload(&self) {
        if let Some(f) = self.reload.try_get_value() {
            f();
        }
    }

    /// Stops loading (before deleting what the view shows: the change would otherwise make
    /// it ask for what is gone), or starts again and loads at once.
    pub fn hold(&self, held: bool) {
        self.held.try_set(held);
        if !held {
            self.reload();
        }
    }
}

struct Flags {
    busy: Cell<bool>,
    again: Cell<bool>,
    alive: Rc<Cell<bool>>,
}

/// What besides a change of its key loads a view's data again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reload {
    /// Every store change too: a live view (see the module doc).
    OnChange,
    /// Nothing: pick lists and names that need not be live.
    OnKey,
}

/// One load: fetch for the current key, and keep the answer if the key is still current.
type Once = Rc<dyn Fn() -> Pin<Box<dyn Future<Output = ()>>>>;

/// Loads `fetch(key())` while the calling view is mounted, again when the key changes and,
/// with [`Reload::OnChange`], on every store change.
pub fn load<K, T, Fut>(
    key: impl Fn() -> K + 'static,
    fetch: impl Fn(K) -> Fut + 'static,
    again: Reload,
) -> Loaded<T>
where
    K: PartialEq + Clone + 'static,
    T: Send + Sync + 'static,
    Fut: Future<Output = api::Result<T>> + 'static,
{
    let data = RwSignal::new(None);
    let error = RwSignal::new(None);
    let loading = RwSignal::new(false);
    let held = RwSignal::new(false);
    let key = Rc::new(key);
    // The key the data on screen was loaded for.
    let shown: Rc<std::cell::RefCell<Option<K>>> = Rc::default();
    // Reading the key (memos of the view) after the view is gone would panic.
    let alive = Rc::new(Cell::new(true));
    {
        let alive = send_wrapper::SendWrapper::new(alive.clone());
        on_cleanup(move || alive.set(false));
    }
    // The only part that depends on the types; the driver below is shared by every view.
    let once: Once = {
        let (key, alive) = (key.clone(), alive.clone());
        Rc::new(move || {
            let k = untrack(|| key());
            let answer = fetch(k.clone());
            let (key, alive, shown) = (key.clone(), alive.clone(), shown.clone());
            Box::pin(async move {
                let result = answer.await;
                // Gone, or the key moved during the fetch: that answer is for a view gone by
                // (the key's effect has asked for one more run).
                if !alive.get() || untrack(|| key()) != k {
                    return;
                }
                match result {
                    Ok(v) => {
                        data.try_set(Some(v));
                        error.try_set(None);
                        *shown.borrow_mut() = Some(k);
                    }
                    Err(e) => {
                        if shown.borrow().as_ref() != Some(&k) {
                            data.try_set(None);
                        }
                        error.try_set(Some(e.message));
                    }
                }
            })
        })
    };
    let trigger = driver(once, loading, held, alive);
    let reload = StoredValue::new_local(trigger.clone());
    // The first load, then one per key change (and per store change when live).
    let on_key = move || {
        let _ = key();
        trigger();
    };
    if again == Reload::OnChange {
        super::on_change(on_key);
    } else {
        Effect::new(move |_| on_key());
    }
    Loaded {
        data,
        error,
        loading,
        held,
        reload,
    }
}

/// Runs `once` when triggered: at most one in flight, and exactly one more when triggered
/// during it; nothing while held or once the view is gone.
fn driver(
    once: Once,
    loading: RwSignal<bool>,
    held: RwSignal<bool>,
    alive: Rc<Cell<bool>>,
) -> Rc<dyn Fn()> {
    let flags = Rc::new(Flags {
        busy: Cell::new(false),
        again: Cell::new(false),
        alive,
    });
    Rc::new(move || {
        if !flags.alive.get() || held.try_get_untracked().unwrap_or(true) {
            return;
        }
        if flags.busy.replace(true) {
            flags.again.set(true);
            return;
        }
        let (flags, once) = (flags.clone(), once.clone());
        leptos::task::spawn_local(async move {
            loop {
                flags.again.set(false);
                loading.try_set(true);
                once().await;
                if !flags.alive.get() {
                    return;
                }
                if !flags.again.get() || held.try_get_untracked().unwrap_or(true) {
                    break;
                }
            }
            loading.try_set(false);
            flags.busy.set(false);
        });
    })
}
