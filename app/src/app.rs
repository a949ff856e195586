//! The app shell: sign-in gate, header and navigation, and the route table.

use crate::api::{self, Session};
use crate::components::{dyn_value, dyn_view};
use crate::model::resource::Resource;
use crate::model::route::Route;
use crate::pages::*;
use crate::split::{self, later};
use crate::{live, router};
use leptos::prelude::*;

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
    split::preload_on_intent();
    router::init();
    crate::components::time::init();
    let session: SessionSignal = RwSignal::new(api::session());
    provide_context(session);
    let reason = RwSignal::new(None::<String>);
    provide_context(SignedOutReason(reason));
    api::on_signed_out(move || {
        reason.try_set(Some(api::user_words(401, "invalid token")));
        session.try_set(None);
    });
    let signed_in = move || session.with(Option::is_some);
    let path = router::path();
    // A new page only when the route changes (a new query string is the page's own state).
    let route = Memo::new(move |_| Route::parse(&path.get()));
    let page = dyn_view(move || route_view(route.get()));
    view! {
        <a class="skip" href="#main">"Skip to content"</a>
        <Show when=signed_in fallback=|| view! { <LoginPage/> }>
            <Header/>
            <main id="main" tabindex="-1">{page.clone()}</main>
        </Show>
    }
}

/// The route table's views. Each page is in modules of its own, fetched when first visited
/// (split.rs); the first module holds only the shell and sign-in.
fn route_view(route: Route) -> AnyView {
    match route {
        Route::Jobs => later(split::jobs),
        Route::Job(id) => later(move || split::job(id)),
        Route::Result(id) => later(move || split::result(id)),
        Route::TestLog(id, seq) => later(move || split::test_log(id, seq)),
        Route::Compare => later(split::compare),
        Route::Launch => later(split::launch),
        Route::List(resource) => later(move || split::resource(resource)),
        Route::Reservations => later(split::reservations),
        Route::Overview => later(split::overview),
        Route::Panic => panic!("a deliberate panic (the /debug/panic page)"),
        Route::NotFound => view! { <NotFound/> }.into_any(),
    }
}

/// A link in the main navigation, marked when it is the current page.
fn nav_link(href: &'static str, label: &'static str) -> impl IntoView {
    let current = move || router::is_current(href).then_some("page");
    view! { <a href=href aria-current=dyn_value(current)>{label}</a> }
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
                {nav_link("/", "Jobs")}
                {nav_link("/launch", "Launch")}
                {Resource::ALL.map(|r| nav_link(r.path(), r.nav_label())).into_iter().collect_view()}
                {nav_link("/reservations", "Reservations")}
            </nav>
            <LabPicker/>
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

/// Which lab the app works in, when the user may use more than the default: a select that
/// switches (and reloads on the jobs list), and the all-labs overview.
#[component]
fn LabPicker() -> impl IntoView {
    let labs = RwSignal::new(Vec::<String>::new());
    leptos::task::spawn_local(async move {
        if let Ok(list) = api::labs().await {
            labs.try_set(list.into_iter().map(|l| l.name).collect());
        }
    });
    let current =
        api::lab::current().unwrap_or_else(|| labrelay_api::labs::DEFAULT_LAB.to_string());
    let change = move |ev: leptos::ev::Event| {
        let lab = event_target_value(&ev);
        api::lab::choose(Some(&lab));
        if let Some(w) = web_sys::window() {
            let _ = w.location().assign("/");
        }
    };
    dyn_view(move || {
        let list = labs.get();
        (list.len() > 1).then(|| {
            let current = current.clone();
            view! {
                <div class="lab-picker">
                    <label for="lab-picker">"Lab"</label>
                    <select id="lab-picker" on:change=change>
                        {list.into_iter().map(|l| {
                            let selected = l == current;
                            view! { <option value=l.clone() selected=selected>{l.clone()}</option> }
                        }).collect_view()}
                    </select>
                    {nav_link("/overview", "All labs")}
                </div>
            }
        })
    })
}
