//! Every field of a job, its options and its interfaces.

use super::names::{agent, LaunchedBy};
use crate::api;
use crate::components::time::now;
use crate::components::{dyn_view, Ago, InterfaceTable, Time};
use crate::live;
use crate::model::format::{self, or_dash};
use labrelay_api::interfaces::TestvarAction;
use labrelay_api::jobs::{Job, JobOptions, JobStatus};
use labrelay_api::{Id, Timestamp};
use leptos::prelude::*;

fn name_and_id(name: &str, id: Id, own: &str) -> String {
    if id.is_none() {
        own.to_string()
    } else {
        format!("{} (id {id})", or_dash(name))
    }
}

fn action_name(a: TestvarAction) -> &'static str {
    match a {
        TestvarAction::SetTestvar => "set-testvar",
        TestvarAction::DeleteTestvar => "delete-testvar",
        TestvarAction::CreateGroup => "create-group",
        TestvarAction::DeleteGroup => "delete-group",
    }
}

fn row(label: &'static str, value: String) -> impl IntoView {
    view! { <dt>{label}</dt><dd>{value}</dd> }
}

/// A time in the reader's zone, and how long ago it was.
fn time_row(label: &'static str, t: Option<Timestamp>) -> impl IntoView {
    let value = match t {
        Some(t) => view! { <Time t/>" · "<Ago t/> }.into_any(),
        None => "—".into_any(),
    };
    view! { <dt>{label}</dt><dd>{value}</dd> }
}

/// Progress in words; before the run starts, how many tests it will run (from the package's
/// testlist and the job's options: the server counts them only once the run starts).
#[component]
fn ProgressWords(job: Job) -> AnyView {
    let started = job.progress.total > 0 || job.progress.done > 0;
    if started || job.status != JobStatus::Pending || job.package_id.is_none() {
        return format::progress_text(&job.progress).into_any();
    }
    let options = job.options.clone();
    let package = live::load(
        move || job.package_id,
        api::package_tests,
        live::Reload::OnKey,
    );
    dyn_view(move || {
        package.data.with(|p| match p {
            Some(p) => {
                let n = options.planned(&p.testlist).len();
                format!(
                    "not started: {n} test{} planned",
                    if n == 1 { "" } else { "s" }
                )
            }
            None => "not started".to_string(),
        })
    })
    .into_any()
}

#[component]
pub fn Fields(job: Job) -> impl IntoView {
    view! {
        <div class="grid2">
            {run_card(&job)}
            {times_card(&job)}
            {options_card(&job.options)}
            <section class="card" aria-labelledby="job-ifaces">
                <h2 id="job-ifaces">"Interfaces"</h2>
                <InterfaceTable interfaces=job.interfaces.clone()/>
            </section>
        </div>
    }
}

/// What ran where, how it went, who launched it.
fn run_card(job: &Job) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="job-run">
            <h2 id="job-run">"Run"</h2>
            <dl class="fields">
                {row("Package", name_and_id(&job.package_name, job.package_id, "—"))}
                {row("Device", name_and_id(&job.device_name, job.device_id, "the package's own (none)"))}
                {row("Config", name_and_id(&job.config_name, job.config_id, "the package's own"))}
                {row("Status", job.status.as_str().into())}
                {row("Priority", job.priority.to_string())}
                {row("Reason", or_dash(&job.reason))}
                <dt>"Result"</dt>
                <dd>{match job.result_id.clone() {
                    Some(r) => view! { <a href=format!("/results/{r}")>{format!("{r}: tests, logs, captures")}</a> }.into_any(),
                    None => view! { <span>"—"</span> }.into_any(),
                }}</dd>
                <dt>"Progress"</dt><dd><ProgressWords job=job.clone()/></dd>
                {row("Exit code", job.exit_code.map_or("—".into(), |c| c.to_string()))}
                {row("Agent", agent(job))}
                <dt>"Launched by"</dt><dd><LaunchedBy user=job.user_id/></dd>
                {row("Automatic", if job.automatic { "yes" } else { "no" }.into())}
            </dl>
        </section>
    }
}

fn times_card(job: &Job) -> impl IntoView {
    let took = match (job.started, job.finished) {
        (Some(s), Some(f)) => format::duration(f.micros() - s.micros()),
        (Some(s), None) => format!("{} so far", format::duration(now().micros() - s.micros())),
        _ => "—".into(),
    };
    view! {
        <section class="card" aria-labelledby="job-times">
            <h2 id="job-times">"Times"</h2>
            <dl class="fields">
                {time_row("Created", Some(job.created))}
                {time_row("Run at", Some(job.run_at))}
                {time_row("Started", job.started)}
                {time_row("Finished", job.finished)}
                {row("Duration", took)}
                {time_row("Updated", Some(job.updated))}
            </dl>
        </section>
    }
}

fn options_card(o: &JobOptions) -> impl IntoView {
    let list = |v: &[String]| {
        if v.is_empty() {
            "—".to_string()
        } else {
            v.join(", ")
        }
    };
    view! {
        <section class="card" aria-labelledby="job-options">
            <h2 id="job-options">"Options"</h2>
            <dl class="fields">
                {row("Tags", list(&o.tags))}
                {row("Skip tests", list(&o.skip_tests))}
                {row("Begin at", or_dash(&o.begin_at))}
                {row("End at", or_dash(&o.end_at))}
                {row("Extra CLI args", or_dash(&o.extra_cli_args))}
            </dl>
            {(!o.testvars.is_empty()).then(|| view! {
                <table class="compact">
                    <caption>"Testvars"</caption>
                    <thead><tr><th scope="col">"Action"</th><th scope="col">"Group"</th><th scope="col">"Name"</th><th scope="col">"Value"</th></tr></thead>
                    <tbody>
                        {o.testvars.iter().map(|t| view! {
                            <tr>
                                <td>{action_name(t.action)}</td>
                                <td>{or_dash(&t.group)}</td><td>{t.name.clone()}</td><td>{t.value.clone()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </section>
    }
}
