//! One test of a result: its verdict, its log with every PASS/FAIL line marked and the first
//! failure one click away (or only the FAIL lines), and its captures to download.

use crate::api;
use crate::app::set_title;
use crate::components::{dyn_value, dyn_view, ErrorBanner, Loading};
use crate::live;
use crate::pages::result::{id_param, VerdictBadge};
use labrelay_api::results::{Capture, LogLineOut, TestLog};
use labrelay_api::Id;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

/// Lines shown at once; a longer log pages on.
const PAGE_LINES: u64 = 5000;

#[component]
pub fn TestLogPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = Memo::new(move |_| id_param(params.with(|p| p.get("id"))));
    let seq = Memo::new(move |_| id_param(params.with(|p| p.get("seq"))));
    let fails_only = Memo::new(move |_| query.with(|q| q.get("only").as_deref() == Some("fail")));
    let offset = Memo::new(move |_| {
        query.with(|q| {
            q.get("offset")
                .and_then(|o| o.parse::<u64>().ok())
                .unwrap_or(0)
        })
    });
    let test = live::load(
        move || (id.get(), seq.get()),
        |(id, seq)| async move {
            match (id, seq) {
                (Some(id), Some(seq)) => api::result_test(id, seq).await.map(Some),
                _ => Ok(None),
            }
        },
    );
    Effect::new(move |_| {
        let name = test.data.with(|t| t.clone().flatten().map(|t| t.name));
        set_title(&name.unwrap_or_else(|| "Test".into()));
    });
    let log = live::load(
        move || (id.get(), seq.get(), fails_only.get(), offset.get()),
        |(id, seq, fails, offset)| async move {
            let (Some(id), Some(seq)) = (id, seq) else {
                return Ok(TestLog::default());
            };
            let filter = if fails { "&filter=prefix=FAIL" } else { "" };
            api::test_log(
                id,
                seq,
                &format!("offset={offset}&limit={PAGE_LINES}{filter}"),
            )
            .await
        },
    );
    let captures = live::load(
        move || (id.get(), seq.get()),
        |(id, seq)| async move {
            match (id, seq) {
                (Some(id), Some(seq)) => api::captures(id, seq).await,
                _ => Ok(Vec::new()),
            }
        },
    );
    let error = RwSignal::new(None::<String>);
    let head = dyn_view(move || {
        match test.data.get() {
        None => view! { <Loading what="Loading the test…"/> }.into_any(),
        Some(None) => view! { <p>"That is not a test. " <a href="/">"Back to the jobs"</a></p> }.into_any(),
        Some(Some(t)) => view! {
            <div class="page-head">
                <h1>{format!("{} ", t.name)}<VerdictBadge result=t.result.clone()/></h1>
            </div>
            <p class="muted">{t.description.clone()}</p>
            <p class="muted">{format!("Test {} of the run, loop {}, {}", t.seq, t.loop_, crate::model::format::duration(t.duration as i64 * 1_000_000))}</p>
        }
        .into_any(),
    }
    });
    let result_href = move || {
        id.get()
            .map(|i| format!("/results/{i}"))
            .unwrap_or_default()
    };
    view! {
        <p class="crumbs">
            <a href="/">"Jobs"</a>" / "
            <a href=result_href>{dyn_value(move || id.get().map(|i| format!("Result {i}")))}</a>
            " / "{dyn_value(move || test.data.get().flatten().map(|t| t.name).unwrap_or_default())}
        </p>
        <ErrorBanner error=test.error/>
        <ErrorBanner error/>
        {head}
        {move || id.get().zip(seq.get()).map(|(id, seq)| view! { <Captures id seq captures error/> })}
        <LogView log fails_only offset/>
    }
    .into_any()
}

#[component]
fn Captures(
    id: Id,
    seq: Id,
    captures: live::Loaded<Vec<Capture>>,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let list = move || captures.data.get().unwrap_or_default();
    view! {
        <section class="card" aria-labelledby="caps-title">
            <h2 id="caps-title">"Captures"</h2>
            {move || if list().is_empty() {
                view! { <p class="muted">"No captures for this test."</p> }.into_any()
            } else {
                view! {
                    <ul class="captures">
                        <For each=list key=|c: &Capture| c.filename.clone() let:c>
                            <li>
                                <button type="button" on:click=move |_| {
                                    let (intf, name) = (c.interface.clone(), c.filename.clone());
                                    leptos::task::spawn_local(async move {
                                        let path = format!("/api/v1/results/{id}/tests/{seq}/captures/{intf}/?format=cap");
                                        if let Err(e) = api::download(&path, &name).await {
                                            error.try_set(Some(e.message));
                                        }
                                    });
                                }>{format!("Download {} ({})", c.filename, c.interface)}</button>
                            </li>
                        </For>
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

/// The class that marks a line: verdicts and assertions, sections, warnings.
fn line_class(l: &LogLineOut) -> &'static str {
    match l.prefix.as_deref() {
        Some("FAIL") => "ln ln-fail",
        Some("PASS") => "ln ln-pass",
        Some("SECTION") => "ln ln-section",
        Some("WARNING") => "ln ln-warn",
        _ => "ln",
    }
}

#[component]
fn LogView(log: live::Loaded<TestLog>, fails_only: Memo<bool>, offset: Memo<u64>) -> impl IntoView {
    let first_fail = move || {
        log.data.with(|l| {
            l.as_ref().and_then(|l| {
                l.lines
                    .iter()
                    .find(|x| x.prefix.as_deref() == Some("FAIL"))
                    .map(|x| x.line)
            })
        })
    };
    let lines = move || {
        log.data
            .with(|l| l.as_ref().map(|l| l.lines.clone()).unwrap_or_default())
    };
    let more = move || log.data.with(|l| l.as_ref().is_some_and(|l| l.more));
    let next = move || {
        format!(
            "?offset={}{}",
            offset.get() + PAGE_LINES,
            if fails_only.get() { "&only=fail" } else { "" }
        )
    };
    view! {
        <section class="card log-card" aria-labelledby="testlog-title">
            <div class="page-head">
                <h2 id="testlog-title">"Log"</h2>
                <nav class="actions" aria-label="Which lines">
                    {move || first_fail().map(|n| view! { <a class="button" href=format!("#line-{n}")>"First failure"</a> })}
                    <a href="?" aria-current=move || (!fails_only.get()).then_some("page")>"All lines"</a>
                    <a href="?only=fail" aria-current=move || fails_only.get().then_some("page")>"FAIL lines only"</a>
                </nav>
            </div>
            <ErrorBanner error=log.error/>
            <div class="log testlog" role="log" aria-label="Test log" tabindex="0">
                <For each=lines key=|l: &LogLineOut| l.line let:l>
                    <div class=line_class(&l) id=format!("line-{}", l.line)>
                        <span class="no" aria-hidden="true">{l.line.to_string()}</span>
                        <span class="text">{l.raw.clone()}</span>
                    </div>
                </For>
                {move || (log.data.with(|l| l.as_ref().is_some_and(|l| l.lines.is_empty()))).then(|| view! { <p class="muted">"No lines (yet)."</p> })}
            </div>
            {move || more().then(|| view! { <a class="button" href=next()>"Next lines"</a> })}
        </section>
    }
}
