//! The packages, configs, devices and lab agents pages: one list-and-editor page, configured
//! per resource (`packages.rs`, `configs.rs`, `devices.rs`, `agents.rs`: columns, rows,
//! editor fields). The list's view lives in the URL (page, sort, name search); an empty or
//! failed list shows why instead of an empty table.

mod agents;
mod configs;
mod devices;
mod editor;
mod packages;
mod table;

pub use editor::{EditorSpec, FieldKind, FieldSpec, Saved, DESCRIPTION, LOCKED, NAME, NOTE, TAGS};
pub use table::{Cell, Column, Row, Rows};

use crate::api;
use crate::app::{set_title, use_session};
use crate::components::list_tools::{page_href, use_list_view, SearchBox};
use crate::components::{dyn_view, ErrorBanner, Notice, Pager};
use crate::live;
use crate::model;
use crate::model::resource::Resource;
use labrelay_api::Id;
use leptos::prelude::*;
use std::future::Future;
use std::pin::Pin;

/// A request's answer, boxed: every resource's loader then shares one compiled driver.
pub type BoxFut<T> = Pin<Box<dyn Future<Output = api::Result<T>>>>;

/// A page of `r`'s list for `query`, each record made a row.
fn rows_of<T: serde::de::DeserializeOwned + 'static>(
    r: Resource,
    query: String,
    row: fn(T) -> Row,
) -> BoxFut<Rows> {
    Box::pin(async move {
        let page = api::list_of::<T>(r, &query).await?;
        Ok(Rows {
            links: page.links,
            rows: page.data.into_iter().map(row).collect(),
        })
    })
}

/// One of `r`'s records, in full, as editor values.
fn load_of<T: serde::de::DeserializeOwned + 'static>(
    r: Resource,
    id: Id,
    fields: fn(&T) -> model::fields::Fields,
) -> BoxFut<model::fields::Fields> {
    Box::pin(async move { api::one_of::<T>(r, id).await.map(|t| fields(&t)) })
}

/// Creates (no id) or edits one of `r`'s records with `input`; what it answered, as `saved`
/// says.
fn save_of<B: serde::Serialize + 'static, T: serde::de::DeserializeOwned + 'static>(
    r: Resource,
    id: Option<Id>,
    input: B,
    saved: fn(T) -> Saved,
) -> BoxFut<Saved> {
    Box::pin(async move { api::save::<B, T>(r, id, &input).await.map(saved) })
}

/// What saving a record without secrets answers: its name.
fn named(name: String) -> Saved {
    Saved { name, token: None }
}

/// `rows`, `load` and `save` of a resource edited by name, for its `Spec`: from the
/// resource, its record type, the record's row, its editor values, and the input made of
/// them (a `Result`: the values may be refused before they are sent).
macro_rules! by_name {
    ($r:expr, $record:ty, $row:path, $fields:path, $input:expr) => {
        fn rows(query: String) -> BoxFut<Rows> {
            super::rows_of($r, query, $row)
        }

        fn load(id: Id) -> BoxFut<Fields> {
            super::load_of($r, id, $fields)
        }

        fn save(id: Option<Id>, f: Fields) -> BoxFut<Saved> {
            match $input(&f) {
                Ok(input) => super::save_of($r, id, input, |x: $record| super::named(x.name)),
                Err(e) => Box::pin(async move { Err(crate::api::Error::invalid(e)) }),
            }
        }
    };
}
use by_name;

/// What makes one resource's page.
pub struct Spec {
    pub columns: &'static [Column],
    /// A page of rows for the list's API query.
    pub rows: fn(String) -> BoxFut<Rows>,
    pub editor: EditorSpec,
    /// The button that opens an empty editor.
    pub new_label: &'static str,
    /// Only administrators add and remove them (agents).
    pub admin_only: bool,
}

impl Spec {
    /// The spec of a resource whose records every user may add, edit and delete; `new` names
    /// the button and the empty editor.
    const fn editable(
        columns: &'static [Column],
        fields: &'static [FieldSpec],
        rows: fn(String) -> BoxFut<Rows>,
        load: fn(Id) -> BoxFut<model::fields::Fields>,
        save: fn(Option<Id>, model::fields::Fields) -> BoxFut<Saved>,
        new: &'static str,
    ) -> Spec {
        Spec {
            columns,
            rows,
            editor: EditorSpec {
                fields,
                editable: true,
                new_title: new,
                load,
                save,
            },
            new_label: new,
            admin_only: false,
        }
    }
}

/// Each resource's page: its spec is named by the caller (`crate::split`), so each page's
/// wasm module holds its own editor and columns, not all four.
pub static PACKAGES: &Spec = &packages::SPEC;
pub static CONFIGS: &Spec = &configs::SPEC;
pub static DEVICES: &Spec = &devices::SPEC;
pub static AGENTS: &Spec = &agents::SPEC;

#[component]
pub fn ResourcePage(resource: Resource, spec: &'static Spec) -> impl IntoView {
    set_title(resource.title());
    let admin = use_session().with_untracked(|s| s.as_ref().is_some_and(|s| s.admin));
    let may_change = !spec.admin_only || admin;
    let view = use_list_view();
    let list = live::load(
        move || view.get().api_query(false).build(),
        spec.rows,
        live::Reload::OnChange,
    );
    let editing = RwSignal::new(None::<Option<Id>>);
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    let delete = Callback::new(move |(id, name): (Id, String)| {
        leptos::task::spawn_local(async move {
            match api::delete_resource(resource, id).await {
                Ok(()) => {
                    notice.try_set(Some(format!("Deleted {} {name}.", resource.singular())));
                    list.reload();
                }
                Err(e) => {
                    error.try_set(Some(e.message));
                }
            }
        });
    });
    let done = Callback::new(move |msg: Option<String>| {
        editing.set(None);
        if let Some(m) = msg {
            notice.set(Some(m));
            list.reload();
        }
    });
    let actions = table::Actions {
        resource,
        edit: spec.editor.editable.then_some(editing),
        delete: may_change.then_some(delete),
    };
    let shown = move || list.error.with(Option::is_none);
    view! {
        <div class="page-head">
            <h1>{resource.title()}</h1>
            {may_change.then(|| view! {
                <button type="button" class="primary" on:click=move |_| editing.set(Some(None))>{spec.new_label}</button>
            })}
        </div>
        <ErrorBanner error=list.error/>
        <ErrorBanner error/>
        <Notice message=notice/>
        {dyn_view(move || editing.get().map(|id| view! { <editor::Editor resource id spec=&spec.editor done/> }))}
        <SearchBox view path=resource.path() noun=resource.plural()/>
        <table::ResourceTable resource columns=spec.columns list view actions/>
        {dyn_view(move || shown().then(|| view! {
            <Pager links=Signal::derive(move || list.data.with(|d| d.as_ref().map(|p| p.links)))
                href=page_href(view, resource.path()) noun=resource.title()/>
        }))}
    }
    .into_any()
}
