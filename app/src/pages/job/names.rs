//! Who launched a job and which agent ran it, by name. A user: yourself, or (for an
//! administrator, who may read every user) the user's name; others see the user's id, as the
//! API lets them. An agent: the name the job keeps from its claim, and its id.

use crate::api;
use crate::app::use_session;
use crate::components::dyn_view;
use crate::live;
use labrelay_api::jobs::Job;
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
    let found = live::load(move || user, api::user, live::Reload::OnKey);
    let name = move || match (found.data.get(), found.error.get()) {
        (Some(u), _) => u.name,
        (None, Some(_)) => format!("user {user}"),
        (None, None) => "…".to_string(),
    };
    view! { <span>{dyn_view(name)}</span> }.into_any()
}

/// The agent that claimed a job: "name (id N)" (the name the job keeps), "agent N" without
/// one, "not claimed yet" before a claim.
pub fn agent(job: &Job) -> String {
    match (job.agent_id.is_none(), job.agent_name.as_str()) {
        (true, _) => "not claimed yet".to_string(),
        (false, "") => format!("agent {}", job.agent_id),
        (false, name) => format!("{name} (id {})", job.agent_id),
    }
}
