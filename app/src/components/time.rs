//! Times in the reader's time zone, saying which zone that is (`2026-05-02 14:03:07 UTC+2`),
//! or how long ago (`5 min ago`, kept current by a clock that ticks every 30 s). The exact
//! UTC time is in `datetime`, for machines.

use crate::components::dyn_value;
use crate::model::format;
use labrelay_api::Timestamp;
use leptos::prelude::*;
use std::cell::Cell;

/// How often relative times are brought up to date (ms).
const TICK_MS: u64 = 30_000;

thread_local! {
    /// (hour since the epoch, its offset): a list's times mostly share an hour, and asking
    /// the browser is a call out of wasm.
    static LAST_OFFSET: Cell<(i64, i32)> = const { Cell::new((i64::MIN, 0)) };
    static CLOCK: Cell<Option<RwSignal<Timestamp>>> = const { Cell::new(None) };
}

/// Minutes east of UTC in this browser at that instant (daylight saving included).
pub fn local_offset(t: Timestamp) -> i32 {
    let hour = t.micros().div_euclid(3_600_000_000);
    let (cached_hour, offset) = LAST_OFFSET.with(Cell::get);
    if cached_hour == hour {
        return offset;
    }
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64((t.micros() / 1000) as f64));
    let offset = -(date.get_timezone_offset() as i32);
    LAST_OFFSET.with(|c| c.set((hour, offset)));
    offset
}

/// `2026-05-02 14:03:07 UTC+2`, in this browser's zone.
pub fn local(t: Timestamp) -> String {
    format::datetime_zone(t.micros(), local_offset(t))
}

/// Now, for relative times.
pub fn now() -> Timestamp {
    Timestamp::from_millis(js_sys::Date::now())
}

/// Starts the clock of relative times under the app's root owner (call once, from `App`).
pub fn init() {
    let clock = RwSignal::new(now());
    CLOCK.with(|c| c.set(Some(clock)));
    // The app lives as long as the page: the interval is never cleared.
    let _ = set_interval_with_handle(
        move || clock.set(now()),
        std::time::Duration::from_millis(TICK_MS),
    );
}

/// Now, read again every `TICK_MS` by whoever calls this in a reactive scope (the clock's
/// own value may be up to a tick old: a time just past must not read as to come).
fn ticking_now() -> Timestamp {
    if let Some(clock) = CLOCK.with(Cell::get) {
        clock.track();
    }
    now()
}

#[component]
pub fn Time(t: Timestamp) -> impl IntoView {
    view! { <time datetime=t.to_string()>{local(t)}</time> }
}

/// `5 min ago` (`in 2 h` for a time to come); the exact time on hover.
#[component]
pub fn Ago(t: Timestamp) -> impl IntoView {
    let words = move || format::relative(ticking_now().micros(), t.micros());
    view! { <time datetime=t.to_string() title=local(t)>{dyn_value(words)}</time> }
}
