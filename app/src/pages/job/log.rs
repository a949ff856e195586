//! The job's log, live: fetched from the last `next_offset` whenever the store changes,
//! appended, and kept scrolled to the end unless the reader has scrolled up.

use crate::api;
use crate::components::{dyn_value, dyn_view};
use crate::live;
use labrelay_api::Id;
use leptos::html::Pre;
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use std::cell::Cell;
use std::rc::Rc;

/// The most log text kept on screen (bytes); older lines are dropped from the top.
const KEEP: usize = 512 * 1024;
/// The server answers at most 256 KiB per read; catching up stops after this many reads
/// per change (the next change continues).
const MAX_READS: usize = 8;

#[derive(Default)]
struct Tail {
    offset: Cell<u64>,
    complete: Cell<bool>,
    busy: Cell<bool>,
    again: Cell<bool>,
}

/// What the card shows: the text kept, whether older lines were dropped, the last read's
/// error, whether the log is complete; and the `<pre>` it scrolls.
#[derive(Clone, Copy)]
struct Screen {
    text: RwSignal<String>,
    trimmed: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    done: RwSignal<bool>,
    pre: NodeRef<Pre>,
}

#[component]
pub fn LogTail(
    id: Id,
    /// No reads while set (the job is being deleted).
    held: RwSignal<bool>,
) -> impl IntoView {
    let screen = Screen {
        text: RwSignal::new(String::new()),
        trimmed: RwSignal::new(false),
        error: RwSignal::new(None),
        done: RwSignal::new(false),
        pre: NodeRef::new(),
    };
    let tail = Rc::new(Tail::default());
    let alive = Rc::new(Cell::new(true));
    {
        let alive = SendWrapper::new(alive.clone());
        on_cleanup(move || alive.set(false));
    }
    let fetch = move || {
        if tail.complete.get() || held.try_get_untracked().unwrap_or(true) {
            return;
        }
        if tail.busy.replace(true) {
            tail.again.set(true);
            return;
        }
        leptos::task::spawn_local(catch_up(id, held, tail.clone(), alive.clone(), screen));
    };
    live::on_change(fetch);
    log_card(screen)
}

/// Reads from the last offset until the log is complete, nothing new came, `MAX_READS` were
/// made or reads are held; again when a change came meanwhile.
async fn catch_up(
    id: Id,
    held: RwSignal<bool>,
    tail: Rc<Tail>,
    alive: Rc<Cell<bool>>,
    screen: Screen,
) {
    let mut reads = 0;
    loop {
        tail.again.set(false);
        match api::job_log(id, tail.offset.get()).await {
            Ok(chunk) => {
                if !alive.get() {
                    return;
                }
                screen.error.try_set(None);
                let got = !chunk.text.is_empty();
                if got {
                    append(screen, &chunk.text);
                }
                tail.offset.set(chunk.next_offset);
                if chunk.complete {
                    tail.complete.set(true);
                    screen.done.try_set(true);
                    break;
                }
                reads += 1;
                let held = held.try_get_untracked().unwrap_or(true);
                if got && reads < MAX_READS && !held {
                    continue;
                }
            }
            Err(e) => {
                if !alive.get() {
                    return;
                }
                screen.error.try_set(Some(e.message));
            }
        }
        if !tail.again.get() || held.try_get_untracked().unwrap_or(true) {
            break;
        }
    }
    tail.busy.set(false);
}

fn log_card(screen: Screen) -> impl IntoView {
    let Screen {
        text,
        trimmed,
        error,
        done,
        pre,
    } = screen;
    view! {
        <section class="card log-card" aria-labelledby="log-title">
            <div class="page-head">
                <h2 id="log-title">"Log"</h2>
                <span class="muted" role="status">
                    {dyn_value(move || if done.get() { "complete" } else { "live" })}
                </span>
            </div>
            {dyn_view(move || error.get().map(|e| view! { <p class="banner banner-error" role="alert">{e}</p> }))}
            {dyn_view(move || trimmed.get().then(|| view! { <p class="hint">"Earlier lines are not shown."</p> }))}
            <pre class="log" node_ref=pre tabindex="0" aria-label="Job log">
                {dyn_view(move || {
                    let t = text.get();
                    if t.is_empty() { "No output yet.".to_string() } else { t }
                })}
            </pre>
        </section>
    }
}

fn append(screen: Screen, more: &str) {
    let Screen {
        text, trimmed, pre, ..
    } = screen;
    let at_end = pre
        .get_untracked()
        .is_none_or(|el| el.scroll_top() + el.client_height() >= el.scroll_height() - 8);
    text.update(|t| {
        t.push_str(more);
        if t.len() > KEEP {
            let mut cut = t.len() - KEEP;
            while !t.is_char_boundary(cut) {
                cut += 1;
            }
            let cut = t[cut..].find('\n').map_or(cut, |n| cut + n + 1);
            t.drain(..cut);
            trimmed.set(true);
        }
    });
    if at_end {
        set_timeout(
            move || {
                if let Some(el) = pre.try_get_untracked().flatten() {
                    el.set_scroll_top(el.scroll_height());
                }
            },
            std::time::Duration::ZERO,
        );
    }
}
