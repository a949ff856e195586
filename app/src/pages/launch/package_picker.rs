//! Picking the package: a search box narrowing a list box (both keyboard-usable), and what
//! the picked package is.

use super::form::FormSignals;
use crate::api;
use crate::components::{dyn_value, dyn_view};
use crate::live;
use crate::model::{filters, query::Query};
use labrelay_api::resources::Package;
use labrelay_api::{Id, ListEnvelope};
use leptos::prelude::*;

/// The most packages the list box shows; the search narrows it.
const SHOWN: u64 = 200;
/// The list box's height in rows: as many as it shows, 2 to 8 (a box one row high would be
/// a drop-down, which picks its only choice without telling).
const ROWS: (usize, usize) = (2, 8);

#[component]
pub fn PackagePicker(form: FormSignals, picked: Signal<Option<Package>>) -> impl IntoView {
    let find = RwSignal::new(String::new());
    let list = live::load(
        move || find.get().trim().to_string(),
        |text| async move {
            let mut q = Query::new().push("limit", SHOWN).push("sort", "name");
            if !text.is_empty() {
                q = q.push("filter", filters::contains_ci("name", &text));
            }
            api::packages(&q.build()).await
        },
        live::Reload::OnKey,
    );
    let choose = move |ev: leptos::ev::Event| {
        if let Ok(id) = event_target_value(&ev).parse::<u64>() {
            form.package_id.set(Id(id));
        }
    };
    let count = move || list.data.with(|d| d.as_ref().map_or(0, |p| p.links.total));
    let rows = move || {
        list.data
            .with(|d| d.as_ref().map_or(0, |p| p.data.len()))
            .clamp(ROWS.0, ROWS.1)
    };
    view! {
        <section class="card" aria-labelledby="pkg-title">
            <h2 id="pkg-title">"Package"</h2>
            <div class="picker">
                <label class="field">
                    <span class="field-label">"Find a package"</span>
                    <input type="search" placeholder="name contains…" bind:value=find/>
                </label>
                <label class="field">
                    <span class="field-label">{dyn_value(move || format!("Package ({} found)", count()))}</span>
                    <select size=dyn_value(rows) on:change=choose>{options(list, form)}</select>
                </label>
            </div>
            {dyn_view(move || list.error.get().map(|e| view! { <p class="banner banner-error" role="alert">{e}</p> }))}
            <p class="picked" aria-live="polite">
                {dyn_view(move || picked_words(picked.get()))}
            </p>
        </section>
    }
}

/// An option per package listed, the picked one selected.
fn options(list: live::Loaded<ListEnvelope<Package>>, form: FormSignals) -> impl IntoView {
    dyn_view(move || {
        list.data.with(|d| {
            d.as_ref().map(|p| {
                p.data
                    .iter()
                    .map(|pkg| {
                        let id = pkg.id;
                        view! {
                            <option value=id.to_string() prop:selected=dyn_value(move || form.package_id.get() == id)>
                                {format!("{} ({} tests)", pkg.name, pkg.test_count)}
                            </option>
                        }
                    })
                    .collect_view()
            })
        })
    })
}

/// The package picked, in words.
fn picked_words(picked: Option<Package>) -> String {
    match picked {
        Some(p) => format!(
            "Picked: {} — {} tests{}",
            p.name,
            p.test_count,
            if p.description.is_empty() {
                String::new()
            } else {
                format!(" — {}", p.description)
            }
        ),
        None => "No package picked yet.".to_string(),
    }
}
