//! No jobs yet: the demo packages (tagged `demo`: `cargo xtask dev` makes them from real
//! CDRouter exports on a first run) are one click from a running job.

use crate::api;
use crate::components::{dyn_value, dyn_view, ErrorBanner};
use crate::live;
use crate::router;
use labrelay_api::jobs::JobInput;
use labrelay_api::Id;
use leptos::prelude::*;

/// The demo packages, by name.
const DEMOS: &str = "filter=tags%40%3E%7Bdemo%7D&sort=name&limit=10";

#[component]
pub fn FirstRun() -> impl IntoView {
    let demos = live::load(|| (), |()| api::packages(DEMOS), live::Reload::OnKey);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // Written again in launch.rs on purpose: one helper called from both this part and the
    // launch page made the jobs page fail once split (wasm "null function" after its module
    // loaded; e2e first-run and a11y tests).
    let launch = move |id: Id| {
        busy.set(true);
        let input = JobInput {
            package_id: Some(id),
            ..JobInput::default()
        };
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
    let list = dyn_view(move || {
        let packages = demos
            .data
            .with(|d| d.as_ref().map(|p| p.data.clone()))
            .unwrap_or_default();
        if packages.is_empty() {
            return ().into_any();
        }
        view! {
            <p>"Or run a demo package now (real CDRouter runs, replayed by the local agent's simulator):"</p>
            <ul class="demos">
                {packages.into_iter().map(|p| {
                    let id = p.id;
                    view! {
                        <li>
                            <button type="button" class="primary" disabled=dyn_value(move || busy.get())
                                on:click=move |_| launch(id)>{format!("Launch {}", p.name)}</button>
                            <span class="muted">{format!(" {} test{}", p.test_count, if p.test_count == 1 { "" } else { "s" })}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
        .into_any()
    });
    view! {
        <p>"No jobs yet. " <a href="/launch">"Launch one"</a>"."</p>
        <ErrorBanner error/>
        {list}
    }
}
