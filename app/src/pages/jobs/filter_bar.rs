//! The filter bar: status, package, tags, a search box, and an advanced box for raw filters
//! (`field<op>value`, one per line). Applying it changes the URL; the list follows.

use super::href;
use crate::components::dyn_value;
use crate::model::jobs_view::JobsView;
use crate::router;
use leptos::prelude::*;

const STATUSES: [&str; 5] = ["pending", "running", "completed", "stopped", "error"];

#[component]
pub fn FilterBar(view: Memo<JobsView>) -> impl IntoView {
    let status = RwSignal::new(String::new());
    let package = RwSignal::new(String::new());
    let tags = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    let advanced = RwSignal::new(String::new());
    let any = RwSignal::new(false);
    // The URL is the truth: drafts follow it (back button, shared links).
    Effect::new(move |_| {
        let v = view.get();
        status.set(v.status.clone());
        package.set(v.package.clone());
        tags.set(v.tags.clone());
        text.set(v.search.clone());
        advanced.set(v.advanced.join("\n"));
        any.set(v.any);
    });
    let draft = move || JobsView {
        page: 1,
        status: status.get_untracked(),
        package: package.get_untracked(),
        tags: tags.get_untracked(),
        search: text.get_untracked(),
        advanced: advanced
            .get_untracked()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect(),
        any: any.get_untracked(),
        ..view.get_untracked()
    };
    let go = move |v: JobsView| router::navigate(&href(&v));
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        go(draft());
    };
    let on_status = move |ev: leptos::ev::Event| {
        status.set(event_target_value(&ev));
        go(draft());
    };
    let clear = move |_| {
        let v = view.get_untracked();
        go(JobsView {
            limit: v.limit,
            sort: v.sort,
            ..JobsView::default()
        });
    };
    let open_advanced = move || !view.with(|v| v.advanced.is_empty() && !v.any);
    view! {
        <form class="filters" role="search" aria-label="Filter jobs" on:submit=apply>
            <div class="filter-row">
                <label class="field">
                    <span class="field-label">"Status"</span>
                    <select on:change=on_status prop:value=dyn_value(move || status.get())>
                        <option value="">"Any"</option>
                        {STATUSES.iter().map(|s| view! { <option value=*s>{*s}</option> }).collect_view()}
                    </select>
                </label>
                <label class="field">
                    <span class="field-label">"Package"</span>
                    <input type="search" placeholder="name contains…" bind:value=package/>
                </label>
                <label class="field">
                    <span class="field-label">"Tags"</span>
                    <input type="search" placeholder="all of: nightly, lab2" bind:value=tags/>
                </label>
                <label class="field grow">
                    <span class="field-label">"Search"</span>
                    <input type="search" placeholder="job id, result id, device, config:name, reason:text"
                        bind:value=text/>
                </label>
                <div class="filter-actions">
                    <button type="submit" class="primary">"Apply"</button>
                    <button type="button" on:click=clear>"Clear"</button>
                </div>
            </div>
            <details class="advanced" prop:open=open_advanced>
                <summary>"Advanced filter"</summary>
                <label class="field">
                    <span class="field-label">"Filters, one per line"</span>
                    <textarea rows="3" class="mono" spellcheck="false" bind:value=advanced
                        placeholder="options.tags@>{nightly}\nstarted>=2026-01-01T00:00:00Z\nid>100"></textarea>
                    <small class="hint">
                        "Each line is " <code>"field<op>value"</code> " with op one of "
                        <code>"= != < <= > >= ~ !~ ~* !~* @> <@ &&"</code>
                        "; arrays are written " <code>"{a,b}"</code> "."
                    </small>
                </label>
                <label class="check">
                    <input type="checkbox" bind:checked=any/>
                    <span>"Match any filter (instead of all)"</span>
                </label>
            </details>
        </form>
    }
}
