//! The jobs list: a live table with paging, sorting by header, a filter bar, raw filters,
//! and bulk delete of selected rows. The whole view lives in the URL.

mod bulk_bar;
mod filter_bar;
mod first_run;
pub use first_run::FirstRun;
mod table;
mod window;

use crate::api;
use crate::app::set_title;
use crate::components::{dyn_value, ErrorBanner, Pager};
use crate::live;
use crate::model::jobs_view::{JobsView, PAGE_SIZES};
use crate::model::query;
use crate::router;
use labrelay_api::Id;
use leptos::prelude::*;

/// The jobs list's URL for a view.
pub fn href(v: &JobsView) -> String {
    v.to_query().url("/")
}

/// Marks for `cargo xtask bench app`: the page's data arrived, and the DOM has it.
fn mark(name: &str) {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark(name);
    }
}

#[component]
pub fn JobsPage() -> impl IntoView {
    set_title("Jobs");
    let search = router::search();
    let view = Memo::new(move |_| JobsView::from_pairs(&query::parse(&search.get())));
    let jobs = live::load(
        move || view.get().api_query().build(),
        |q| async move {
            let page = api::jobs(&q).await;
            mark("lr:jobs-data");
            page
        },
        live::Reload::OnChange,
    );
    Effect::new(move |_| {
        if jobs.data.with(Option::is_some) {
            // After the render effects this change set off (they run as microtasks).
            set_timeout(|| mark("lr:jobs-rendered"), std::time::Duration::ZERO);
        }
    });
    let selected = RwSignal::new(Vec::<Id>::new());
    // A new view (page, filters, sort) starts with nothing selected.
    Effect::new(move |_| {
        view.track();
        selected.set(Vec::new());
    });
    let links = Signal::derive(move || jobs.data.with(|d| d.as_ref().map(|p| p.links)));
    let page_href = Callback::new(move |p: u64| href(&view.get_untracked().at_page(p)));
    view! {
        <div class="page-head">
            <h1>"Jobs"</h1>
            <a class="button primary" href="/launch">"Launch a job"</a>
        </div>
        <filter_bar::FilterBar view/>
        <ErrorBanner error=jobs.error/>
        <bulk_bar::BulkBar selected jobs/>
        <table::JobsTable view jobs selected/>
        <div class="under-table">
            <Pager links href=page_href noun="Jobs"/>
            <PageSize view/>
        </div>
    }
    .into_any()
}

#[component]
fn PageSize(view: Memo<JobsView>) -> impl IntoView {
    let change = move |ev: leptos::ev::Event| {
        let limit = event_target_value(&ev).parse().unwrap_or(PAGE_SIZES[0]);
        router::navigate(&href(&view.get_untracked().with_limit(limit)));
    };
    view! {
        <label class="inline">
            <span>"Rows per page"</span>
            <select on:change=change prop:value=dyn_value(move || view.get().limit.to_string())>
                {PAGE_SIZES.iter().map(|n| view! { <option value=n.to_string()>{n.to_string()}</option> }).collect_view()}
            </select>
        </label>
    }
}
