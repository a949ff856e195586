//! Keeps the rendered rows of a long jobs page to the ones on screen (see
//! `model::window`): follows the window's scroll and size, measures the real row height.

use crate::model::window;
use leptos::html::Tbody;
use leptos::prelude::*;
use send_wrapper::SendWrapper;

/// A row's height before one is measured (CSS pixels; `table.jobs tbody tr` in style.css).
const ROW_H: f64 = 40.0;

/// The rendered range, and the spacer heights above and below it (whole CSS pixels:
/// formatting a float would pull ~10 KB of float printing into the wasm).
#[derive(Clone, Copy, PartialEq)]
pub struct Range {
    pub start: usize,
    pub end: usize,
    pub above: u64,
    pub below: u64,
}

/// `[start, end)` of `n` rows to render, kept current while the view is mounted.
pub fn follow(n: Signal<usize>, body: NodeRef<Tbody>) -> Memo<Range> {
    let scroll = RwSignal::new((0.0f64, 800.0f64, ROW_H));
    let measure = move || {
        let Some(w) = web_sys::window() else { return };
        // (A frame callback may come after the view is gone.)
        let Some(tb) = body.try_get_untracked().flatten() else {
            return;
        };
        let view_h = w
            .inner_height()
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(800.0);
        // The first data row sits right after the top spacer.
        let row_h = tb
            .rows()
            .item(1)
            .map(|r| r.get_bounding_client_rect().height())
            .filter(|h| *h > 1.0)
            .unwrap_or(ROW_H);
        // The body starts with the spacer for the rows above: its top is row 0's.
        let top = tb.get_bounding_client_rect().top();
        scroll.set((-top, view_h, row_h));
    };
    let handles = [
        window_event_listener(leptos::ev::scroll, move |_| measure()),
        window_event_listener(leptos::ev::resize, move |_| measure()),
    ];
    let handles = SendWrapper::new(handles);
    on_cleanup(move || {
        for h in handles.take() {
            h.remove();
        }
    });
    // Measure again once new rows are in the DOM (their height, the table's place).
    Effect::new(move |_| {
        n.track();
        request_animation_frame(measure);
    });
    Memo::new(move |_| {
        let n = n.get();
        let (scrolled, view_h, row_h) = scroll.get();
        let (start, end) = window::visible(n, row_h, scrolled, view_h);
        Range {
            start,
            end,
            above: (start as f64 * row_h).round() as u64,
            below: ((n - end) as f64 * row_h).round() as u64,
        }
    })
}
