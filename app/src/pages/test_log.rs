//! One test of a result: its verdict, its log with every PASS/FAIL line marked and the first
//! failure one click away (or only the FAIL lines), and its captures to download.

use crate::api;
use crate::app::set_title;
use crate::components::{dyn_value, dyn_view, ErrorBanner, Loading};
use crate::live;
use crate::model::format;
use crate::pages::result::VerdictBadge;
use crate::router;
use labrelay_api::results::{Capture, LogLineOut, TestLog};
use labrelay_api::Id;
use leptos::prelude::*;

/// Lines shown at once; a longer log pages on.
const PAGE_LINES: u64 = 5000;

#[component]
pub fn TestLogPage(id: Id, seq: Id) -> impl IntoView {
    let only = router::query_param("only");
    let fails_only = Memo::new(move |_| only.with(|o| o.as_deref() == Some("fail")));
    let from = router::query_param("offset");
    let offset = Memo::new(move |_| {
        from.with(|o| {
            o.as_deref()
                .and_then(|o| o.parse::<u64>().ok())
                .unwrap_or(0)
        })
    });
    let test = live::load(
        move || (id, seq),
        |(id, seq)| api::result_test(id, seq),
        live::Reload::OnChange,
    );
    Effect::new(move |_| {
        let name = test.data.with(|t| t.as_ref().map(|t| t.name.clone()));
        set_title(&name.unwrap_or_else(|| "Test".into()));
    });
    let log = live::load(
        move || (fails_only.get(), offset.get()),
        move |(fails, offset)| async move {
            let filter = if fails { "&filter=prefix=FAIL" } else { "" };
            api::test_log(
                id,
                seq,
                &format!("offset={offset}&limit={PAGE_LINES}{filter}"),
            )
            .await
        },
        live::Reload::OnChange,
    );
    let captures = live::load(
        move || (id, seq),
        |(id, seq)| api::captures(id, seq),
        live::Reload::OnChange,
    );
    let error = RwSignal::new(None::<String>);
    let head = dyn_view(move || {
        match test.data.get() {
        None => view! { <Loading what="Loading the test…"/> }.into_any(),
        Some(t) => view! {
            <div class="page-head">
                <h1>{format!("{} ", t.name)}<VerdictBadge result=t.result.clone()/></h1>
            </div>
            <p class="muted">{t.description.clone()}</p>
            <p class="muted">{format!("Test {} of the run, loop {}, {}", t.seq, t.loop_, crate::model::format::duration(t.duration as i64 * 1_000_000))}</p>
        }
        .into_any(),
    }
    });
    view! {
        <p class="crumbs">
            <a href="/">"Jobs"</a>" / "
            <a href=format!("/results/{id}")>{format!("Result {id}")}</a>
            " / "{dyn_value(move || test.data.get().map(|t| t.name).unwrap_or_default())}
        </p>
        <ErrorBanner error=test.error/>
        <ErrorBanner error/>
        {head}
        <Captures id seq captures error/>
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
            {dyn_view(move || if list().is_empty() {
                view! { <p class="muted">"No captures for this test."</p> }.into_any()
            } else {
                view! {
                    <ul class="captures">
                        <For each=list key=|c: &Capture| c.filename.clone() let:c>
                            <li>
                                <button type="button" on:click=move |_| {
                                    let (intf, name) = (c.interface.clone(), format::file_name(&c.filename));
                                    leptos::task::spawn_local(async move {
                                        let path = format!("/api/v1/results/{id}/tests/{seq}/captures/{intf}/?format=cap");
                                        if let Err(e) = api::download(&path, &name).await {
                                            error.try_set(Some(e.message));
                                        }
                                    });
                                }>{format!("Download {} ({})", format::file_name(&c.filename), format::file_name(&c.interface))}</button>
                            </li>
                        </For>
                    </ul>
                }.into_any()
            })}
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
                    {dyn_view(move || first_fail().map(|n| view! { <a class="button" href=format!("#line-{n}")>"First failure"</a> }))}
                    <a href="?" aria-current=dyn_value(move || (!fails_only.get()).then_some("page"))>"All lines"</a>
                    <a href="?only=fail" aria-current=dyn_value(move || fails_only.get().then_some("page"))>"FAIL lines only"</a>
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
                {dyn_view(move || (log.data.with(|l| l.as_ref().is_some_and(|l| l.lines.is_empty()))).then(|| view! { <p class="muted">"No lines (yet)."</p> }))}
            </div>
            {dyn_view(move || more().then(|| view! { <a class="button" href=next()>"Next lines"</a> }))}
        </section>
    }
}
