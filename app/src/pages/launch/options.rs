//! What a launch shares between one package and many: device, config, tags, tests to skip,
//! begin/end points, testvars, extra CLI args, and when to run.

use super::form::FormSignals;
use super::testvars::TestvarsEditor;
use crate::components::{dyn_value, dyn_view, IdSelect, TextField};
use crate::live;
use crate::model::filters::split_list;
use crate::model::resource::Resource;
use leptos::prelude::*;

#[component]
pub fn Options(
    form: FormSignals,
    /// One package's tests to pick from (checkboxes); empty in bulk mode (typed names).
    #[prop(into, optional)]
    testlist: Signal<Vec<String>>,
    bulk: bool,
) -> impl IntoView {
    let devices = live::choices(Resource::Devices);
    let configs = live::choices(Resource::Configs);
    view! {
        <section class="card" aria-labelledby="opts-title">
            <h2 id="opts-title">"Options"</h2>
            <div class="grid2">
                <IdSelect label="Device" none="The package's own" value=form.device_id choices=devices.data/>
                <IdSelect label="Config" none="The package's own" value=form.config_id choices=configs.data/>
            </div>
            <div class="grid2">
                <TextField label="Tags" value=form.tags placeholder="nightly, lab2"
                    hint="Separate tags with commas or spaces."/>
                <TextField label="Priority" kind="number" value=form.priority placeholder="the package's"
                    hint="0 to 100: the highest runs first."/>
            </div>
            {if bulk {
                view! { <TypedTests form/> }.into_any()
            } else {
                view! { <PickedTests form testlist/> }.into_any()
            }}
            <TestvarsEditor form/>
            <TextField label="Extra CLI arguments" value=form.extra_cli_args
                placeholder="-testvar wanMode=DHCP"/>
            <When form/>
        </section>
    }
}

/// Skip checkboxes and begin/end selects from the package's testlist.
#[component]
fn PickedTests(form: FormSignals, testlist: Signal<Vec<String>>) -> impl IntoView {
    let boxes = dyn_view(move || {
        testlist.get().into_iter().map(|t| {
            let name = t.clone();
            let checked = move || form.skip_tests.with(|s| s.contains(&name));
            let name = t.clone();
            let toggle = move |_| form.skip_tests.update(|s| match s.iter().position(|x| *x == name) {
                Some(i) => { s.remove(i); }
                None => s.push(name.clone()),
            });
            view! {
                <label class="check"><input type="checkbox" prop:checked=checked on:change=toggle/>
                    <span class="mono">{t}</span></label>
            }
        }).collect_view()
    });
    let point = move |label: &'static str, value: RwSignal<String>, none: &'static str| {
        view! {
            <label class="field">
                <span class="field-label">{label}</span>
                <select bind:value=value>
                    <option value="">{none}</option>
                    {dyn_view(move || testlist.get().into_iter().map(|t| { let v = t.clone(); view! { <option value=v>{t}</option> } }).collect_view())}
                </select>
            </label>
        }
    };
    view! {
        <fieldset class="tests">
            <legend>"Tests to skip"</legend>
            {dyn_view(move || testlist.with(Vec::is_empty).then(|| view! { <p class="muted">"Pick a package to list its tests."</p> }))}
            <div class="checks">{boxes}</div>
        </fieldset>
        <div class="grid2">
            {point("Begin at", form.begin_at, "the first test")}
            {point("End at", form.end_at, "the last test")}
        </div>
    }
}

/// In bulk mode each package has its own testlist: test names are typed.
#[component]
fn TypedTests(form: FormSignals) -> impl IntoView {
    let skip = RwSignal::new(form.skip_tests.get_untracked().join(", "));
    Effect::new(move |_| form.skip_tests.set(split_list(&skip.get())));
    view! {
        <TextField label="Tests to skip" value=skip placeholder="cdrouter_nat_1, cdrouter_dhcp_2"
            hint="Test names, separated by commas or spaces."/>
        <div class="grid2">
            <TextField label="Begin at" value=form.begin_at placeholder="test name"/>
            <TextField label="End at" value=form.end_at placeholder="test name"/>
        </div>
    }
}

#[component]
fn When(form: FormSignals) -> impl IntoView {
    view! {
        <fieldset class="when">
            <legend>"When"</legend>
            <label class="check"><input type="radio" name="when" prop:checked=dyn_value(move || !form.at_time.get())
                on:change=move |_| form.at_time.set(false)/>"Run now"</label>
            <label class="check"><input type="radio" name="when" prop:checked=dyn_value(move || form.at_time.get())
                on:change=move |_| form.at_time.set(true)/>"Run at a time"</label>
            <label class="field">
                <span class="field-label">"Run at (your local time)"</span>
                <input type="datetime-local" bind:value=form.run_at disabled=dyn_value(move || !form.at_time.get())/>
            </label>
        </fieldset>
    }
}
