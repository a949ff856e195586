//! What the resource lists (packages, configs, devices, agents) share: their view in the URL, the search
//! box, and sortable headers.

use crate::components::SortHeader;
use crate::model::list_view::ListView;
use crate::model::query;
use crate::router;
use leptos::prelude::*;

pub fn use_list_view() -> Memo<ListView> {
    let search = router::search();
    Memo::new(move |_| ListView::from_pairs(&query::parse(&search.get())))
}

#[component]
pub fn SearchBox(view: Memo<ListView>, path: &'static str, noun: &'static str) -> impl IntoView {
    let text = RwSignal::new(String::new());
    Effect::new(move |_| text.set(view.with(|v| v.search.clone())));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let v = view.get_untracked().searching(&text.get_untracked());
        router::navigate(&v.to_query().url(path));
    };
    view! {
        <form class="filters" role="search" aria-label=format!("Search {noun}") on:submit=submit>
            <div class="filter-row">
                <label class="field grow">
                    <span class="field-label">"Name contains"</span>
                    <input type="search" bind:value=text/>
                </label>
                <div class="filter-actions"><button type="submit">"Search"</button></div>
            </div>
        </form>
    }
}

/// A sortable header for a resource list at `path`.
pub fn header(
    view: Memo<ListView>,
    path: &'static str,
    label: &'static str,
    field: &'static str,
    class: Option<&'static str>,
) -> impl IntoView {
    view! {
        <SortHeader label class
            dir=Signal::derive(move || view.with(|v| v.sort.primary(field)))
            href=Signal::derive(move || view.with(|v| v.sorted_by(field)).to_query().url(path))/>
    }
}

/// The URL of another page of the list.
pub fn page_href(view: Memo<ListView>, path: &'static str) -> Callback<u64, String> {
    Callback::new(move |p: u64| view.get_untracked().at_page(p).to_query().url(path))
}
