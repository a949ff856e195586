//! Lab agents: online or not, last seen, interfaces, what they run; administrators register
//! agents (the token is shown once) and remove them.

use crate::api;
use crate::app::{set_title, use_session};
use crate::components::time::{local, now};
use crate::components::{dyn_view, ConfirmButton, Empty, ErrorBanner, Loading, Notice, TextField};
use crate::live;
use crate::model::{filters::split_list, format};
use labrelay_api::agents::{Agent, AgentInput};
use labrelay_api::Id;
use leptos::prelude::*;

#[component]
pub fn AgentsPage() -> impl IntoView {
    set_title("Agents");
    let admin = use_session().with_untracked(|s| s.as_ref().is_some_and(|s| s.admin));
    let list = live::load(
        || (),
        |()| async { api::agents("limit=1000&sort=name").await },
    );
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    let registered = RwSignal::new(None::<Agent>);
    let delete = move |id: Id, name: String| {
        Callback::new(move |()| {
            let name = name.clone();
            leptos::task::spawn_local(async move {
                match api::delete_resource("agents", id).await {
                    Ok(()) => {
                        notice.try_set(Some(format!("Removed agent {name}.")));
                        list.reload();
                    }
                    Err(e) => {
                        error.try_set(Some(e.message));
                    }
                }
            });
        })
    };
    let rows = dyn_view(move || {
        let t = now().micros();
        list.data.with(|d| d.as_ref().map(|p| p.data.clone())).map(|items| {
            items.into_iter().map(|a| {
                let seen = a.last_seen.map_or("never".to_string(), |s| format::relative(t, s.micros()));
                let seen_at = a.last_seen.map(local).unwrap_or_default();
                view! {
                    <tr>
                        <td>{a.name.clone()}<div class="muted small">{a.labels.join(", ")}</div></td>
                        <td>
                            <span class=if a.online { "badge badge-running" } else { "badge badge-stopped" }>
                                {if a.online { "online" } else { "offline" }}
                            </span>
                        </td>
                        <td title=seen_at>{seen}</td>
                        <td class="mono">{a.interfaces.join(", ")}</td>
                        <td>{if a.jobs.is_empty() {
                            view! { <span class="muted">"idle"</span> }.into_any()
                        } else {
                            a.jobs.iter().map(|j| view! { <a href=format!("/jobs/{j}")>{format!("job {j}")}</a>" " }).collect_view().into_any()
                        }}</td>
                        <td>{a.host.clone()}<div class="muted small">{a.version.clone()}</div></td>
                        <td class="row-actions">{admin.then(|| view! {
                            <ConfirmButton label="Remove" question=format!("Remove agent {}?", a.name) on_confirm=delete(a.id, a.name.clone())/>
                        })}</td>
                    </tr>
                }
            }).collect_view()
        })
    });
    view! {
        <h1>"Lab agents"</h1>
        <ErrorBanner error=list.error/>
        <ErrorBanner error/>
        <Notice message=notice/>
        {dyn_view(move || registered.get().map(|a| view! { <Token agent=a close=Callback::new(move |()| registered.set(None))/> }))}
        {admin.then(|| view! { <Register registered error list_reload=Callback::new(move |()| list.reload())/> })}
        <div class="table-wrap">
            <table>
                <caption class="sr-only">"Lab agents"</caption>
                <thead><tr>
                    <th scope="col">"Name"</th><th scope="col">"State"</th><th scope="col">"Last seen"</th>
                    <th scope="col">"Interfaces"</th><th scope="col">"Running"</th><th scope="col">"Host"</th>
                    <th scope="col"><span class="sr-only">"Actions"</span></th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        {dyn_view(move || match list.data.with(|d| d.as_ref().map(|p| p.data.is_empty())) {
            None if list.error.with(Option::is_none) => view! { <Loading what="Loading agents…"/> }.into_any(),
            Some(true) => view! { <Empty><p>"No lab agents registered yet."</p></Empty> }.into_any(),
            _ => ().into_any(),
        })}
    }
    .into_any()
}

#[component]
fn Register(
    registered: RwSignal<Option<Agent>>,
    error: RwSignal<Option<String>>,
    list_reload: Callback<()>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let labels = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = AgentInput {
            name: Some(name.get_untracked().trim().to_string()),
            labels: Some(split_list(&labels.get_untracked())),
        };
        leptos::task::spawn_local(async move {
            match api::register_agent(&input).await {
                Ok(a) => {
                    name.try_set(String::new());
                    labels.try_set(String::new());
                    error.try_set(None);
                    registered.try_set(Some(a));
                    list_reload.try_run(());
                }
                Err(e) => {
                    error.try_set(Some(e.message));
                }
            }
        });
    };
    view! {
        <details class="card">
            <summary>"Register an agent"</summary>
            <form class="filter-row" on:submit=submit aria-label="Register an agent">
                <TextField label="Name" value=name required=true/>
                <TextField label="Labels" value=labels placeholder="lab2, wifi"/>
                <div class="filter-actions"><button type="submit" class="primary">"Register"</button></div>
            </form>
        </details>
    }
}

#[component]
fn Token(agent: Agent, close: Callback<()>) -> impl IntoView {
    let token = agent.token.clone().unwrap_or_default();
    view! {
        <section class="card token" role="alert" aria-labelledby="token-title">
            <h2 id="token-title">{format!("Agent {} registered", agent.name)}</h2>
            <p>"Its token is shown only this once: copy it now and give it to the agent with "<code>"--token"</code>"."</p>
            <label class="field">
                <span class="field-label">"Agent token"</span>
                <input type="text" readonly class="mono" value=token on:focus=|ev| {
                    use wasm_bindgen::JsCast;
                    if let Some(i) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) { i.select(); }
                }/>
            </label>
            <button type="button" on:click=move |_| close.run(())>"I have copied it"</button>
        </section>
    }
}
