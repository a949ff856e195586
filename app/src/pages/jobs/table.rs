//! The jobs table: one row per job, sortable headers, a checkbox per row for bulk actions.

use super::{href, window};
use crate::components::{
    dyn_value, dyn_view, Ago, Empty, Loading, ProgressBar, SortHeader, StatusBadge, Time,
};
use crate::live::Loaded;
use crate::model::format::or_dash;
use crate::model::jobs_view::JobsView;
use labrelay_api::jobs::Job;
use labrelay_api::{Id, ListEnvelope};
use leptos::html::Tbody;
use leptos::prelude::*;

/// (label, sort field) of each sortable column, in order after the checkbox.
const COLUMNS: [(&str, Option<&str>); 10] = [
    ("ID", Some("id")),
    ("Package", Some("package_name")),
    ("Device", Some("device_name")),
    ("Config", Some("config_name")),
    ("Status", Some("status")),
    ("Tags", None),
    ("Created", Some("created")),
    ("Run at", Some("run_at")),
    ("Result", Some("result_id")),
    ("Progress", None),
];

#[component]
pub fn JobsTable(
    view: Memo<JobsView>,
    jobs: Loaded<ListEnvelope<Job>>,
    selected: RwSignal<Vec<Id>>,
) -> impl IntoView {
    let tbody = NodeRef::<Tbody>::new();
    let count = Signal::derive(move || jobs.data.with(|d| d.as_ref().map_or(0, |p| p.data.len())));
    let range = window::follow(count, tbody);
    // Only the rows on screen (all of them on pages up to `WINDOW_FROM` rows).
    let rows = move || {
        let r = range.get();
        jobs.data.with(|d| {
            d.as_ref()
                .map(|p| {
                    p.data
                        .get(r.start..r.end)
                        .unwrap_or_default()
                        .iter()
                        .cloned()
                        .enumerate()
                        .map(|(i, j)| (r.start + i, j))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    view! {
        // No rows, no table: a sentence below says why (none yet, none match, or the error).
        <div class="table-wrap" hidden=dyn_value(move || count.get() == 0)>
            <table class="jobs" aria-busy=dyn_value(move || jobs.loading.get().to_string())
                aria-rowcount=dyn_value(move || (count.get() + 1).to_string())>
                <caption class="sr-only">"Jobs"</caption>
                <thead>
                    <tr>
                        {select_all(jobs, selected)}
                        {headers(view)}
                    </tr>
                </thead>
                <tbody node_ref=tbody>
                    <tr class="spacer" aria-hidden="true" style=dyn_value(move || format!("height:{}px", range.get().above))></tr>
                    <For each=rows key=|(_, j): &(usize, Job)| (j.id, j.updated, j.progress.done) let:row>
                        <JobRow index=row.0 job=row.1 selected/>
                    </For>
                    <tr class="spacer" aria-hidden="true" style=dyn_value(move || format!("height:{}px", range.get().below))></tr>
                </tbody>
            </table>
        </div>
        {no_rows(view, jobs)}
    }
}

/// The header's checkbox: every job of the page selected, or none.
fn select_all(jobs: Loaded<ListEnvelope<Job>>, selected: RwSignal<Vec<Id>>) -> impl IntoView {
    let page_ids = move || {
        jobs.data.with(|d| {
            d.as_ref()
                .map(|p| p.data.iter().map(|j| j.id).collect::<Vec<_>>())
                .unwrap_or_default()
        })
    };
    let all_selected = move || {
        let ids = page_ids();
        !ids.is_empty() && selected.with(|s| ids.iter().all(|id| s.contains(id)))
    };
    let toggle_all = move |_| {
        if all_selected() {
            selected.set(Vec::new());
        } else {
            selected.set(page_ids());
        }
    };
    view! {
        <th scope="col" class="select">
            <input type="checkbox" aria-label="Select all jobs on this page"
                prop:checked=all_selected on:change=toggle_all/>
        </th>
    }
}

/// The column headers, a link sorting by each sortable one.
fn headers(view: Memo<JobsView>) -> impl IntoView {
    COLUMNS
        .iter()
        .map(|&(label, field)| match field {
            Some(f) => view! {
                <SortHeader label
                    dir=Signal::derive(move || view.with(|v| v.sort.primary(f)))
                    href=Signal::derive(move || href(&view.with(|v| v.sorted_by(f))))/>
            }
            .into_any(),
            None => view! { <th scope="col">{label}</th> }.into_any(),
        })
        .collect_view()
}

/// What shows instead of rows: loading, or why there are none (an error says itself above).
fn no_rows(view: Memo<JobsView>, jobs: Loaded<ListEnvelope<Job>>) -> impl IntoView {
    dyn_view(move || {
        if jobs.data.with(Option::is_none) {
            return if jobs.error.with(Option::is_some) {
                ().into_any()
            } else {
                view! { <Loading what="Loading jobs…"/> }.into_any()
            };
        }
        if jobs
            .data
            .with(|d| d.as_ref().is_some_and(|p| p.data.is_empty()))
        {
            return view! { <EmptyJobs filtered=view.with(JobsView::is_filtered)/> }.into_any();
        }
        ().into_any()
    })
}

#[component]
fn EmptyJobs(filtered: bool) -> impl IntoView {
    view! {
        <Empty>
            {if filtered {
                view! { <p>"No jobs match these filters. " <a href="/">"Show all jobs"</a></p> }.into_any()
            } else {
                // The demos are in a module of their own (crate::split): most visits have jobs.
                crate::split::later(crate::split::first_run)
            }}
        </Empty>
    }
}

#[component]
fn JobRow(index: usize, job: Job, selected: RwSignal<Vec<Id>>) -> impl IntoView {
    let id = job.id;
    let checked = move || selected.with(|s| s.contains(&id));
    let toggle = move |_| {
        selected.update(|s| match s.iter().position(|x| *x == id) {
            Some(i) => {
                s.remove(i);
            }
            None => s.push(id),
        })
    };
    let link = format!("/jobs/{id}");
    view! {
        <tr aria-rowindex=(index + 2).to_string()>
            <td class="select">
                <input type="checkbox" aria-label=format!("Select job {id}")
                    prop:checked=checked on:change=toggle/>
            </td>
            <td class="num"><a href=link.clone()>{id.to_string()}</a></td>
            <td><a href=link>{job.package_name.clone()}</a></td>
            <td>{or_dash(&job.device_name)}</td>
            <td>{or_dash(&job.config_name)}</td>
            <td>
                <StatusBadge status=job.status/>
                {job.waiting.clone().map(|w| view! {
                    <small class="waiting" data-code=format!("{:?}", w.code)>{format!("#{} · {}", w.position, w.reason)}</small>
                })}
            </td>
            <td class="tags">{job.options.tags.iter().map(|t| view! { <span class="tag">{t.clone()}</span> }).collect_view()}</td>
            <td class="time"><Ago t=job.created/></td>
            <td class="time"><Time t=job.run_at/></td>
            <td class="mono">{result_link(&job)}</td>
            <td><ProgressBar progress=job.progress.clone()/></td>
        </tr>
    }
}

/// The job's result, linked (to its failures when it had some), or a dash.
fn result_link(job: &Job) -> AnyView {
    let id = job.id;
    match job.result_id.clone() {
        Some(r) => {
            // One click to the failures of a run that had some.
            let href = if job.progress.failed > 0 {
                format!("/results/{r}?failed=1")
            } else {
                format!("/results/{r}")
            };
            let label = format!("Result {r} of job {id}");
            view! { <a href=href aria-label=label>{r}</a> }.into_any()
        }
        None => view! { <span>"—"</span> }.into_any(),
    }
}
