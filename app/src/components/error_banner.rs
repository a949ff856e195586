//! A failure in plain words, announced to screen readers, dismissable.

use crate::components::dyn_view;
use leptos::prelude::*;

#[component]
pub fn ErrorBanner(error: RwSignal<Option<String>>) -> impl IntoView {
    dyn_view(move || {
        error
            .get()
            .map(|msg| {
                view! {
                    <div class="banner banner-error" role="alert">
                        <span>{msg}</span>
                        <button type="button" class="link" aria-label="Dismiss this message"
                            on:click=move |_| error.set(None)>"×"</button>
                    </div>
                }
            })
            .into_any()
    })
}

/// A success note (polite: read out without interrupting).
#[component]
pub fn Notice(message: RwSignal<Option<String>>) -> impl IntoView {
    view! {
        <div class="notice-slot" aria-live="polite">
            {dyn_view(move || message.get().map(|m| view! { <div class="banner banner-ok">{m}</div> }))}
        </div>
    }
}
