//! A job's status as a coloured badge (the word is always shown: colour is never the only cue).

use labrelay_api::jobs::JobStatus;
use leptos::prelude::*;

#[component]
pub fn StatusBadge(status: JobStatus) -> impl IntoView {
    let s = status.as_str();
    view! { <span class=format!("badge badge-{s}")>{s}</span> }
}
