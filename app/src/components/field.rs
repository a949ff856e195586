//! Labelled form fields bound to signals: every input has a visible label.

use crate::components::{dyn_value, dyn_view};
use leptos::prelude::*;

thread_local! {
    static NEXT_ID: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// A fresh element id (`f1`, `f2`, ...) to tie a label and a hint to their control.
pub fn next_id() -> String {
    NEXT_ID.with(|n| {
        n.set(n.get() + 1);
        format!("f{}", n.get())
    })
}

/// The hint under a control, tied to it with `aria-describedby`.
fn hint_view(id: &str, hint: &'static str) -> Option<impl IntoView> {
    (!hint.is_empty()).then(|| view! { <small class="hint" id=format!("{id}-hint")>{hint}</small> })
}

fn described_by(id: &str, hint: &str) -> Option<String> {
    (!hint.is_empty()).then(|| format!("{id}-hint"))
}

/// A control in its field: its label above, its hint (if any) below.
fn labelled(
    id: String,
    label: &'static str,
    hint: &'static str,
    control: impl IntoView,
) -> impl IntoView {
    view! {
        <div class="field">
            <label class="field-label" for=id.clone()>{label}</label>
            {control}
            {hint_view(&id, hint)}
        </div>
    }
}

#[component]
pub fn TextField(
    label: &'static str,
    value: RwSignal<String>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] placeholder: &'static str,
    #[prop(optional)] hint: &'static str,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    let id = next_id();
    let control = view! {
        <input type=kind id=id.clone() placeholder=placeholder required=required
            aria-describedby=described_by(&id, hint) bind:value=value />
    };
    labelled(id, label, hint, control)
}

#[component]
pub fn TextArea(
    label: &'static str,
    value: RwSignal<String>,
    #[prop(default = 4)] rows: u32,
    #[prop(optional)] hint: &'static str,
    #[prop(optional)] mono: bool,
) -> impl IntoView {
    let id = next_id();
    let control = view! {
        <textarea id=id.clone() rows=rows class:mono=mono spellcheck="false"
            aria-describedby=described_by(&id, hint) bind:value=value></textarea>
    };
    labelled(id, label, hint, control)
}

#[component]
pub fn CheckField(label: &'static str, checked: RwSignal<bool>) -> impl IntoView {
    view! {
        <label class="check">
            <input type="checkbox" bind:checked=checked />
            <span>{label}</span>
        </label>
    }
}

/// A select of (id, name) choices plus a "none" choice (id 0).
#[component]
pub fn IdSelect(
    label: &'static str,
    none: &'static str,
    value: RwSignal<labrelay_api::Id>,
    choices: RwSignal<Option<Vec<(labrelay_api::Id, String)>>>,
) -> impl IntoView {
    use labrelay_api::Id;
    let change = move |ev: leptos::ev::Event| {
        value.set(
            event_target_value(&ev)
                .parse::<u64>()
                .map(Id)
                .unwrap_or(Id::NONE),
        );
    };
    let id = next_id();
    view! {
        <div class="field">
            <label class="field-label" for=id.clone()>{label}</label>
            <select id=id on:change=change>
                <option value="0" prop:selected=dyn_value(move || value.get().is_none())>{none}</option>
                {dyn_view(move || choices.get().unwrap_or_default().into_iter().map(|(id, name)| view! {
                    <option value=id.to_string() prop:selected=dyn_value(move || value.get() == id)>{name}</option>
                }).collect_view())}
            </select>
        </div>
    }
}

/// A select of fixed (value, label) choices bound to a text value.
#[component]
pub fn ChoiceSelect(
    label: &'static str,
    options: &'static [(&'static str, &'static str)],
    value: RwSignal<String>,
    #[prop(optional)] hint: &'static str,
) -> impl IntoView {
    let id = next_id();
    let change = move |ev: leptos::ev::Event| value.set(event_target_value(&ev));
    let control = view! {
        <select id=id.clone() aria-describedby=described_by(&id, hint) on:change=change>
            {options.iter().map(|&(v, text)| view! {
                <option value=v prop:selected=dyn_value(move || value.with(|s| s == v))>{text}</option>
            }).collect_view()}
        </select>
    };
    labelled(id, label, hint, control)
}
