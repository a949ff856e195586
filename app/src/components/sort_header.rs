//! A column header that sorts the list when clicked (a link: the sort is in the URL).

use crate::components::dyn_value;
use crate::model::sort::Dir;
use leptos::prelude::*;

#[component]
pub fn SortHeader(
    label: &'static str,
    /// The header cell's class, if any.
    #[prop(default = None)]
    class: Option<&'static str>,
    /// How the list is sorted by this column, if it is the primary key.
    #[prop(into)]
    dir: Signal<Option<Dir>>,
    /// Where clicking goes: the list sorted by this column.
    #[prop(into)]
    href: Signal<String>,
) -> impl IntoView {
    let arrow = move || match dir.get() {
        Some(Dir::Asc) => "▲",
        Some(Dir::Desc) => "▼",
        None => "",
    };
    view! {
        <th scope="col" class=class aria-sort=dyn_value(move || dir.get().map_or("none", Dir::aria))>
            <a class="sort" href=dyn_value(move || href.get())>
                {label}<span class="arrow" aria-hidden="true">{arrow}</span>
            </a>
        </th>
    }
}
