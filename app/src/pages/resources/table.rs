//! A resource list's table: columns (sortable by header), one row per record with its
//! cells as data (`Cell`), and the row's actions. No table at all while loading, when the
//! list is empty or when it failed: a sentence says which.

use crate::components::list_tools::header;
use crate::components::time::{local, now};
use crate::components::{dyn_view, ConfirmButton, Empty, Loading, Time};
use crate::live::Loaded;
use crate::model::format;
use crate::model::list_view::ListView;
use crate::model::resource::Resource;
use labrelay_api::query::Links;
use labrelay_api::{Id, Timestamp};
use leptos::prelude::*;

/// A column: its heading, the API field it sorts by (if it does), and whether a phone's
/// narrow screen shows it.
pub struct Column {
    pub label: &'static str,
    pub sort: Option<&'static str>,
    pub phone: bool,
}

impl Column {
    /// The columns most resources have.
    pub const NAME: Column = Column::new("Name", Some("name"));
    pub const DESCRIPTION: Column = Column::new("Description", None).wide_only();
    pub const TAGS: Column = Column::new("Tags", None).wide_only();
    pub const LOCKED: Column = Column::new("Locked", Some("locked")).wide_only();

    pub const fn new(label: &'static str, sort: Option<&'static str>) -> Column {
        Column {
            label,
            sort,
            phone: true,
        }
    }

    /// Left out on a phone's screen.
    pub const fn wide_only(self) -> Column {
        Column {
            phone: false,
            ..self
        }
    }
}

/// What one cell shows.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Num(u64),
    Mono(String),
    /// A main line and a muted one under it.
    Sub(String, String),
    Time(Timestamp),
    /// How long ago (the exact time on hover), or "never".
    Ago(Option<Timestamp>),
    /// Online or not (an agent).
    Online(bool),
    /// Links to jobs, or "idle".
    Jobs(Vec<Id>),
}

impl Cell {
    /// "locked", or nothing.
    pub fn locked(locked: bool) -> Cell {
        Cell::Text(if locked { "locked" } else { "" }.into())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub id: Id,
    pub name: String,
    pub cells: Vec<Cell>,
}

impl Row {
    /// A record's row: its name, its description, then `more` cells.
    pub fn named(id: Id, name: String, description: String, more: Vec<Cell>) -> Row {
        let mut cells = vec![Cell::Text(name.clone()), Cell::Text(description)];
        cells.extend(more);
        Row { id, name, cells }
    }
}

/// A page of rows.
#[derive(Clone, Debug, PartialEq)]
pub struct Rows {
    pub rows: Vec<Row>,
    pub links: Links,
}

/// What a row's buttons do.
#[derive(Clone, Copy)]
pub struct Actions {
    pub resource: Resource,
    /// Opens the editor on a record.
    pub edit: Option<RwSignal<Option<Option<Id>>>>,
    /// Deletes a record (id, name).
    pub delete: Option<Callback<(Id, String)>>,
}

/// A cell's content and its class (`kind`, plus `wide-only` when a phone leaves it out).
fn cell(c: Cell, col: &Column) -> AnyView {
    let class = |kind: &str| {
        if col.phone {
            kind.to_string()
        } else {
            format!("{kind} wide-only")
        }
    };
    match c {
        Cell::Text(s) => view! { <td class=class("")>{s}</td> }.into_any(),
        Cell::Num(n) => view! { <td class=class("num")>{n.to_string()}</td> }.into_any(),
        Cell::Mono(s) => view! { <td class=class("mono")>{s}</td> }.into_any(),
        Cell::Sub(a, b) => view! { <td class=class("")>{a}<div class="muted small">{b}</div></td> }.into_any(),
        Cell::Time(t) => view! { <td class=class("time")><Time t/></td> }.into_any(),
        Cell::Ago(t) => {
            let now = now().micros();
            let words = t.map_or("never".to_string(), |t| format::relative(now, t.micros()));
            view! { <td class=class("") title=t.map(local)>{words}</td> }.into_any()
        }
        Cell::Online(on) => {
            let (badge, word) = if on { ("badge badge-running", "online") } else { ("badge badge-stopped", "offline") };
            view! { <td class=class("")><span class=badge>{word}</span></td> }.into_any()
        }
        Cell::Jobs(jobs) if jobs.is_empty() => view! { <td class=class("")><span class="muted">"idle"</span></td> }.into_any(),
        Cell::Jobs(jobs) => view! {
            <td class=class("")>{jobs.into_iter().map(|j| view! { <a href=format!("/jobs/{j}")>{format!("job {j}")}</a>" " }).collect_view()}</td>
        }
        .into_any(),
    }
}

fn row_view(row: Row, columns: &'static [Column], a: Actions) -> AnyView {
    let Row { id, name, cells } = row;
    let what = a.resource.singular();
    let launch = (a.resource == Resource::Packages).then(|| view! {
        <a class="button" href=format!("/launch?package={id}") aria-label=format!("Launch package {name}")>"Launch"</a>
    });
    // A device's queue (its pending jobs in dispatch order, each saying why it waits), an
    // agent's jobs.
    let queue = match a.resource {
        Resource::Devices => Some(view! {
            <a class="button" href=format!("/?status=pending&filter=run_device_id%3D{id}&sort=-priority,run_at,id")
                aria-label=format!("Queue of device {name}")>"Queue"</a>
        }),
        Resource::Agents => Some(view! {
            <a class="button" href=format!("/?filter=agent_id%3D{id}&sort=-id")
                aria-label=format!("Jobs of agent {name}")>"Jobs"</a>
        }),
        _ => None,
    };
    let edit = a.edit.map(|editing| view! {
        <button type="button" aria-label=format!("Edit {what} {name}") on:click=move |_| editing.set(Some(Some(id)))>"Edit"</button>
    });
    let delete = a.delete.map(|delete| {
        let (label, verb) = if a.resource == Resource::Agents { ("Remove", "Remove") } else { ("Delete", "Delete") };
        let n = name.clone();
        view! { <ConfirmButton label question=format!("{verb} {what} {name}?") on_confirm=Callback::new(move |()| delete.run((id, n.clone())))/> }
    });
    view! {
        <tr>
            {cells.into_iter().zip(columns).map(|(c, col)| cell(c, col)).collect_view()}
            <td class="row-actions">{launch}{queue}{edit}{delete}</td>
        </tr>
    }
    .into_any()
}

#[component]
pub fn ResourceTable(
    resource: Resource,
    columns: &'static [Column],
    list: Loaded<Rows>,
    view: Memo<ListView>,
    actions: Actions,
) -> impl IntoView {
    let path = resource.path();
    // Live lists reload on every change in the store: the table is built again only when its
    // rows changed (a half-asked "Delete?" or the focus survive the others).
    let rows = Memo::new(move |_| list.data.with(|d| d.as_ref().map(|p| p.rows.clone())));
    let failed = Memo::new(move |_| list.error.with(Option::is_some));
    dyn_view(move || {
        if failed.get() {
            return ().into_any();
        }
        let Some(rows) = rows.get() else {
            return view! { <Loading what="Loading…"/> }.into_any();
        };
        if rows.is_empty() {
            let searching = view.with(|v| !v.search.trim().is_empty());
            let words = if searching {
                format!("No {} match this search.", resource.plural())
            } else {
                format!("No {} here yet.", resource.plural())
            };
            return view! { <Empty><p>{words}</p></Empty> }.into_any();
        }
        let heads = columns
            .iter()
            .map(|c| {
                let class = (!c.phone).then_some("wide-only");
                match c.sort {
                    Some(field) => header(view, path, c.label, field, class).into_any(),
                    None => view! { <th scope="col" class=class>{c.label}</th> }.into_any(),
                }
            })
            .collect_view();
        view! {
            <div class="table-wrap">
                <table>
                    <caption class="sr-only">{resource.title()}</caption>
                    <thead><tr>{heads}<th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
                    <tbody>{rows.into_iter().map(|r| row_view(r, columns, actions)).collect_view()}</tbody>
                </table>
            </div>
        }
        .into_any()
    })
}
