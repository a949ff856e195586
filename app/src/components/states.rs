//! Loading and empty states.

use leptos::prelude::*;

#[component]
pub fn Loading(#[prop(default = "Loading…")] what: &'static str) -> impl IntoView {
    view! { <p class="muted state" role="status">{what}</p> }
}

#[component]
pub fn Empty(children: Children) -> impl IntoView {
    view! { <div class="empty state">{children()}</div> }
}
