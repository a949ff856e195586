//! Sign in with user name and password; the session lasts as long as the browser tab.

use crate::api;
use crate::app::{set_title, use_session, SignedOutReason};
use crate::components::{dyn_value, ErrorBanner};
use leptos::prelude::*;

#[component]
pub fn LoginPage() -> impl IntoView {
    set_title("Sign in");
    let session = use_session();
    let user = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    // "Your session has ended", when that is why we are here.
    let error = RwSignal::new(
        use_context::<SignedOutReason>().and_then(|r| r.0.try_update(Option::take).flatten()),
    );
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let (u, p) = (user.get_untracked(), password.get_untracked());
        if u.trim().is_empty() || p.is_empty() {
            error.set(Some("Enter your user name and password.".into()));
            return;
        }
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            match api::sign_in(u.trim(), &p).await {
                Ok(s) => {
                    password.try_set(String::new());
                    session.try_set(Some(s));
                }
                Err(e) => {
                    error.try_set(Some(e.message));
                }
            }
            busy.try_set(false);
        });
    };
    view! {
        <main id="main" class="login">
            <form class="card login-card" on:submit=submit aria-labelledby="login-title">
                <h1 id="login-title">"Sign in to Labrelay"</h1>
                <ErrorBanner error/>
                <label class="field">
                    <span class="field-label">"User name"</span>
                    <input type="text" name="username" autocomplete="username" autofocus
                        bind:value=user />
                </label>
                <label class="field">
                    <span class="field-label">"Password"</span>
                    <input type="password" name="password" autocomplete="current-password"
                        bind:value=password />
                </label>
                <button type="submit" class="primary" disabled=dyn_value(move || busy.get())>
                    {dyn_value(move || if busy.get() { "Signing in…" } else { "Sign in" })}
                </button>
            </form>
        </main>
    }
    .into_any()
}
