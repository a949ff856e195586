//! All labs at a glance (the one pane): per lab, what runs, what waits, agents online and the
//! last failures; a click makes a lab the one the app works in. Live: the current lab's rows
//! follow its changes (the app's long-poll), every lab's are read again every 10 s.

use crate::api::{self, lab, LabSummary};
use crate::app::set_title;
use crate::components::{dyn_view, ErrorBanner, Loading};
use labrelay_api::labs::{Lab, DEFAULT_LAB};
use leptos::prelude::*;

/// How often every lab's row is read again (ms): one object's long-poll covers only the
/// current lab.
const REFRESH_MS: u64 = 10_000;

#[component]
pub fn OverviewPage() -> impl IntoView {
    set_title("All labs");
    let labs = RwSignal::new(None::<Vec<Lab>>);
    let error = RwSignal::new(None::<String>);
    // Bumped by the current lab's changes and by the refresh timer: every row reads again.
    let tick = RwSignal::new(0u32);
    crate::live::on_change(move || tick.update(|t| *t += 1));
    if let Ok(handle) = set_interval_with_handle(
        move || {
            tick.try_update(|t| *t += 1);
        },
        std::time::Duration::from_millis(REFRESH_MS),
    ) {
        on_cleanup(move || handle.clear());
    }
    leptos::task::spawn_local(async move {
        match api::labs().await {
            Ok(l) => {
                labs.try_set(Some(l));
            }
            Err(e) => {
                error.try_set(Some(e.message));
            }
        }
    });
    view! {
        <div class="page-head"><h1>"All labs"</h1></div>
        <ErrorBanner error/>
        {dyn_view(move || match labs.get() {
            None => view! { <Loading what="Loading the labs…"/> }.into_any(),
            Some(list) => view! {
                <table class="list overview">
                    <thead><tr>
                        <th scope="col">"Lab"</th><th scope="col" class="num">"Running"</th>
                        <th scope="col" class="num">"Queued"</th><th scope="col">"Agents online"</th>
                        <th scope="col">"Last failures"</th>
                    </tr></thead>
                    <tbody>{list.into_iter().map(|l| view! { <LabRow lab=l tick/> }).collect_view()}</tbody>
                </table>
            }.into_any(),
        })}
    }
}

#[component]
fn LabRow(lab: Lab, tick: RwSignal<u32>) -> impl IntoView {
    let summary = RwSignal::new(None::<Result<LabSummary, String>>);
    let name = lab.name.clone();
    {
        let name = name.clone();
        Effect::new(move |_| {
            tick.track();
            let name = name.clone();
            leptos::task::spawn_local(async move {
                let got = api::lab_summary(&name).await.map_err(|e| e.message);
                summary.try_set(Some(got));
            });
        });
    }
    let current = lab::current().unwrap_or_else(|| DEFAULT_LAB.to_string()) == name;
    let open = {
        let name = name.clone();
        move |_| {
            lab::choose(Some(&name));
            if let Some(w) = web_sys::window() {
                let _ = w.location().assign("/");
            }
        }
    };
    let label = format!("Work in lab {name}");
    view! {
        <tr>
            <th scope="row">
                <button type="button" class="link" on:click=open aria-label=label>{name.clone()}</button>
                {current.then_some(" (current)")}
                <small class="hint">{lab.description.clone()}</small>
            </th>
            {dyn_view(move || match summary.get() {
                None => view! { <td colspan="4" class="muted">"…"</td> }.into_any(),
                Some(Err(e)) => view! { <td colspan="4" class="banner-error">{e}</td> }.into_any(),
                Some(Ok(s)) => view! {
                    <td class="num">{s.running}</td>
                    <td class="num">{s.queued}</td>
                    <td>{format!("{} of {}", s.agents_online, s.agents)}</td>
                    <td>{if s.failures.is_empty() {
                        view! { <span class="muted">"none"</span> }.into_any()
                    } else {
                        s.failures.iter().map(|j| view! {
                            <span class="failure">{format!("job {} {} ({} failed) ", j.id, j.package_name, j.progress.failed)}</span>
                        }).collect_view().into_any()
                    }}</td>
                }.into_any(),
            })}
        </tr>
    }
}
