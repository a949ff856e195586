//! One job: every field, its interfaces, live status and progress, the live log tail, and
//! stop / delete / launch again.

mod fields;
mod log;
mod names;

use crate::api;
use crate::app::set_title;
use crate::components::{
    dyn_view, ConfirmButton, ErrorBanner, Loading, Notice, ProgressBar, StatusBadge,
};
use crate::live::{self, Loaded};
use crate::router;
use labrelay_api::jobs::{Job, JobStatus};
use labrelay_api::Id;
use leptos::prelude::*;

#[component]
pub fn JobPage(id: Id) -> impl IntoView {
    set_title(&format!("Job {id}"));
    let job = live::load(move || id, api::job, live::Reload::OnChange);
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    // Set while the job is being deleted: nothing asks for it or its log any more.
    let deleting = RwSignal::new(false);
    let content = dyn_view(move || match job.data.get() {
        None if job.error.with(Option::is_some) => ().into_any(),
        None => view! { <Loading what="Loading the job…"/> }.into_any(),
        Some(j) => view! { <JobView job=j loaded=job deleting error notice/> }.into_any(),
    });
    view! {
        <p class="crumbs"><a href="/">"Jobs"</a>{format!(" / Job {id}")}</p>
        <ErrorBanner error=job.error/>
        <ErrorBanner error/>
        <Notice message=notice/>
        {content}
        <log::LogTail id held=deleting/>
    }
    .into_any()
}

#[component]
fn JobView(
    job: Job,
    loaded: Loaded<Job>,
    deleting: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    notice: RwSignal<Option<String>>,
) -> impl IntoView {
    let id = job.id;
    let stop = move |_| {
        leptos::task::spawn_local(async move {
            match api::stop_job(id).await {
                Ok(_) => {
                    notice.try_set(Some(format!("Asked job {id} to stop.")));
                    loaded.reload();
                }
                Err(e) => {
                    error.try_set(Some(e.message));
                }
            }
        });
    };
    let delete = Callback::new(move |()| {
        deleting.set(true);
        loaded.hold(true);
        leptos::task::spawn_local(async move {
            match api::delete_job(id).await {
                Ok(()) => router::navigate("/"),
                Err(e) => {
                    deleting.try_set(false);
                    loaded.hold(false);
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
        {job.waiting.clone().map(|w| view! {
            <section class="card waiting-card" aria-label="Why it is waiting">
                <h2>{format!("Waiting: number {} in its queue", w.position)}</h2>
                <p>{w.reason}</p>
            </section>
        })}
        <section aria-label="Progress" class="card">
            <ProgressBar progress=job.progress.clone() wide=true/>
        </section>
        <fields::Fields job/>
    }
}
