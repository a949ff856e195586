//! Paging links under a list: where we are, and first / previous / next / last as links
//! (the page is part of the URL, so they work with the back button and in new tabs).

use crate::components::dyn_view;
use labrelay_api::query::Links;
use leptos::prelude::*;

#[component]
pub fn Pager(
    #[prop(into)] links: Signal<Option<Links>>,
    /// The URL of a page.
    href: Callback<u64, String>,
    /// What is listed ("jobs").
    noun: &'static str,
) -> impl IntoView {
    let link = move |label: &'static str, page: Option<u64>| match page {
        Some(p) => view! { <a class="button" href=href.run(p)>{label}</a> }.into_any(),
        None => view! { <span class="button" aria-disabled="true">{label}</span> }.into_any(),
    };
    dyn_view(move || {
        links.get().filter(|l| l.total > 0).map(|l| {
            let from = (l.current.saturating_sub(1)) * l.limit + 1;
            let to = (l.current * l.limit).min(l.total);
            let first = (l.current > 1).then_some(1);
            let last = (l.current < l.last).then_some(l.last);
            view! {
                <nav class="pager" aria-label=format!("Pages of {noun}")>
                    <span class="muted">{format!("{noun} {from}–{to} of {}", l.total)}</span>
                    {link("First", first)}
                    {link("Previous", l.prev)}
                    <span aria-current="page">{format!("Page {} of {}", l.current, l.last)}</span>
                    {link("Next", l.next)}
                    {link("Last", last)}
                </nav>
            }
        })
        .into_any()
    })
}
