//! Bulk launch: one job for every package a filter matches (`name~*nat`,
//! `tags@>{nightly}`, `testlist@>{cdrouter_nat_1}`), all with the same options.

use super::form::FormSignals;
use super::options::Options;
use crate::api;
use crate::components::{dyn_value, dyn_view, Notice, TextArea};
use crate::model::query::Query;
use crate::router;
use labrelay_api::resources::Package;
use leptos::prelude::*;

fn filter_query(lines: &str, any: bool) -> Query {
    let filters: Vec<&str> = lines
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let q = Query::new().push_all("filter", &filters);
    if any {
        q.push("type", "union")
    } else {
        q
    }
}

/// What a check or a launch says when no filter is written.
const NO_FILTER: &str = "Write at least one package filter, e.g. name~*nat.";

/// The packages that matched: how many, and the first ones by name.
type Matches = Option<(u64, Vec<Package>)>;

#[component]
pub fn BulkLaunch(form: FormSignals, error: RwSignal<Option<String>>) -> impl IntoView {
    let filter = RwSignal::new(String::new());
    let any = RwSignal::new(false);
    let matches = RwSignal::new(None);
    let notice = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    Effect::new(move |_| {
        filter.track();
        any.track();
        matches.set(None);
    });
    let query = move || filter_query(&filter.get_untracked(), any.get_untracked());
    let check = move |_| show_matches(query(), matches, error);
    let launch = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        launch_all(query(), form, busy, error);
    };
    view! {
        <form class="launch" on:submit=launch aria-label="Launch for every matching package">
            <section class="card" aria-labelledby="bulk-title">
                <h2 id="bulk-title">"Packages"</h2>
                <TextArea label="Package filters, one per line" value=filter rows=3 mono=true
                    hint="e.g. name~*nat, tags@>{nightly}, testlist@>{cdrouter_nat_1}"/>
                <label class="check"><input type="checkbox" bind:checked=any/>
                    <span>"Match any line (instead of all)"</span></label>
                <button type="button" on:click=check>"Show matching packages"</button>
                <div aria-live="polite">
                    {dyn_view(move || matches.get().map(|(total, list)| view! {
                        <p>{format!("{total} package{} match.", if total == 1 { "" } else { "s" })}</p>
                        <ul class="inline-list">
                            {list.into_iter().map(|p| view! { <li>{p.name}</li> }).collect_view()}
                        </ul>
                    }))}
                </div>
            </section>
            <Options form bulk=true/>
            <Notice message=notice/>
            <div class="form-actions">
                <button type="submit" class="primary" disabled=dyn_value(move || busy.get())>
                    "Launch for every matching package"
                </button>
            </div>
        </form>
    }
}

/// Shows the first 50 packages `q` matches, by name, and how many match.
fn show_matches(q: Query, matches: RwSignal<Matches>, error: RwSignal<Option<String>>) {
    if q.build().is_empty() {
        return error.set(Some(NO_FILTER.into()));
    }
    let q = q.push("limit", 50).push("sort", "name").build();
    leptos::task::spawn_local(async move {
        match api::packages(&q).await {
            Ok(p) => {
                error.try_set(None);
                matches.try_set(Some((p.links.total, p.data)));
            }
            Err(e) => {
                error.try_set(Some(e.message));
            }
        }
    });
}

/// Launches a job for every package `q` matches, with the form's options; to the jobs list
/// when some were.
fn launch_all(q: Query, form: FormSignals, busy: RwSignal<bool>, error: RwSignal<Option<String>>) {
    let q = q.build();
    if q.is_empty() {
        return error.set(Some(NO_FILTER.into()));
    }
    let fields = match form.read().and_then(|(f, at)| f.shared_fields(at)) {
        Ok(f) => f,
        Err(e) => return error.set(Some(e)),
    };
    busy.set(true);
    leptos::task::spawn_local(async move {
        match api::bulk_launch(&q, &fields).await {
            Ok(jobs) if jobs.is_empty() => {
                error.try_set(Some(
                    "No package matches that filter: nothing was launched.".into(),
                ));
            }
            Ok(_) => router::navigate("/"),
            Err(e) => {
                error.try_set(Some(e.message));
            }
        }
        busy.try_set(false);
    });
}
