//! Reservations: hold a device, or an agent with its interfaces, for your jobs for a while
//! (the queue runs only your jobs on it meanwhile), renew it, give it back.

use crate::api;
use crate::app::set_title;
use crate::components::{dyn_view, ErrorBanner, IdSelect, Notice, TextField, Time};
use crate::live;
use crate::model::resource::Resource;
use labrelay_api::reservations::{Reservation, ReservationInput, MAX_RESERVATION_MINUTES};
use labrelay_api::Id;
use leptos::prelude::*;

/// How long a reservation is taken or renewed for when the form does not say (minutes).
const DEFAULT_MINUTES: u32 = 60;

/// The form's minutes, checked as the server checks them.
fn minutes(typed: &str) -> Result<u32, String> {
    let t = typed.trim();
    if t.is_empty() {
        return Ok(DEFAULT_MINUTES);
    }
    t.parse::<u32>()
        .ok()
        .filter(|m| (1..=MAX_RESERVATION_MINUTES).contains(m))
        .ok_or_else(|| {
            format!("Minutes: a whole number from 1 to {MAX_RESERVATION_MINUTES} (a week).")
        })
}

#[component]
pub fn ReservationsPage() -> impl IntoView {
    set_title("Reservations");
    let list = live::load(|| (), |()| api::reservations(), live::Reload::OnChange);
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    let done = move |r: api::Result<String>| match r {
        Ok(msg) => {
            error.try_set(None);
            notice.try_set(Some(msg));
            list.reload();
        }
        Err(e) => {
            error.try_set(Some(e.message));
        }
    };
    view! {
        <div class="page-head"><h1>"Reservations"</h1></div>
        <p class="hint">"While you hold a device or an agent, only your jobs run on it; the others wait and say why. A reservation ends by itself when its time runs out."</p>
        <ErrorBanner error=list.error/>
        <ErrorBanner error/>
        <Notice message=notice/>
        {reserve_form(error, done)}
        {dyn_view(move || list.data.get().map(|rows| view! { <Table rows done/> }))}
    }
}

/// A device or an agent, for how long, and why: reserved on submit.
fn reserve_form(
    error: RwSignal<Option<String>>,
    done: impl Fn(api::Result<String>) + Copy + 'static,
) -> impl IntoView {
    let devices = live::choices(Resource::Devices);
    let agents = live::choices(Resource::Agents);
    let device = RwSignal::new(Id::NONE);
    let agent = RwSignal::new(Id::NONE);
    let for_minutes = RwSignal::new(DEFAULT_MINUTES.to_string());
    let note = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (d, a) = (device.get_untracked(), agent.get_untracked());
        if d.is_none() == a.is_none() {
            error.set(Some("Pick a device or an agent (one of them).".into()));
            return;
        }
        let m = match minutes(&for_minutes.get_untracked()) {
            Ok(m) => m,
            Err(e) => return error.set(Some(e)),
        };
        let input = ReservationInput {
            device_id: (!d.is_none()).then_some(d),
            agent_id: (!a.is_none()).then_some(a),
            minutes: Some(m),
            note: Some(note.get_untracked()),
        };
        leptos::task::spawn_local(async move {
            done(api::reserve(&input).await.map(|r| {
                format!(
                    "{} is yours until the time shown (renew it before then).",
                    r.name
                )
            }));
        });
    };
    view! {
        <form class="card" on:submit=submit aria-label="Reserve">
            <div class="grid2">
                <IdSelect label="Device" none="(none)" value=device choices=devices.data/>
                <IdSelect label="Agent" none="(none)" value=agent choices=agents.data/>
                <TextField label="For (minutes)" kind="number" value=for_minutes
                    hint="1 to 10080 (a week)."/>
                <TextField label="Note" value=note placeholder="firmware bisect"/>
            </div>
            <button type="submit" class="primary">"Reserve"</button>
        </form>
    }
}

#[component]
fn Table(
    rows: Vec<Reservation>,
    done: impl Fn(api::Result<String>) + Copy + 'static,
) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="empty">"Nothing is reserved."</p> }.into_any();
    }
    // Scrolls on its own on a narrow screen (a phone), focusable so a keyboard can scroll it.
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label="Reservations list">
        <table class="list">
            <thead><tr>
                <th scope="col">"Reserved"</th><th scope="col">"By"</th><th scope="col">"Until"</th>
                <th scope="col">"Note"</th><th scope="col">"Actions"</th>
            </tr></thead>
            <tbody>
                {rows.into_iter().map(|r| {
                    let what = if r.device_id.is_none() { format!("agent {}", r.name) } else { format!("device {}", r.name) };
                    let id = r.id;
                    let renew = move |_| leptos::task::spawn_local(async move {
                        done(api::renew(id, DEFAULT_MINUTES).await.map(|_| "Renewed for an hour from now.".to_string()));
                    });
                    let release = move |_| leptos::task::spawn_local(async move {
                        done(api::release(id).await.map(|()| "Given back: the queue carries on.".to_string()));
                    });
                    view! {
                        <tr class:muted=!r.active>
                            <td>{what.clone()}</td>
                            <td>{r.user_name.clone()}</td>
                            <td class="time"><Time t=r.until/>{(!r.active).then_some(" (over)")}</td>
                            <td>{r.note.clone()}</td>
                            <td>{r.active.then(|| view! {
                                <button type="button" on:click=renew aria-label=format!("Renew {what} for an hour")>"Renew 1 h"</button>
                                " "
                                <button type="button" class="danger-outline" on:click=release aria-label=format!("Give back {what}")>"Give back"</button>
                            })}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_as_typed() {
        assert_eq!(minutes(""), Ok(60));
        assert_eq!(minutes(" 90 "), Ok(90));
        assert!(minutes("0").is_err());
        assert!(minutes("10081").is_err());
        assert!(minutes("soon").is_err());
    }
}
