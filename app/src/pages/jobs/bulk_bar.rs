//! Actions on the selected jobs: compare their results side by side, delete them (running
//! jobs are kept: stop those first).

use crate::api;
use crate::components::{dyn_value, ConfirmButton, ErrorBanner, Notice};
use crate::live::Loaded;
use labrelay_api::jobs::{Job, JobStatus};
use labrelay_api::{Id, ListEnvelope};
use leptos::prelude::*;

fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

#[component]
pub fn BulkBar(selected: RwSignal<Vec<Id>>, jobs: Loaded<ListEnvelope<Job>>) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    let count = move || selected.with(Vec::len);
    let running = move || {
        jobs.data.with(|d| {
            d.as_ref().map_or(0, |p| {
                p.data
                    .iter()
                    .filter(|j| {
                        j.status == JobStatus::Running && selected.with(|s| s.contains(&j.id))
                    })
                    .count()
            })
        })
    };
    let delete = Callback::new(move |()| {
        let ids = selected.get_untracked();
        let kept = running();
        leptos::task::spawn_local(async move {
            match api::delete_jobs(&ids).await {
                Ok(()) => {
                    let gone = ids.len() - kept;
                    let mut msg = format!("Deleted {}.", plural(gone, "job"));
                    if kept > 0 {
                        msg.push_str(&format!(
                            " Kept {} that {} running: stop {} first.",
                            plural(kept, "job"),
                            if kept == 1 { "is" } else { "are" },
                            if kept == 1 { "it" } else { "them" }
                        ));
                    }
                    notice.try_set(Some(msg));
                    error.try_set(None);
                    selected.try_set(Vec::new());
                    jobs.reload();
                }
                Err(e) => {
                    error.try_set(Some(e.message));
                }
            }
        });
    });
    // Their results, oldest first (result ids are their start times), when two or more.
    let compare_href = move || {
        let mut ids: Vec<u64> = jobs.data.with(|d| {
            d.as_ref().map_or(Vec::new(), |p| {
                p.data
                    .iter()
                    .filter(|j| selected.with(|s| s.contains(&j.id)))
                    .filter_map(|j| j.result_id.as_deref()?.parse().ok())
                    .collect()
            })
        });
        ids.sort_unstable();
        ids.dedup();
        let list: Vec<String> = ids.iter().map(u64::to_string).collect();
        (list.len() >= 2).then(|| format!("/compare?ids={}", list.join(",")))
    };
    let question = Signal::derive(move || format!("Delete {}?", plural(count(), "selected job")));
    view! {
        <ErrorBanner error/>
        <Notice message=notice/>
        <Show when=move || { count() > 0 }>
            <div class="bulk" role="region" aria-label="Selected jobs">
                <span>{dyn_value(move || format!("{} selected", count()))}</span>
                {move || compare_href().map(|href| view! { <a class="button" href=href>"Compare results"</a> })}
                <ConfirmButton label="Delete selected" question on_confirm=delete/>
                <button type="button" class="link" on:click=move |_| selected.set(Vec::new())>
                    "Clear selection"
                </button>
            </div>
        </Show>
    }
}
