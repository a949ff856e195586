//! Packages: list, search, sort, create, edit (testlist, default config and device, pinned
//! agent), delete, and launch.

use crate::api;
use crate::app::set_title;
use crate::components::list_tools::{header, page_href, tags_text, use_list_view, SearchBox};
use crate::components::time::local;
use crate::components::{dyn_value, dyn_view};
use crate::components::{
    CheckField, ConfirmButton, Empty, ErrorBanner, IdSelect, Loading, Notice, Pager, TextArea,
    TextField,
};
use crate::live;
use crate::model::filters::split_list;
use labrelay_api::resources::PackageInput;
use labrelay_api::Id;
use leptos::prelude::*;

const PATH: &str = "/packages";
const ALL: &str = "limit=1000&sort=name";

#[component]
pub fn PackagesPage() -> impl IntoView {
    set_title("Packages");
    let view = use_list_view();
    let list = live::load(
        move || view.get().api_query(false).build(),
        |q| async move { api::packages(&q).await },
    );
    let editing = RwSignal::new(None::<Option<Id>>);
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    let delete = move |id: Id, name: String| {
        Callback::new(move |()| {
            let name = name.clone();
            leptos::task::spawn_local(async move {
                match api::delete_resource("packages", id).await {
                    Ok(()) => {
                        notice.try_set(Some(format!("Deleted package {name}.")));
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
            items.into_iter().map(|p| {
                let id = p.id;
                view! {
                    <tr>
                        <td>{p.name.clone()}</td>
                        <td>{p.description.clone()}</td>
                        <td class="num">{p.test_count.to_string()}</td>
                        <td class="tags">{tags_text(&p.tags)}</td>
                        <td>{if p.locked { "locked" } else { "" }}</td>
                        <td class="time">{local(p.updated)}</td>
                        <td class="row-actions">
                            <a class="button" href=format!("/launch?package={id}") aria-label=format!("Launch package {}", p.name)>"Launch"</a>
                            <button type="button" aria-label=format!("Edit package {}", p.name)
                                on:click=move |_| editing.set(Some(Some(id)))>"Edit"</button>
                            <ConfirmButton label="Delete" question=format!("Delete package {}?", p.name) on_confirm=delete(id, p.name.clone())/>
                        </td>
                    </tr>
                }
            }).collect_view()
        })
    });
    view! {
        <div class="page-head">
            <h1>"Packages"</h1>
            <button type="button" class="primary" on:click=move |_| editing.set(Some(None))>"New package"</button>
        </div>
        <ErrorBanner error=list.error/>
        <ErrorBanner error/>
        <Notice message=notice/>
        {dyn_view(move || editing.get().map(|id| view! {
            <PackageEditor id done=Callback::new(move |msg: Option<String>| {
                editing.set(None);
                if let Some(m) = msg { notice.set(Some(m)); list.reload(); }
            })/>
        }))}
        <SearchBox view path=PATH noun="packages"/>
        <div class="table-wrap">
            <table>
                <caption class="sr-only">"Packages"</caption>
                <thead><tr>
                    {header(view, PATH, "Name", "name")}
                    <th scope="col">"Description"</th>
                    {header(view, PATH, "Tests", "test_count")}
                    <th scope="col">"Tags"</th>
                    {header(view, PATH, "Locked", "locked")}
                    {header(view, PATH, "Updated", "updated")}
                    <th scope="col"><span class="sr-only">"Actions"</span></th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        {dyn_view(move || match list.data.with(|d| d.as_ref().map(|p| p.data.is_empty())) {
            None if list.error.with(Option::is_none) => view! { <Loading what="Loading packages…"/> }.into_any(),
            Some(true) => view! { <Empty><p>"No packages here yet."</p></Empty> }.into_any(),
            _ => ().into_any(),
        })}
        <Pager links=Signal::derive(move || list.data.with(|d| d.as_ref().map(|p| p.links))) href=page_href(view, PATH) noun="Packages"/>
    }
    .into_any()
}

/// (id, name) choices, loaded once per editor.
type Choices = Vec<(Id, String)>;

#[component]
fn PackageEditor(id: Option<Id>, done: Callback<Option<String>>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let testlist = RwSignal::new(String::new());
    let extra = RwSignal::new(String::new());
    let config_id = RwSignal::new(Id::NONE);
    let device_id = RwSignal::new(Id::NONE);
    let agent_id = RwSignal::new(Id::NONE);
    let tags = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let locked = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let ready = RwSignal::new(id.is_none());
    if let Some(id) = id {
        leptos::task::spawn_local(async move {
            match api::package(id).await {
                Ok(p) => {
                    name.try_set(p.name);
                    description.try_set(p.description);
                    testlist.try_set(p.testlist.unwrap_or_default().join("\n"));
                    extra.try_set(p.extra_cli_args.unwrap_or_default());
                    config_id.try_set(p.config_id);
                    device_id.try_set(p.device_id);
                    agent_id.try_set(p.agent_id);
                    tags.try_set(tags_text(&p.tags));
                    note.try_set(p.note.unwrap_or_default());
                    locked.try_set(p.locked);
                    ready.try_set(true);
                }
                Err(e) => {
                    error.try_set(Some(e.message));
                }
            }
        });
    }
    let configs = live::load_static(
        || (),
        |()| async {
            api::configs(ALL).await.map(|p| {
                p.data
                    .into_iter()
                    .map(|c| (c.id, c.name))
                    .collect::<Choices>()
            })
        },
    );
    let devices = live::load_static(
        || (),
        |()| async {
            api::devices(ALL).await.map(|p| {
                p.data
                    .into_iter()
                    .map(|d| (d.id, d.name))
                    .collect::<Choices>()
            })
        },
    );
    let agents = live::load_static(
        || (),
        |()| async {
            api::agents(ALL).await.map(|p| {
                p.data
                    .into_iter()
                    .map(|a| (a.id, a.name))
                    .collect::<Choices>()
            })
        },
    );
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = PackageInput {
            name: Some(name.get_untracked().trim().to_string()),
            description: Some(description.get_untracked()),
            testlist: Some(
                testlist
                    .get_untracked()
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(String::from)
                    .collect(),
            ),
            extra_cli_args: Some(extra.get_untracked()),
            config_id: Some(config_id.get_untracked()),
            device_id: Some(device_id.get_untracked()),
            agent_id: Some(agent_id.get_untracked()),
            tags: Some(split_list(&tags.get_untracked())),
            note: Some(note.get_untracked()),
            locked: Some(locked.get_untracked()),
        };
        leptos::task::spawn_local(async move {
            match api::save_package(id, &input).await {
                Ok(p) => {
                    done.try_run(Some(format!("Saved package {}.", p.name)));
                }
                Err(e) => {
                    error.try_set(Some(e.message));
                }
            }
        });
    };
    let title = if id.is_some() {
        "Edit package"
    } else {
        "New package"
    };
    view! {
        <form class="card editor" on:submit=save aria-label=title aria-busy=dyn_value(move || (!ready.get()).to_string())>
            <h2>{title}</h2>
            <ErrorBanner error/>
            <div class="grid2">
                <TextField label="Name" value=name required=true/>
                <TextField label="Description" value=description/>
            </div>
            <TextArea label="Tests, one per line" value=testlist rows=8 mono=true
                hint="Test names as cdrouter-cli knows them; MODULE_x.tcl entries are allowed."/>
            <div class="grid2">
                <IdSelect label="Config" none="None" value=config_id choices=configs.data/>
                <IdSelect label="Device" none="None" value=device_id choices=devices.data/>
                <IdSelect label="Lab agent" none="Any agent" value=agent_id choices=agents.data/>
                <TextField label="Extra CLI arguments" value=extra/>
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
