//! The one editor of every resource: its fields declared as data (`FieldSpec`), their
//! values read into and out of `model::fields::Fields`, saved through the resource's own
//! conversion. A config's text shows the interfaces it defines as it is typed; an agent's
//! token is shown once, after it is registered.

use super::BoxFut;
use crate::components::{
    dyn_value, dyn_view, CheckField, ChoiceSelect, ErrorBanner, IdSelect, InterfaceTable, TextArea,
    TextField,
};
use crate::live;
use crate::model::fields::{Fields, Value};
use crate::model::resource::Resource;
use labrelay_api::{interfaces, Id};
use leptos::prelude::*;

/// How a field is edited.
#[derive(Clone, Copy)]
pub enum FieldKind {
    Text,
    /// Several lines of monospace text, this many rows high.
    Lines(u32),
    /// A config's text, with the interfaces it defines beside it.
    ConfigText,
    Flag,
    /// A whole number.
    Number,
    /// One of a fixed set of values: (value, label).
    Choice(&'static [(&'static str, &'static str)]),
    /// One of a resource's records; the label of "none".
    Pick(Resource, &'static str),
}

pub struct FieldSpec {
    /// The key in `Fields`.
    pub key: &'static str,
    pub label: &'static str,
    pub kind: FieldKind,
    pub hint: &'static str,
    pub required: bool,
}

impl FieldSpec {
    pub const fn new(key: &'static str, label: &'static str, kind: FieldKind) -> FieldSpec {
        FieldSpec {
            key,
            label,
            kind,
            hint: "",
            required: false,
        }
    }

    pub const fn hint(self, hint: &'static str) -> FieldSpec {
        FieldSpec { hint, ..self }
    }

    pub const fn required(self) -> FieldSpec {
        FieldSpec {
            required: true,
            ..self
        }
    }
}

/// The fields every resource but agents has: first its name and description, last its tags,
/// note and lock.
pub const NAME: FieldSpec = FieldSpec::new("name", "Name", FieldKind::Text).required();
pub const DESCRIPTION: FieldSpec = FieldSpec::new("description", "Description", FieldKind::Text);
pub const TAGS: FieldSpec =
    FieldSpec::new("tags", "Tags", FieldKind::Text).hint("Separate tags with commas or spaces.");
pub const NOTE: FieldSpec = FieldSpec::new("note", "Note", FieldKind::Text);
pub const LOCKED: FieldSpec = FieldSpec::new(
    "locked",
    "Locked (cannot be edited or deleted)",
    FieldKind::Flag,
);

/// What saving answered: the record's name, and a secret to show once (an agent's token).
pub struct Saved {
    pub name: String,
    pub token: Option<String>,
}

pub struct EditorSpec {
    pub fields: &'static [FieldSpec],
    /// Whether existing records can be edited (agents cannot: only registered and removed).
    pub editable: bool,
    /// The empty editor's title ("New package").
    pub new_title: &'static str,
    /// A record's current values.
    pub load: fn(Id) -> BoxFut<Fields>,
    /// Creates (no id) or edits the record.
    pub save: fn(Option<Id>, Fields) -> BoxFut<Saved>,
}

/// A field's value as the signal its control is bound to.
#[derive(Clone, Copy)]
enum Slot {
    Text(RwSignal<String>),
    Flag(RwSignal<bool>),
    Pick(RwSignal<Id>),
}

impl Slot {
    fn new(kind: FieldKind) -> Slot {
        match kind {
            FieldKind::Flag => Slot::Flag(RwSignal::new(false)),
            FieldKind::Pick(..) => Slot::Pick(RwSignal::new(Id::NONE)),
            _ => Slot::Text(RwSignal::new(String::new())),
        }
    }

    fn set(self, v: &Value) {
        match (self, v) {
            (Slot::Text(s), Value::Text(t)) => s.set(t.clone()),
            (Slot::Flag(s), Value::Flag(b)) => s.set(*b),
            (Slot::Pick(s), Value::Pick(id)) => s.set(*id),
            _ => {}
        }
    }

    fn get(self) -> Value {
        match self {
            Slot::Text(s) => Value::Text(s.get_untracked()),
            Slot::Flag(s) => Value::Flag(s.get_untracked()),
            Slot::Pick(s) => Value::Pick(s.get_untracked()),
        }
    }
}

fn control(f: &'static FieldSpec, slot: Slot) -> AnyView {
    let (label, hint) = (f.label, f.hint);
    match (f.kind, slot) {
        (FieldKind::Flag, Slot::Flag(b)) => view! { <CheckField label checked=b/> }.into_any(),
        (FieldKind::Pick(r, none), Slot::Pick(id)) => {
            let choices = live::choices(r);
            view! { <IdSelect label none value=id choices=choices.data/> }.into_any()
        }
        (FieldKind::Lines(rows), Slot::Text(s)) => view! {
            <div class="span-all"><TextArea label value=s rows mono=true hint/></div>
        }
        .into_any(),
        (FieldKind::Number, Slot::Text(s)) => {
            view! { <TextField label kind="number" value=s hint/> }.into_any()
        }
        (FieldKind::Choice(options), Slot::Text(s)) => {
            view! { <ChoiceSelect label options value=s hint/> }.into_any()
        }
        (FieldKind::ConfigText, Slot::Text(s)) => {
            view! { <ConfigText label value=s hint/> }.into_any()
        }
        (_, Slot::Text(s)) => {
            view! { <TextField label value=s hint required=f.required/> }.into_any()
        }
        _ => ().into_any(),
    }
}

/// A config's text and, beside it, the interfaces it defines (computed as it is typed, by
/// the code the server uses).
#[component]
fn ConfigText(label: &'static str, value: RwSignal<String>, hint: &'static str) -> impl IntoView {
    let computed = move || value.with(|c| interfaces::compute(c, &[], &[]));
    view! {
        <div class="span-all grid2 config-text">
            <TextArea label value rows=14 mono=true hint/>
            <div aria-live="polite">
                <h3>"Interfaces"</h3>
                {dyn_view(move || match computed() {
                    Ok(list) => view! { <InterfaceTable interfaces=list/> }.into_any(),
                    Err(e) => view! { <p class="banner banner-error">{e.to_string()}</p> }.into_any(),
                })}
            </div>
        </div>
    }
}

#[component]
pub fn Editor(
    resource: Resource,
    id: Option<Id>,
    spec: &'static EditorSpec,
    done: Callback<Option<String>>,
) -> impl IntoView {
    let slots: Vec<Slot> = spec.fields.iter().map(|f| Slot::new(f.kind)).collect();
    let error = RwSignal::new(None::<String>);
    let ready = RwSignal::new(id.is_none());
    let token = RwSignal::new(None::<(String, String)>);
    if let Some(id) = id {
        load_into(spec, id, slots.clone(), ready, error);
    }
    let what = resource.singular();
    let submit = {
        let slots = slots.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let values = Fields(
                spec.fields
                    .iter()
                    .zip(&slots)
                    .map(|(f, s)| (f.key, s.get()))
                    .collect(),
            );
            let report = Report {
                what,
                token,
                error,
                done,
            };
            leptos::task::spawn_local(save(spec, id, values, report));
        }
    };
    let title = if id.is_some() {
        format!("Edit {what}")
    } else {
        spec.new_title.to_string()
    };
    let controls = spec
        .fields
        .iter()
        .zip(slots)
        .map(|(f, slot)| control(f, slot))
        .collect_view();
    let label = title.clone();
    let form = view! {
        <form class="card editor" on:submit=submit aria-label=label aria-busy=dyn_value(move || (!ready.get()).to_string())>
            <h2>{title}</h2>
            <ErrorBanner error/>
            // Disabled until the record is loaded: what is typed before would be overwritten.
            <fieldset class="grid2 plain" disabled=dyn_value(move || !ready.get())>{controls}</fieldset>
            {form_actions(ready, done)}
        </form>
    };
    // Once a token is shown, the form has done its job.
    let form = StoredValue::new_local(Some(form.into_any()));
    dyn_view(move || match token.get() {
        Some((name, t)) => view! { <Token name token=t done/> }.into_any(),
        None => form
            .try_update_value(Option::take)
            .flatten()
            .unwrap_or_else(|| ().into_any()),
    })
}

/// Loads record `id` into the editor's slots; ready once they hold it.
fn load_into(
    spec: &'static EditorSpec,
    id: Id,
    slots: Vec<Slot>,
    ready: RwSignal<bool>,
    error: RwSignal<Option<String>>,
) {
    leptos::task::spawn_local(async move {
        match (spec.load)(id).await {
            Ok(values) => {
                if ready.is_disposed() {
                    return; // the editor is gone
                }
                for (f, slot) in spec.fields.iter().zip(&slots) {
                    if let Some((_, v)) = values.0.iter().find(|(k, _)| *k == f.key) {
                        slot.set(v);
                    }
                }
                ready.try_set(true);
            }
            Err(e) => {
                error.try_set(Some(e.message));
            }
        }
    });
}

/// Where saving says how it went.
struct Report {
    /// The resource's singular ("package").
    what: &'static str,
    /// An agent's name and token, shown once.
    token: RwSignal<Option<(String, String)>>,
    error: RwSignal<Option<String>>,
    done: Callback<Option<String>>,
}

/// Creates (no id) or edits the record with `values`.
async fn save(spec: &'static EditorSpec, id: Option<Id>, values: Fields, report: Report) {
    match (spec.save)(id, values).await {
        Ok(Saved {
            name,
            token: Some(t),
        }) => {
            report.token.try_set(Some((name, t)));
        }
        Ok(Saved { name, token: None }) => {
            report
                .done
                .try_run(Some(format!("Saved {} {name}.", report.what)));
        }
        Err(e) => {
            report.error.try_set(Some(e.message));
        }
    }
}

/// Save (once the record is loaded) and Cancel.
fn form_actions(ready: RwSignal<bool>, done: Callback<Option<String>>) -> impl IntoView {
    view! {
        <div class="form-actions">
            <button type="submit" class="primary" disabled=dyn_value(move || !ready.get())>"Save"</button>
            <button type="button" on:click=move |_| done.run(None)>"Cancel"</button>
        </div>
    }
}

/// An agent's token, shown this once.
#[component]
fn Token(name: String, token: String, done: Callback<Option<String>>) -> impl IntoView {
    let msg = format!("Registered agent {name}.");
    view! {
        <section class="card token" role="alert" aria-labelledby="token-title">
            <h2 id="token-title">{format!("Agent {name} registered")}</h2>
            <p>"Its token is shown only this once: copy it now and give it to the agent with "<code>"--token"</code>"."</p>
            <label class="field">
                <span class="field-label">"Agent token"</span>
                <input type="text" readonly class="mono" value=token on:focus=|ev| {
                    use wasm_bindgen::JsCast;
                    if let Some(i) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) { i.select(); }
                }/>
            </label>
            <button type="button" on:click=move |_| done.run(Some(msg.clone()))>"I have copied it"</button>
        </section>
    }
}
