//! One job: every field, its interfaces, live status and progress, the live log tail, and
//! stop / delete / launch again.

mod fields;
mod log;

use crate::api;
use crate::app::set_title;
use crate::components::{
    dyn_value, dyn_view, ConfirmButton, ErrorBanner, Loading, Notice, ProgressBar, StatusBadge,
};
use crate::live;
use labrelay_api::jobs::{Job, JobStatus};
use labrelay_api::Id;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};

#[component]
pub fn JobPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params.with(|p| p.get("id").and_then(|s| s.parse::<u64>().ok()).map(Id))
    });
    Effect::new(move |_| set_title(&id.get().map_or("Job".to_string(), |id| format!("Job {id}"))));
    let job = live::load(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => api::job(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    let content = dyn_view(move || match job.data.get() {
        None if job.error.with(Option::is_some) => ().into_any(),
        None => view! { <Loading what="Loading the job…"/> }.into_any(),
        Some(None) => {
            view! { <p>"That is not a job id. " <a href="/">"Back to the jobs"</a></p> }.into_any()
        }
        Some(Some(j)) => {
            view! { <JobView job=j error notice reload=Callback::new(move |()| job.reload())/> }
                .into_any()
        }
    });
    view! {
        <p class="crumbs"><a href="/">"Jobs"</a>" / "{dyn_value(move || id.get().map(|i| format!("Job {i}")))}</p>
        <ErrorBanner error=job.error/>
        <ErrorBanner error/>
        <Notice message=notice/>
        {content}
        {dyn_view(move || id.get().map(|id| view! { <log::LogTail id/> }))}
    }
    .into_any()
}

#[component]
fn JobView(
    job: Job,
    error: RwSignal<Option<String>>,
    notice: RwSignal<Option<String>>,
    reload: Callback<()>,
) -> impl IntoView {
    let id = job.id;
    let navigate = use_navigate();
    let stop = move |_| {
        leptos::task::spawn_local(async move {
            match api::stop_job(id).await {
                Ok(_) => {
                    notice.try_set(Some(format!("Asked job {id} to stop.")));
                    reload.try_run(());
                }
                Err(e) => {
                    error.try_set(Some(e.message));
                }
            }
        });
    };
    let delete = Callback::new(move |()| {
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match api::delete_job(id).await {
                Ok(()) => navigate("/", Default::default()),
                Err(e) => {
                    error.try_set(Some(e.message));
                }
            }
        });
    });
    let stoppable = matches!(job.status, JobStatus::Pending | JobStatus::Running);
    let running = job.status == JobStatus::Running;
    view! {
        <div class="page-head">
            <h1>{format!("Job {id} ")}<StatusBadge status=job.status/></h1>
            <div class="actions">
                {stoppable.then(|| view! { <button type="button" class="danger-outline" on:click=stop>"Stop"</button> })}
                <ConfirmButton label="Delete" question=format!("Delete job {id}?") disabled=running on_confirm=delete/>
                <a class="button" href=format!("/launch?from={id}")>"Launch again"</a>
            </div>
        </div>
        {running.then(|| view! { <p class="hint">"A running job cannot be deleted: stop it first."</p> })}
        <section aria-label="Progress" class="card">
            <ProgressBar progress=job.progress.clone() wide=true/>
        </section>
        <fields::Fields job/>
    }
}
