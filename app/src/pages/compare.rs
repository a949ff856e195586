//! Results side by side (`/compare?ids=1,2,3`): one row per test, one column per result, the
//! tests whose verdict changed first, then those new or missing, then the unchanged ones.

mod groups;

use crate::api;
use crate::app::set_title;
use crate::components::{dyn_view, Empty, ErrorBanner, Loading};
use crate::live;
use crate::router;
use groups::{Change, Compared, Row};
use labrelay_api::stats::TestResultSummary;
use labrelay_api::Id;
use leptos::prelude::*;

#[component]
pub fn ComparePage() -> impl IntoView {
    set_title("Compare results");
    let param = router::query_param("ids");
    let ids = Memo::new(move |_| groups::parse_ids(param.get().as_deref().unwrap_or_default()));
    let diff = live::load(
        move || ids.get(),
        |ids| async move {
            let ids = ids.map_err(api::Error::invalid)?;
            if let Some(why) = groups::refuse(&ids) {
                return Err(api::Error::invalid(why));
            }
            let compared = groups::compare(&ids, api::result_diff(&ids).await?);
            Ok((ids, compared))
        },
        live::Reload::OnChange,
    );
    let content = dyn_view(move || match diff.data.get() {
        None if diff.error.with(Option::is_some) => ().into_any(),
        None => view! { <Loading what="Comparing the results…"/> }.into_any(),
        Some((ids, c)) => view! { <Comparison ids c/> }.into_any(),
    });
    view! {
        <p class="crumbs"><a href="/">"Jobs"</a>" / Compare results"</p>
        <div class="page-head"><h1>"Compare results"</h1></div>
        <ErrorBanner error=diff.error/>
        {content}
    }
    .into_any()
}

#[component]
fn Comparison(ids: Vec<Id>, c: Compared) -> impl IntoView {
    if c.rows.is_empty() {
        return view! { <Empty>"These results have no tests yet."</Empty> }.into_any();
    }
    let heads = ids
        .iter()
        .map(|id| view! { <th scope="col"><a href=format!("/results/{id}")>{format!("Result {id}")}</a></th> })
        .collect_view();
    let rows = c
        .rows
        .into_iter()
        .map(|row| view! { <CompareRow row/> })
        .collect_view();
    view! {
        <section class="card" aria-label="Counts">
            <ul class="compare-counts">
                <li><strong>{c.changed.to_string()}</strong>" changed"</li>
                <li><strong>{c.new_or_missing.to_string()}</strong>" new or missing"</li>
                <li><strong>{c.unchanged.to_string()}</strong>" unchanged"</li>
            </ul>
        </section>
        <div class="table-wrap">
            <table class="tests compare">
                <caption class="sr-only">"Each test's verdict in each result, changed tests first"</caption>
                <thead><tr>
                    <th scope="col">"Test"</th><th scope="col">"Change"</th>{heads}
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn CompareRow(row: Row) -> impl IntoView {
    let change = row.change;
    let cells = row
        .cells
        .into_iter()
        .map(|runs| {
            if runs.is_empty() {
                return view! { <td class="muted">"not run"</td> }.into_any();
            }
            view! { <td>{runs.into_iter().map(|s| view! { <RunCell s/> }).collect_view()}</td> }
                .into_any()
        })
        .collect_view();
    view! {
        <tr class=format!("change-{}", if change == Change::Changed { "changed" } else { "other" })>
            <th scope="row">{row.name}</th>
            <td>{change.words()}</td>
            {cells}
        </tr>
    }
}

/// One run of the test in one result: its verdict, linking to its log, and how long it took.
#[component]
fn RunCell(s: TestResultSummary) -> impl IntoView {
    let href = format!("/results/{}/tests/{}", s.id, s.seq);
    let secs = i64::try_from(s.duration).unwrap_or(i64::MAX);
    let took = crate::model::format::duration(secs.saturating_mul(1_000_000));
    view! {
        <span class="run">
            <a href=href><span class=format!("badge verdict-{}", s.result)>{s.result.clone()}</span></a>
            " "<span class="muted">{took}</span>
        </span>
    }
}
