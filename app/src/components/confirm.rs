//! A destructive action that asks first, in place (no modal): the first press shows
//! "Yes, <action>" and "Cancel"; focus moves to the confirming button.

use crate::components::{dyn_value, dyn_view};
use leptos::html::Button;
use leptos::prelude::*;

#[component]
pub fn ConfirmButton(
    /// What the first button says (e.g. "Delete").
    label: &'static str,
    /// The question shown while asking (e.g. "Delete job 12?").
    #[prop(into)]
    question: Signal<String>,
    #[prop(into, optional)] disabled: Signal<bool>,
    on_confirm: Callback<()>,
) -> impl IntoView {
    let asking = RwSignal::new(false);
    let yes = NodeRef::<Button>::new();
    Effect::new(move |_| {
        if asking.get() {
            if let Some(b) = yes.get() {
                let _ = b.focus();
            }
        }
    });
    dyn_view(move || {
        if asking.get() {
            view! {
                <span class="confirm" role="group" aria-label=dyn_value(move || question.get())>
                    <span class="confirm-q">{dyn_value(move || question.get())}</span>
                    <button type="button" class="danger" node_ref=yes
                        on:click=move |_| { asking.set(false); on_confirm.run(()); }>
                        {format!("Yes, {}", label.to_ascii_lowercase())}
                    </button>
                    <button type="button" on:click=move |_| asking.set(false)>"Cancel"</button>
                </span>
            }
            .into_any()
        } else {
            view! {
                <button type="button" class="danger-outline" disabled=dyn_value(move || disabled.get())
                    on:click=move |_| asking.set(true)>{label}</button>
            }
            .into_any()
        }
    })
}
