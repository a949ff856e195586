//! Devices under test: list, search, sort, create, edit, delete.

use crate::api;
use crate::app::set_title;
use crate::components::dyn_view;
use crate::components::list_tools::{header, page_href, tags_text, use_list_view, SearchBox};
use crate::components::{
    CheckField, ConfirmButton, Empty, ErrorBanner, Loading, Notice, Pager, TextField,
};
use crate::live;
use crate::model::filters::split_list;
use labrelay_api::resources::{Device, DeviceInput};
use labrelay_api::Id;
use leptos::prelude::*;

const PATH: &str = "/devices";

#[component]
pub fn DevicesPage() -> impl IntoView {
    set_title("Devices");
    let view = use_list_view();
    let list = live::load(
        move || view.get().api_query(false).build(),
        |q| async move { api::devices(&q).await },
    );
    let editing = RwSignal::new(None::<Option<Device>>);
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    let delete = move |d: Device| {
        Callback::new(move |()| {
            let (id, name) = (d.id, d.name.clone());
            leptos::task::spawn_local(async move {
                match api::delete_resource("devices", id).await {
                    Ok(()) => {
                        notice.try_set(Some(format!("Deleted device {name}.")));
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
            items.into_iter().map(|d| {
                let edit = d.clone();
                view! {
                    <tr>
                        <td>{d.name.clone()}</td>
                        <td>{d.description.clone()}</td>
                        <td>{d.manufacturer.clone()}</td>
                        <td>{d.model_name.clone()}</td>
                        <td>{d.software_version.clone()}</td>
                        <td class="tags">{tags_text(&d.tags)}</td>
                        <td>{if d.locked { "locked" } else { "" }}</td>
                        <td class="row-actions">
                            <button type="button" aria-label=format!("Edit device {}", d.name)
                                on:click=move |_| editing.set(Some(Some(edit.clone())))>"Edit"</button>
                            <ConfirmButton label="Delete" question=format!("Delete device {}?", d.name) on_confirm=delete(d.clone())/>
                        </td>
                    </tr>
                }
            }).collect_view()
        })
    });
    view! {
        <div class="page-head">
            <h1>"Devices"</h1>
            <button type="button" class="primary" on:click=move |_| editing.set(Some(None))>"New device"</button>
        </div>
        <ErrorBanner error=list.error/>
        <ErrorBanner error/>
        <Notice message=notice/>
        {dyn_view(move || editing.get().map(|d| view! {
            <DeviceEditor device=d done=Callback::new(move |msg: Option<String>| {
                editing.set(None);
                if let Some(m) = msg { notice.set(Some(m)); list.reload(); }
            })/>
        }))}
        <SearchBox view path=PATH noun="devices"/>
        <div class="table-wrap">
            <table>
                <caption class="sr-only">"Devices"</caption>
                <thead><tr>
                    {header(view, PATH, "Name", "name")}
                    <th scope="col">"Description"</th>
                    {header(view, PATH, "Manufacturer", "manufacturer")}
                    {header(view, PATH, "Model", "model_name")}
                    {header(view, PATH, "Software", "software_version")}
                    <th scope="col">"Tags"</th>
                    {header(view, PATH, "Locked", "locked")}
                    <th scope="col"><span class="sr-only">"Actions"</span></th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        {dyn_view(move || match list.data.with(|d| d.as_ref().map(|p| p.data.is_empty())) {
            None if list.error.with(Option::is_none) => view! { <Loading what="Loading devices…"/> }.into_any(),
            Some(true) => view! { <Empty><p>"No devices here yet."</p></Empty> }.into_any(),
            _ => ().into_any(),
        })}
        <Pager links=Signal::derive(move || list.data.with(|d| d.as_ref().map(|p| p.links))) href=page_href(view, PATH) noun="Devices"/>
    }
    .into_any()
}

#[component]
fn DeviceEditor(device: Option<Device>, done: Callback<Option<String>>) -> impl IntoView {
    let id: Option<Id> = device.as_ref().map(|d| d.id);
    let d = device.unwrap_or_else(|| Device {
        id: Id::NONE,
        name: String::new(),
        description: String::new(),
        tags: Vec::new(),
        note: String::new(),
        locked: false,
        user_id: Id::NONE,
        created: Default::default(),
        updated: Default::default(),
        manufacturer: String::new(),
        model_name: String::new(),
        serial_number: String::new(),
        software_version: String::new(),
    });
    let name = RwSignal::new(d.name);
    let description = RwSignal::new(d.description);
    let manufacturer = RwSignal::new(d.manufacturer);
    let model = RwSignal::new(d.model_name);
    let serial = RwSignal::new(d.serial_number);
    let software = RwSignal::new(d.software_version);
    let tags = RwSignal::new(tags_text(&d.tags));
    let note = RwSignal::new(d.note);
    let locked = RwSignal::new(d.locked);
    let error = RwSignal::new(None::<String>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = DeviceInput {
            name: Some(name.get_untracked().trim().to_string()),
            description: Some(description.get_untracked()),
            tags: Some(split_list(&tags.get_untracked())),
            note: Some(note.get_untracked()),
            locked: Some(locked.get_untracked()),
            manufacturer: Some(manufacturer.get_untracked()),
            model_name: Some(model.get_untracked()),
            serial_number: Some(serial.get_untracked()),
            software_version: Some(software.get_untracked()),
        };
        leptos::task::spawn_local(async move {
            match api::save_device(id, &input).await {
                Ok(d) => {
                    done.try_run(Some(format!("Saved device {}.", d.name)));
                }
                Err(e) => {
                    error.try_set(Some(e.message));
                }
            }
        });
    };
    let title = if id.is_some() {
        "Edit device"
    } else {
        "New device"
    };
    view! {
        <form class="card editor" on:submit=save aria-label=title>
            <h2>{title}</h2>
            <ErrorBanner error/>
            <div class="grid2">
                <TextField label="Name" value=name required=true/>
                <TextField label="Description" value=description/>
                <TextField label="Manufacturer" value=manufacturer/>
                <TextField label="Model" value=model/>
                <TextField label="Serial number" value=serial/>
                <TextField label="Software version" value=software/>
                <TextField label="Tags" value=tags hint="Separate tags with commas or spaces."/>
                <TextField label="Note" value=note/>
            </div>
            <CheckField label="Locked (cannot be edited or deleted)" checked=locked/>
            <div class="form-actions">
                <button type="submit" class="primary">"Save"</button>
                <button type="button" on:click=move |_| done.run(None)>"Cancel"</button>
            </div>
        </form>
    }
}
