//! The app shell: sign-in gate, header and navigation, and the route table.

use crate::api::{self, Session};
use crate::live;
use crate::pages::*;
use leptos::prelude::*;
use leptos_router::components::{FlatRoutes, Route, Router, A};
use leptos_router::path;

/// Who is signed in; `None` shows the sign-in form (at whatever URL was asked for).
pub type SessionSignal = RwSignal<Option<Session>>;

/// Why the sign-in form is showing, when the server ended the session.
#[derive(Clone, Copy)]
pub struct SignedOutReason(pub RwSignal<Option<String>>);

pub fn use_session() -> SessionSignal {
    use_context::<SessionSignal>().unwrap_or_else(|| RwSignal::new(None))
}

/// The page's title, for the tab and for screen readers announcing the page.
pub fn set_title(page: &str) {
    if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
        doc.set_title(&format!("{page} · Labrelay"));
    }
}

#[component]
pub fn App() -> impl IntoView {
    live::init();
    let session: SessionSignal = RwSignal::new(api::session());
    provide_context(session);
    let reason = RwSignal::new(None::<String>);
    provide_context(SignedOutReason(reason));
    api::on_signed_out(move || {
        reason.try_set(Some(api::user_words(401, "invalid token")));
        session.try_set(None);
    });
    let signed_in = move || session.with(Option::is_some);
    view! {
        <Router>
            <a class="skip" href="#main">"Skip to content"</a>
            <Show when=signed_in fallback=|| view! { <LoginPage/> }>
                <Header/>
                <main id="main" tabindex="-1">
                    <FlatRoutes fallback=|| view! { <NotFound/> }>
                        <Route path=path!("/") view=JobsPage/>
                        <Route path=path!("/jobs") view=JobsPage/>
                        <Route path=path!("/jobs/:id") view=JobPage/>
                        <Route path=path!("/results/:id") view=ResultPage/>
                        <Route path=path!("/results/:id/tests/:seq") view=TestLogPage/>
                        <Route path=path!("/launch") view=LaunchPage/>
                        <Route path=path!("/packages") view=PackagesPage/>
                        <Route path=path!("/configs") view=ConfigsPage/>
                        <Route path=path!("/devices") view=DevicesPage/>
                        <Route path=path!("/agents") view=AgentsPage/>
                    </FlatRoutes>
                </main>
            </Show>
        </Router>
    }
}

#[component]
fn Header() -> impl IntoView {
    let session = use_session();
    let name = move || session.with(|s| s.as_ref().map(|s| s.name.clone()).unwrap_or_default());
    let sign_out = move |_| {
        leptos::task::spawn_local(async move {
            api::sign_out_everywhere().await;
            session.set(None);
        });
    };
    view! {
        <header class="top">
            <a class="brand" href="/">"Labrelay"</a>
            <nav aria-label="Main">
                <A href="/" exact=true>"Jobs"</A>
                <A href="/launch">"Launch"</A>
                <A href="/packages">"Packages"</A>
                <A href="/configs">"Configs"</A>
                <A href="/devices">"Devices"</A>
                <A href="/agents">"Agents"</A>
            </nav>
            <div class="who">
                <span class="muted">{name}</span>
                <button type="button" class="link" on:click=sign_out>"Sign out"</button>
            </div>
        </header>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    set_title("Not found");
    view! {
        <h1>"Not found"</h1>
        <p>"There is no page here. " <a href="/">"Go to the jobs list"</a>"."</p>
    }
    .into_any()
}
