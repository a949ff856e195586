//! One result (a job's run): its verdicts, the per-test table (all tests, or the failures
//! only: `?failed=1`), the whole result directory to download; live while the run goes on.
//! Each test's name leads to its log (`test_log.rs`).

mod metrics_chart;
mod tests_table;

use crate::api;
use crate::app::set_title;
use crate::components::{dyn_view, ErrorBanner, Loading, Time};
use crate::live;
use crate::model::format::or_dash;
use crate::router;
use labrelay_api::results::RunResult;
use labrelay_api::Id;
use leptos::prelude::*;

pub use tests_table::VerdictBadge;

#[component]
pub fn ResultPage(id: Id) -> impl IntoView {
    let failed = router::query_param("failed");
    let failed_only = Memo::new(move |_| failed.with(|f| f.as_deref() == Some("1")));
    set_title(&format!("Result {id}"));
    let result = live::load(move || id, api::result, live::Reload::OnChange);
    let error = RwSignal::new(None::<String>);
    let content = dyn_view(move || match result.data.get() {
        None if result.error.with(Option::is_some) => ().into_any(),
        None => view! { <Loading what="Loading the result…"/> }.into_any(),
        Some(r) => view! { <ResultView result=r failed_only error/> }.into_any(),
    });
    view! {
        <p class="crumbs">
            <a href="/">"Jobs"</a>
            {dyn_view(move || result.data.get().map(|r| view! {
                " / " <a href=format!("/jobs/{}", r.job_id)>{format!("Job {}", r.job_id)}</a>
            }))}
            {format!(" / Result {id}")}
        </p>
        <ErrorBanner error=result.error/>
        <ErrorBanner error/>
        {content}
    }
    .into_any()
}

/// `438 KiB`, `12.5 MiB`: integer arithmetic only (float formatting costs wasm size).
fn size_words(bytes: u64) -> String {
    match bytes {
        0 => "none yet".into(),
        b if b < 1024 => format!("{b} bytes"),
        b if b < 1 << 20 => format!("{} KiB", b >> 10),
        b => format!("{}.{} MiB", b >> 20, ((b & ((1 << 20) - 1)) * 10) >> 20),
    }
}

#[component]
fn ResultView(
    result: RunResult,
    failed_only: Memo<bool>,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let id = result.id;
    let status = result.status.as_str();
    let download = move |_| {
        leptos::task::spawn_local(async move {
            let path = format!("/api/v1/results/{id}/logdir/?format=zip");
            if let Err(e) = api::download(&path, &format!("result-{id}.zip")).await {
                error.try_set(Some(e.message));
            }
        });
    };
    let words = result.result.clone().unwrap_or_default();
    let verdicts = format!(
        "{} passed, {} failed of {} test{}",
        result.passed,
        result.fail,
        result.passed + result.fail,
        if result.passed + result.fail == 1 {
            ""
        } else {
            "s"
        }
    );
    let running = status == "running";
    view! {
        <div class="page-head">
            <h1>{format!("Result {id} ")}<span class=format!("badge badge-{status}")>{status}</span></h1>
            <div class="actions">
                <button type="button" on:click=download>"Download all (zip)"</button>
            </div>
        </div>
        <section class="card result-summary" aria-label="Summary">
            <p class="verdicts"><strong>{verdicts}</strong>
                {(result.fail > 0).then(|| view! { " · " <a href="?failed=1">"Show the failures"</a> })}
            </p>
            {(!words.is_empty()).then(|| view! { <p class="muted">{words}</p> })}
            {running.then(|| view! { <p class="muted" role="status">{format!("Running: {} of {} tests done", result.progress.finished, result.progress.total)}</p> })}
            <dl class="fields">
                <dt>"Package"</dt><dd>{result.package_name.clone()}</dd>
                <dt>"Config"</dt><dd>{or_dash(&result.config_name.clone().unwrap_or_default())}</dd>
                <dt>"Device"</dt><dd>{or_dash(&result.device_name)}</dd>
                <dt>"Agent"</dt><dd>{or_dash(&result.agent_name.clone().unwrap_or_default())}</dd>
                <dt>"Started"</dt><dd><Time t=result.created/></dd>
                <dt>"Duration"</dt><dd>{crate::model::format::duration(result.duration as i64 * 1_000_000)}</dd>
                <dt>"Files"</dt><dd>{size_words(result.size_on_disk)}</dd>
            </dl>
        </section>
        <metrics_chart::MetricsCharts id/>
        <tests_table::TestsTable id failed_only/>
    }
}
