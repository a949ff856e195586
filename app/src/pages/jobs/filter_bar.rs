//! The filter bar: status, package, tags, a search box, and an advanced box for raw filters
//! (`field<op>value`, one per line). Applying it changes the URL; the list follows.

use super::href;
use crate::components::dyn_value;
use crate::model::jobs_view::JobsView;
use crate::router;
use leptos::prelude::*;

const STATUSES: [&str; 5] = ["pending", "running", "completed", "stopped", "error"];

/// What the bar holds as typed, before it is applied.
#[derive(Clone, Copy)]
struct Drafts {
    status: RwSignal<String>,
    package: RwSignal<String>,
    tags: RwSignal<String>,
    text: RwSignal<String>,
    advanced: RwSignal<String>,
    any: RwSignal<bool>,
}

impl Drafts {
    fn new() -> Drafts {
        Drafts {
            status: RwSignal::new(String::new()),
            package: RwSignal::new(String::new()),
            tags: RwSignal::new(String::new()),
            text: RwSignal::new(String::new()),
            advanced: RwSignal::new(String::new()),
            any: RwSignal::new(false),
        }
    }

    /// Each draft as `v` has it.
    fn follow(self, v: &JobsView) {
        self.status.set(v.status.clone());
        self.package.set(v.package.clone());
        self.tags.set(v.tags.clone());
        self.text.set(v.search.clone());
        self.advanced.set(v.advanced.join("\n"));
        self.any.set(v.any);
    }

    /// `shown` with the drafts applied, from its first page.
    fn applied(self, shown: JobsView) -> JobsView {
        JobsView {
            page: 1,
            status: self.status.get_untracked(),
            package: self.package.get_untracked(),
            tags: self.tags.get_untracked(),
            search: self.text.get_untracked(),
            advanced: self
                .advanced
                .get_untracked()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from)
                .collect(),
            any: self.any.get_untracked(),
            ..shown
        }
    }
}

#[component]
pub fn FilterBar(view: Memo<JobsView>) -> impl IntoView {
    let drafts = Drafts::new();
    // The URL is the truth: drafts follow it (back button, shared links).
    Effect::new(move |_| drafts.follow(&view.get()));
    let go = move || router::navigate(&href(&drafts.applied(view.get_untracked())));
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        go();
    };
    let on_status = move |ev: leptos::ev::Event| {
        drafts.status.set(event_target_value(&ev));
        go();
    };
    let clear = move |_| {
        let v = view.get_untracked();
        router::navigate(&href(&JobsView {
            limit: v.limit,
            sort: v.sort,
            ..JobsView::default()
        }));
    };
    let open_advanced = move || !view.with(|v| v.advanced.is_empty() && !v.any);
    let Drafts {
        status,
        package,
        tags,
        text,
        ..
    } = drafts;
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
            {advanced_box(drafts, open_advanced)}
        </form>
    }
}

/// Raw filters, one per line, and whether any of them is enough.
fn advanced_box(drafts: Drafts, open: impl Fn() -> bool + Send + Sync + 'static) -> impl IntoView {
    let Drafts { advanced, any, .. } = drafts;
    view! {
        <details class="advanced" prop:open=open>
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
    }
}
