//! The tests of a result, in the order they ran, each linking to its log; all of them, or
//! only those that failed (`fail` or `fatal`).

use crate::api;
use crate::components::{dyn_value, dyn_view, Empty, Loading};
use crate::live;
use labrelay_api::results::TestResult;
use labrelay_api::Id;
use leptos::prelude::*;

/// A test's verdict; the word is always shown.
#[component]
pub fn VerdictBadge(result: String) -> impl IntoView {
    view! { <span class=format!("badge verdict-{result}")>{result.clone()}</span> }
}

#[component]
pub fn TestsTable(id: Id, failed_only: Memo<bool>) -> impl IntoView {
    let tests = live::load(
        move || failed_only.get(),
        move |failed| async move {
            let query = if failed {
                "type=union&filter=result=fail&filter=result=fatal"
            } else {
                "sort=seq"
            };
            api::result_tests_all(id, query).await
        },
        live::Reload::OnChange,
    );
    let rows = move || {
        tests
            .data
            .with(|d| d.as_ref().map(|p| p.data.clone()).unwrap_or_default())
    };
    let state = dyn_view(move || {
        if tests.data.with(Option::is_none) {
            return view! { <Loading what="Loading the tests…"/> }.into_any();
        }
        if rows().is_empty() {
            return view! {
                <Empty>{if failed_only.get() { "No test failed." } else { "No tests yet." }}</Empty>
            }
            .into_any();
        }
        ().into_any()
    });
    view! {
        <section aria-labelledby="tests-title">
            <div class="page-head">
                <h2 id="tests-title">"Tests"</h2>
                <nav class="actions" aria-label="Which tests">
                    <a href="?" aria-current=dyn_value(move || (!failed_only.get()).then_some("page"))>"All"</a>
                    <a href="?failed=1" aria-current=dyn_value(move || failed_only.get().then_some("page"))>"Failures only"</a>
                </nav>
            </div>
            <div class="table-wrap">
                <table class="tests">
                    <caption class="sr-only">"Tests of this result"</caption>
                    <thead><tr>
                        <th scope="col">"#"</th><th scope="col">"Test"</th><th scope="col">"Description"</th>
                        <th scope="col">"Result"</th><th scope="col">"Duration"</th>
                    </tr></thead>
                    <tbody>
                        <For each=rows key=|t: &TestResult| (t.seq, t.result.clone()) let:t>
                            <TestRow id t/>
                        </For>
                    </tbody>
                </table>
            </div>
            <crate::components::ErrorBanner error=tests.error/>
            {state}
        </section>
    }
}

#[component]
fn TestRow(id: Id, t: TestResult) -> impl IntoView {
    let href = format!("/results/{id}/tests/{}", t.seq);
    let has_log = !t.log.is_empty();
    view! {
        <tr class=format!("row-{}", t.result)>
            <td class="num">{t.seq.to_string()}</td>
            <td>{if has_log {
                view! { <a href=href>{t.name.clone()}</a> }.into_any()
            } else {
                view! { <span>{t.name.clone()}</span> }.into_any()
            }}</td>
            <td>{t.description.clone()}</td>
            <td><VerdictBadge result=t.result.clone()/></td>
            <td class="num">{crate::model::format::duration(t.duration as i64 * 1_000_000)}</td>
        </tr>
    }
}
