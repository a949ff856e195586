//! A job's progress: one element whose background shows passed, failed and other finished
//! tests (a gradient: one node per row keeps a 1,000-job page fast), with the numbers in
//! words for assistive technology. Before a run starts the server does not know how many
//! tests it has: that reads "not started", not "0/0".

use crate::model::format;
use labrelay_api::agents::Progress;
use leptos::prelude::*;

/// `--a`, `--b`, `--c`: where the passed, failed and other-done stretches end.
fn stops(p: &Progress) -> String {
    let pct = |n: u64| format::percent(n, p.total);
    let a = pct(p.passed);
    let b = pct(p.passed + p.failed);
    let c = pct(p.done).max(b);
    format!("--a:{a}%;--b:{b}%;--c:{c}%")
}

#[component]
pub fn ProgressBar(progress: Progress, #[prop(optional)] wide: bool) -> impl IntoView {
    let p = &progress;
    if p.total == 0 && p.done == 0 {
        return view! { <span class="progress muted">"not started"</span> }.into_any();
    }
    view! {
        <div class="progress" class:wide=wide role="progressbar" aria-label="Progress"
            aria-valuemin="0" aria-valuemax=p.total.to_string() aria-valuenow=p.done.to_string()
            aria-valuetext=format::progress_text(p) style=stops(p)>
            {format!("{}/{}", p.done, p.total)}
        </div>
    }
    .into_any()
}
