//! The testvars editor: rows of action, group, name and value; add and remove rows.

use super::form::{FormSignals, Row};
use crate::components::dyn_value;
use labrelay_api::interfaces::{Testvar, TestvarAction};
use leptos::prelude::*;

const ACTIONS: [(TestvarAction, &str, &str); 4] = [
    (TestvarAction::SetTestvar, "set-testvar", "set"),
    (TestvarAction::DeleteTestvar, "delete-testvar", "delete"),
    (TestvarAction::CreateGroup, "create-group", "create group"),
    (TestvarAction::DeleteGroup, "delete-group", "delete group"),
];

fn action_from(s: &str) -> TestvarAction {
    ACTIONS
        .iter()
        .find(|a| a.1 == s)
        .map_or(TestvarAction::SetTestvar, |a| a.0)
}

#[component]
pub fn TestvarsEditor(form: FormSignals) -> impl IntoView {
    let add = move |_| form.add_row(Testvar::default());
    view! {
        <fieldset class="testvars">
            <legend>"Testvars"</legend>
            <p class="hint">"Override the config's testvars for this run (the group is empty for the top level)."</p>
            <table class="compact">
                <thead>
                    <tr><th scope="col">"Action"</th><th scope="col">"Group"</th><th scope="col">"Name"</th><th scope="col">"Value"</th><th scope="col"><span class="sr-only">"Remove"</span></th></tr>
                </thead>
                <tbody>
                    <For each=move || form.testvars.get() key=|r: &Row| r.0 let:row>
                        <TestvarRow form row/>
                    </For>
                </tbody>
            </table>
            <button type="button" on:click=add>"Add a testvar"</button>
        </fieldset>
    }
}

#[component]
fn TestvarRow(form: FormSignals, row: Row) -> impl IntoView {
    let (key, tv) = row;
    let n = move || {
        form.testvars
            .with(|rows| rows.iter().position(|r| r.0 == key).map_or(0, |i| i + 1))
    };
    let edit = move |f: fn(&mut Testvar, String), value: String| {
        form.testvars.update(|rows| {
            if let Some(r) = rows.iter_mut().find(|r| r.0 == key) {
                f(&mut r.1, value);
            }
        });
    };
    let remove = move |_| form.testvars.update(|rows| rows.retain(|r| r.0 != key));
    view! {
        <tr>
            <td>
                <select aria-label=dyn_value(move || format!("Action of testvar {}", n()))
                    on:change=move |ev| edit(|t, v| t.action = action_from(&v), event_target_value(&ev))>
                    {ACTIONS.iter().map(|a| view! {
                        <option value=a.1 selected=a.0 == tv.action>{a.2}</option>
                    }).collect_view()}
                </select>
            </td>
            <td><input type="text" value=tv.group.clone() aria-label=dyn_value(move || format!("Group of testvar {}", n()))
                on:input=move |ev| edit(|t, v| t.group = v, event_target_value(&ev))/></td>
            <td><input type="text" value=tv.name.clone() aria-label=dyn_value(move || format!("Name of testvar {}", n()))
                on:input=move |ev| edit(|t, v| t.name = v, event_target_value(&ev))/></td>
            <td><input type="text" value=tv.value.clone() aria-label=dyn_value(move || format!("Value of testvar {}", n()))
                on:input=move |ev| edit(|t, v| t.value = v, event_target_value(&ev))/></td>
            <td><button type="button" class="link" aria-label=dyn_value(move || format!("Remove testvar {}", n()))
                on:click=remove>"Remove"</button></td>
        </tr>
    }
}
