//! Configs: list, search, sort, create, edit (with the interfaces the text defines, computed
//! as you type by the same code the server uses), delete.

use crate::api;
use crate::app::set_title;
use crate::components::list_tools::{header, page_href, tags_text, use_list_view, SearchBox};
use crate::components::time::local;
use crate::components::{dyn_value, dyn_view};
use crate::components::{
    CheckField, ConfirmButton, Empty, ErrorBanner, InterfaceTable, Loading, Notice, Pager,
    TextArea, TextField,
};
use crate::live;
use crate::model::filters::split_list;
use labrelay_api::interfaces;
use labrelay_api::resources::ConfigInput;
use labrelay_api::Id;
use leptos::prelude::*;

const PATH: &str = "/configs";

#[component]
pub fn ConfigsPage() -> impl IntoView {
    set_title("Configs");
    let view = use_list_view();
    let list = live::load(
        move || view.get().api_query(false).build(),
        |q| async move { api::configs(&q).await },
    );
    let editing = RwSignal::new(None::<Option<Id>>);
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    let delete = move |id: Id, name: String| {
        Callback::new(move |()| {
            let name = name.clone();
            leptos::task::spawn_local(async move {
                match api::delete_resource("configs", id).await {
                    Ok(()) => {
                        notice.try_set(Some(format!("Deleted config {name}.")));
                        list.reload();
                    }
                    Err(e) => {
                        error.try_set(Some(e.message));
                    }
                }
            });
        })
    };
    let rows = dyn_view(move || {
        list.data.with(|d| d.as_ref().map(|p| p.data.clone())).map(|items| {
            items.into_iter().map(|c| {
                let id = c.id;
                view! {
                    <tr>
                        <td>{c.name.clone()}</td>
                        <td>{c.description.clone()}</td>
                        <td class="tags">{tags_text(&c.tags)}</td>
                        <td>{if c.locked { "locked" } else { "" }}</td>
                        <td class="time">{local(c.updated)}</td>
                        <td class="row-actions">
                            <button type="button" aria-label=format!("Edit config {}", c.name)
                                on:click=move |_| editing.set(Some(Some(id)))>"Edit"</button>
                            <ConfirmButton label="Delete" question=format!("Delete config {}?", c.name) on_confirm=delete(id, c.name.clone())/>
                        </td>
                    </tr>
                }
            }).collect_view()
        })
    });
    view! {
        <div class="page-head">
            <h1>"Configs"</h1>
            <button type="button" class="primary" on:click=move |_| editing.set(Some(None))>"New config"</button>
        </div>
        <ErrorBanner error=list.error/>
        <ErrorBanner error/>
        <Notice message=notice/>
        {dyn_view(move || editing.get().map(|id| view! {
            <ConfigEditor id done=Callback::new(move |msg: Option<String>| {
                editing.set(None);
                if let Some(m) = msg { notice.set(Some(m)); list.reload(); }
            })/>
        }))}
        <SearchBox view path=PATH noun="configs"/>
        <div class="table-wrap">
            <table>
                <caption class="sr-only">"Configs"</caption>
                <thead><tr>
                    {header(view, PATH, "Name", "name")}
                    <th scope="col">"Description"</th>
                    <th scope="col">"Tags"</th>
                    {header(view, PATH, "Locked", "locked")}
                    {header(view, PATH, "Updated", "updated")}
                    <th scope="col"><span class="sr-only">"Actions"</span></th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        {dyn_view(move || match list.data.with(|d| d.as_ref().map(|p| p.data.is_empty())) {
            None if list.error.with(Option::is_none) => view! { <Loading what="Loading configs…"/> }.into_any(),
            Some(true) => view! { <Empty><p>"No configs here yet."</p></Empty> }.into_any(),
            _ => ().into_any(),
        })}
        <Pager links=Signal::derive(move || list.data.with(|d| d.as_ref().map(|p| p.links))) href=page_href(view, PATH) noun="Configs"/>
    }
    .into_any()
}

#[component]
fn ConfigEditor(id: Option<Id>, done: Callback<Option<String>>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let contents = RwSignal::new(String::new());
    let tags = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let locked = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let ready = RwSignal::new(id.is_none());
    if let Some(id) = id {
        leptos::task::spawn_local(async move {
            match api::config(id).await {
                Ok(c) => {
                    name.try_set(c.name);
                    description.try_set(c.description);
                    contents.try_set(c.contents.unwrap_or_default());
                    tags.try_set(tags_text(&c.tags));
                    note.try_set(c.note.unwrap_or_default());
                    locked.try_set(c.locked);
                    ready.try_set(true);
                }
                Err(e) => {
                    error.try_set(Some(e.message));
                }
            }
        });
    }
    let computed = move || contents.with(|c| interfaces::compute(c, &[], &[]));
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = ConfigInput {
            name: Some(name.get_untracked().trim().to_string()),
            description: Some(description.get_untracked()),
            contents: Some(contents.get_untracked()),
            tags: Some(split_list(&tags.get_untracked())),
            note: Some(note.get_untracked()),
            locked: Some(locked.get_untracked()),
        };
        leptos::task::spawn_local(async move {
            match api::save_config(id, &input).await {
                Ok(c) => {
                    done.try_run(Some(format!("Saved config {}.", c.name)));
                }
                Err(e) => {
                    error.try_set(Some(e.message));
                }
            }
        });
    };
    let title = if id.is_some() {
        "Edit config"
    } else {
        "New config"
    };
    view! {
        <form class="card editor" on:submit=save aria-label=title aria-busy=dyn_value(move || (!ready.get()).to_string())>
            <h2>{title}</h2>
            <ErrorBanner error/>
            <div class="grid2">
                <TextField label="Name" value=name required=true/>
                <TextField label="Description" value=description/>
            </div>
            <div class="grid2 config-text">
                <TextArea label="Contents" value=contents rows=14 mono=true
                    hint="testvar lines, # comments and testvar_group blocks, as cdrouter-cli reads them."/>
                <div aria-live="polite">
                    <h3>"Interfaces"</h3>
                    {dyn_view(move || match computed() {
                        Ok(list) => view! { <InterfaceTable interfaces=list/> }.into_any(),
                        Err(e) => view! { <p class="banner banner-error">{e.to_string()}</p> }.into_any(),
                    })}
                </div>
            </div>
            <div class="grid2">
                <TextField label="Tags" value=tags hint="Separate tags with commas or spaces."/>
                <TextField label="Note" value=note/>
            </div>
            <CheckField label="Locked (cannot be edited or deleted)" checked=locked/>
            <div class="form-actions">
                <button type="submit" class="primary" disabled=dyn_value(move || !ready.get())>"Save"</button>
                <button type="button" on:click=move |_| done.run(None)>"Cancel"</button>
            </div>
        </form>
    }
}
