//! Launch: one package (searchable), or every package a filter matches, with a device, a
//! config and options (tags, tests to skip, begin/end, testvars, extra CLI args), now or at
//! a time, with a preview of the interfaces first. `?from=<job>` prefills "launch again";
//! `?package=<id>` preselects a package.

mod bulk;
mod form;
mod options;
mod package_picker;
mod testvars;

use crate::api;
use crate::app::set_title;
use crate::components::{dyn_value, dyn_view, ErrorBanner, InterfaceTable};
use crate::live;
use crate::model::launch_form::LaunchForm;
use crate::model::query;
use crate::router;
use form::FormSignals;
use labrelay_api::interfaces::Interface;
use labrelay_api::Id;
use leptos::prelude::*;

#[component]
pub fn LaunchPage() -> impl IntoView {
    set_title("Launch");
    let form = FormSignals::new();
    let bulk = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    prefill(form, error);
    view! {
        <h1>"Launch"</h1>
        <fieldset class="tabs">
            <legend class="sr-only">"What to launch"</legend>
            <label class="check"><input type="radio" name="launch-mode" prop:checked=dyn_value(move || !bulk.get())
                on:change=move |_| bulk.set(false)/>"One package"</label>
            <label class="check"><input type="radio" name="launch-mode" prop:checked=dyn_value(move || bulk.get())
                on:change=move |_| bulk.set(true)/>"Every package matching a filter"</label>
        </fieldset>
        <ErrorBanner error/>
        {dyn_view(move || if bulk.get() {
            view! { <bulk::BulkLaunch form error/> }.into_any()
        } else {
            view! { <SingleLaunch form error/> }.into_any()
        })}
    }
    .into_any()
}

/// `?from=<job id>` or `?package=<id>`.
fn prefill(form: FormSignals, error: RwSignal<Option<String>>) {
    let search = router::search().get_untracked();
    let pairs = query::parse(&search);
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .and_then(|(_, v)| v.parse::<u64>().ok())
    };
    if let Some(id) = get("package") {
        form.package_id.set(Id(id));
    }
    if let Some(job) = get("from") {
        leptos::task::spawn_local(async move {
            let answer = api::job(Id(job)).await;
            if form.package_id.is_disposed() {
                return; // the page is gone
            }
            match answer {
                Ok(j) => form.fill(&LaunchForm::from_job(&j)),
                Err(e) => {
                    error.try_set(Some(e.message));
                }
            }
        });
    }
}

#[component]
fn SingleLaunch(form: FormSignals, error: RwSignal<Option<String>>) -> impl IntoView {
    let busy = RwSignal::new(false);
    let preview = RwSignal::new(None::<Vec<Interface>>);
    // A changed form makes an old preview wrong.
    Effect::new(move |_| {
        form.track();
        preview.set(None);
    });
    let package = live::load(
        move || form.package_id.get(),
        |id| async move {
            if id.is_none() {
                Ok(None)
            } else {
                api::package(id).await.map(Some)
            }
        },
        live::Reload::OnKey,
    );
    let picked = Signal::derive(move || package.data.get().flatten());
    let testlist = Signal::derive(move || {
        picked.with(|p| {
            p.as_ref()
                .and_then(|p| p.testlist.clone())
                .unwrap_or_default()
        })
    });
    // Skips and begin/end points the new package lacks are dropped.
    Effect::new(move |_| {
        let tests = testlist.get();
        if picked.with(Option::is_some) {
            let mut f = LaunchForm {
                skip_tests: form.skip_tests.get_untracked(),
                begin_at: form.begin_at.get_untracked(),
                end_at: form.end_at.get_untracked(),
                ..LaunchForm::default()
            };
            f.keep_tests_in(&tests);
            form.skip_tests.set(f.skip_tests);
            form.begin_at.set(f.begin_at);
            form.end_at.set(f.end_at);
        }
    });
    let do_preview = move |_| {
        let input = match form.read().and_then(|(f, at)| f.to_input(at)) {
            Ok(i) => i,
            Err(e) => return error.set(Some(e)),
        };
        leptos::task::spawn_local(async move {
            match api::preview_interfaces(&input).await {
                Ok(list) => {
                    error.try_set(None);
                    preview.try_set(Some(list));
                }
                Err(e) => {
                    error.try_set(Some(e.message));
                }
            }
        });
    };
    let launch = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = match form.read().and_then(|(f, at)| f.to_input(at)) {
            Ok(i) => i,
            Err(e) => return error.set(Some(e)),
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            match api::launch(&input).await {
                Ok(job) => router::navigate(&format!("/jobs/{}", job.id)),
                Err(e) => {
                    error.try_set(Some(e.message));
                    busy.try_set(false);
                }
            }
        });
    };
    view! {
        <form class="launch" on:submit=launch aria-label="Launch a job">
            <package_picker::PackagePicker form picked/>
            {dyn_view(move || package.error.get().map(|e| view! { <p class="banner banner-error" role="alert">{e}</p> }))}
            <options::Options form testlist bulk=false/>
            <section class="card" aria-labelledby="preview-title">
                <h2 id="preview-title">"Interfaces"</h2>
                {dyn_view(move || match preview.get() {
                    Some(list) => view! { <InterfaceTable interfaces=list/> }.into_any(),
                    None => view! { <p class="muted">"Preview which interfaces the job will use before launching."</p> }.into_any(),
                })}
                <button type="button" on:click=do_preview>"Preview interfaces"</button>
            </section>
            <div class="form-actions">
                <button type="submit" class="primary" disabled=dyn_value(move || busy.get())>
                    {dyn_value(move || if busy.get() { "Launching…" } else { "Launch" })}
                </button>
            </div>
        </form>
    }
}
