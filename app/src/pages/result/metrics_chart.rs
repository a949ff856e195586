//! A perf run's metrics as charts (SVG drawn here, no chart library): one bar chart per metric
//! (bandwidth, latency...), a bar per row of the tests' `_graph.csv` files, as
//! `GET results/{id}/metrics/{name}/{metric}/` answers them. Nothing shows for a run without.

use crate::api;
use crate::components::dyn_view;
use crate::live;
use crate::model::metric_chart::{charts, number_words, Chart};
use labrelay_api::Id;
use leptos::prelude::*;

/// The drawing's width, a bar's row, the labels' column and the longest bar (SVG units).
const WIDTH: i64 = 640;
const ROW: i64 = 22;
const LABEL: i64 = 220;
const BAR: i64 = 320;

#[component]
pub fn MetricsCharts(id: Id) -> impl IntoView {
    let graphs = live::load(move || id, api::result_graphs, live::Reload::OnChange);
    dyn_view(move || {
        let charts = graphs
            .data
            .with(|g| g.as_deref().map(charts).unwrap_or_default());
        (!charts.is_empty()).then(|| {
            view! {
                <section class="card" aria-labelledby="metrics-title">
                    <h2 id="metrics-title">"Performance"</h2>
                    {charts.into_iter().map(chart).collect_view()}
                </section>
            }
        })
    })
}

fn chart(c: Chart) -> impl IntoView {
    let max = c.bars.iter().map(|b| b.1).fold(0.0, f64::max);
    let height = c.bars.len() as i64 * ROW + 6;
    let title = format!("{} ({})", c.metric, c.units);
    let words: Vec<String> = c
        .bars
        .iter()
        .map(|(l, v)| format!("{l}: {}", number_words(*v)))
        .collect();
    let described = format!("{title}: {}", words.join(", "));
    let bars = c
        .bars
        .into_iter()
        .enumerate()
        .map(|(i, (l, v))| {
            let y = i as i64 * ROW + 3;
            let w = if max > 0.0 {
                ((v / max) * BAR as f64).round() as i64
            } else {
                0
            };
            view! {
                <text x="0" y=(y + 15).to_string() font-size="13" fill="currentColor">{l}</text>
                <rect x=LABEL.to_string() y=(y + 3).to_string() width=w.max(1).to_string()
                    height="15" fill="#2f6db5"/>
                <text x=(LABEL + w + 6).to_string() y=(y + 15).to_string() font-size="13"
                    fill="currentColor">{number_words(v)}</text>
            }
        })
        .collect_view();
    view! {
        <figure class="metric-chart">
            <figcaption>{title}</figcaption>
            <svg viewBox=format!("0 0 {WIDTH} {height}") role="img"
                aria-label=described>{bars}</svg>
        </figure>
    }
}
