//! A time in the reader's time zone (the exact UTC time in `datetime`, for machines).

use crate::model::format;
use labrelay_api::Timestamp;
use leptos::prelude::*;
use std::cell::Cell;

thread_local! {
    /// (hour since the epoch, its offset): a list's times mostly share an hour, and asking
    /// the browser is a call out of wasm.
    static LAST_OFFSET: Cell<(i64, i32)> = const { Cell::new((i64::MIN, 0)) };
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

pub fn local(t: Timestamp) -> String {
    format::datetime(t.micros(), local_offset(t))
}

#[component]
pub fn Time(t: Timestamp) -> impl IntoView {
    view! { <time datetime=t.to_string()>{local(t)}</time> }
}

/// Now, for relative times.
pub fn now() -> Timestamp {
    Timestamp::from_millis(js_sys::Date::now())
}
