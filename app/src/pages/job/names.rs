//! Who launched a job and which agent ran it, by name. A user: yourself, or (for an
//! administrator, who may read every user) the user's name; others see the user's id, as the
//! API lets them. An agent: its name and id, read from the agents API.

use crate::api;
use crate::app::use_session;
use crate::components::dyn_view;
use crate::live;
use crate::model::resource::Resource;
use labrelay_api::agents::Agent;
use labrelay_api::Id;
use leptos::prelude::*;

#[component]
pub fn LaunchedBy(user: Id) -> impl IntoView {
    let (me, admin) = use_session().with_untracked(|s| {
        s.as_ref().map_or((None, false), |s| {
            ((s.id == user).then(|| s.name.clone()), s.admin)
        })
    });
    if let Some(name) = me {
        return view! { <span>{format!("{name} (you)")}</span> }.into_any();
    }
    if user.is_none() || !admin {
        return view! { <span>{format!("user {user}")}</span> }.into_any();
    }
    let found = live::load_static(move || user, api::user);
    let name = move || match (found.data.get(), found.error.get()) {
        (Some(u), _) => u.name,
        (None, Some(_)) => format!("user {user}"),
        (None, None) => "…".to_string(),
    };
    view! { <span>{dyn_view(name)}</span> }.into_any()
}

/// The agent that claimed a job: "name (id N)", or "agent N" if it cannot be read (deleted).
#[component]
pub fn AgentName(agent: Id) -> impl IntoView {
    if agent.is_none() {
        return view! { <span>"not claimed yet"</span> }.into_any();
    }
    let found = live::load_static(
        move || agent,
        |id| api::one_of::<Agent>(Resource::Agents, id),
    );
    let name = move || match (found.data.get(), found.error.get()) {
        (Some(a), _) => format!("{} (id {agent})", a.name),
        (None, Some(_)) => format!("agent {agent}"),
        (None, None) => "…".to_string(),
    };
    view! { <span>{dyn_view(name)}</span> }.into_any()
}
