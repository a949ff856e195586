//! Who launched a job, by name: yourself, or (for an administrator, who may read every user)
//! the user's name; others see the user's id, as the API lets them.

use crate::api;
use crate::app::use_session;
use crate::components::dyn_view;
use crate::live;
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
