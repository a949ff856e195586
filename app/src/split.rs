//! Pages and parts of pages in wasm modules of their own, fetched when first shown: every
//! page (the first module holds the shell and sign-in), and the jobs list's first-run demos.
//! `cargo xtask` splits the wasm at these functions (xtask/src/app_wasm.rs) and packs each
//! page's modules in one file for a visit's first page (app_pack.rs); natively they are plain
//! async functions.
//!
//! A module that cannot be fetched (the server went away, or a newer build replaced this one's
//! files) is said in words with "Try again" and "Reload": never a panic.

use crate::components::dyn_view;
use crate::model::resource::Resource;
use crate::model::route::Route;
use crate::pages::*;
use labrelay_api::Id;
use leptos::prelude::*;
use leptos::wasm_split::{wasm_split, SplitLoaderError};
use send_wrapper::SendWrapper;
use std::future::Future;
use std::pin::Pin;
use std::{cell::RefCell, rc::Rc};
use wasm_bindgen::JsCast;

/// A part of the page in a module of its own.
pub type Part = Result<AnyView, SplitLoaderError>;

#[derive(Clone, Copy, PartialEq)]
enum State {
    Loading,
    Failed,
    Arrived,
}

/// A page (or part) from a module of its own: nothing while the module comes (at once once
/// it has been fetched), then the view, made under this route's owner, so it lives and goes
/// as one in the first module would. A navigation before it arrives cancels it.
pub fn later<F, Fut>(part: F) -> AnyView
where
    F: Fn() -> Fut + 'static,
    Fut: Future<Output = Part> + 'static,
{
    let state = RwSignal::new(State::Loading);
    let slot = SendWrapper::new(Rc::new(RefCell::new(None::<AnyView>)));
    let fill = slot.clone();
    // The route's owner, also for a retry from the error's button (whose own owner goes with
    // the error, and would cancel the fetch it starts).
    let owner = Owner::current();
    let load = SendWrapper::new(Rc::new(move || {
        let fill = fill.clone();
        let part = part();
        state.set(State::Loading);
        let spawn = || {
            untrack(|| {
                leptos::task::spawn_local_scoped_with_cancellation(async move {
                    match part.await {
                        Ok(view) => {
                            *fill.borrow_mut() = Some(view);
                            state.try_set(State::Arrived);
                        }
                        Err(_) => {
                            state.try_set(State::Failed);
                        }
                    }
                })
            })
        };
        match &owner {
            Some(owner) => owner.with(spawn),
            None => spawn(),
        }
    }));
    load();
    view! {
        {dyn_view(move || match state.get() {
            State::Loading => ().into_any(),
            State::Arrived => slot.borrow_mut().take().into_any(),
            State::Failed => {
                let again = load.clone();
                view! {
                    <div class="banner banner-error" role="alert">
                        <p>"This page could not be loaded: its code did not arrive from the \
                            server. The connection may be down, or a newer Labrelay may have \
                            been installed (then reload)."</p>
                        <button type="button" on:click=move |_| again()>"Try again"</button>
                        " "
                        <button type="button" on:click=|_| reload()>"Reload the page"</button>
                    </div>
                }
                .into_any()
            }
        })}
    }
    .into_any()
}

/// Fetches a page's modules ahead when the pointer or the focus reaches a link to it: the
/// click usually follows a few hundred milliseconds later. Call once, from `App`.
pub fn preload_on_intent() {
    let ahead = |ev: web_sys::Event| {
        let href = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest("a[href]").ok().flatten())
            .and_then(|el| el.dyn_into::<web_sys::HtmlAnchorElement>().ok())
            .map(|a| a.pathname());
        if let Some(path) = href {
            preload(&Route::parse(&path));
        }
    };
    // The app lives as long as the page: the listeners are never removed.
    std::mem::forget(window_event_listener(leptos::ev::pointerover, move |ev| {
        ahead(ev.into())
    }));
    std::mem::forget(window_event_listener(leptos::ev::focusin, move |ev| {
        ahead(ev.into())
    }));
}

type Preload = Pin<Box<dyn Future<Output = Result<(), SplitLoaderError>>>>;

/// A route's modules, fetched without showing it (at once when they are in). A failure is
/// left to the visit, which says it in words.
fn preload(route: &Route) {
    let load: Preload = match route {
        Route::Job(_) => Box::pin(__wasm_split_preload_job()),
        Route::Result(_) => Box::pin(__wasm_split_preload_result()),
        Route::TestLog(..) => Box::pin(__wasm_split_preload_test_log()),
        Route::Compare => Box::pin(__wasm_split_preload_compare()),
        Route::Launch => Box::pin(__wasm_split_preload_launch()),
        Route::List(Resource::Packages) => Box::pin(__wasm_split_preload_packages()),
        Route::List(Resource::Configs) => Box::pin(__wasm_split_preload_configs()),
        Route::List(Resource::Devices) => Box::pin(__wasm_split_preload_devices()),
        Route::List(Resource::Agents) => Box::pin(__wasm_split_preload_agents()),
        Route::Reservations => Box::pin(__wasm_split_preload_reservations()),
        Route::Overview => Box::pin(__wasm_split_preload_overview()),
        Route::Jobs => Box::pin(__wasm_split_preload_jobs()),
        Route::Panic | Route::NotFound => return,
    };
    leptos::task::spawn_local(async move {
        let _ = load.await;
    });
}

fn reload() {
    if let Some(w) = web_sys::window() {
        let _ = w.location().reload();
    }
}

#[wasm_split(page_jobs, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn jobs() -> Part {
    Ok(view! { <JobsPage/> }.into_any())
}

#[wasm_split(page_job, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn job(id: Id) -> Part {
    Ok(view! { <JobPage id/> }.into_any())
}

#[wasm_split(page_result, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn result(id: Id) -> Part {
    Ok(view! { <ResultPage id/> }.into_any())
}

#[wasm_split(page_test_log, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn test_log(id: Id, seq: Id) -> Part {
    Ok(view! { <TestLogPage id seq/> }.into_any())
}

#[wasm_split(page_compare, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn compare() -> Part {
    Ok(view! { <ComparePage/> }.into_any())
}

#[wasm_split(page_launch, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn launch() -> Part {
    Ok(view! { <LaunchPage/> }.into_any())
}

/// One module per resource page: each holds its own editor and columns.
pub async fn resource(resource: Resource) -> Part {
    match resource {
        Resource::Packages => packages().await,
        Resource::Configs => configs().await,
        Resource::Devices => devices().await,
        Resource::Agents => agents().await,
    }
}

#[wasm_split(page_packages, wasm_split_path = ::leptos::wasm_split, fallible)]
fn packages() -> Part {
    Ok(view! { <ResourcePage resource=Resource::Packages spec=PACKAGES/> }.into_any())
}

#[wasm_split(page_configs, wasm_split_path = ::leptos::wasm_split, fallible)]
fn configs() -> Part {
    Ok(view! { <ResourcePage resource=Resource::Configs spec=CONFIGS/> }.into_any())
}

#[wasm_split(page_devices, wasm_split_path = ::leptos::wasm_split, fallible)]
fn devices() -> Part {
    Ok(view! { <ResourcePage resource=Resource::Devices spec=DEVICES/> }.into_any())
}

#[wasm_split(page_agents, wasm_split_path = ::leptos::wasm_split, fallible)]
fn agents() -> Part {
    Ok(view! { <ResourcePage resource=Resource::Agents spec=AGENTS/> }.into_any())
}

#[wasm_split(page_reservations, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn reservations() -> Part {
    Ok(view! { <ReservationsPage/> }.into_any())
}

#[wasm_split(page_overview, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn overview() -> Part {
    Ok(view! { <OverviewPage/> }.into_any())
}

#[wasm_split(part_first_run, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn first_run() -> Part {
    Ok(view! { <FirstRun/> }.into_any())
}

/// Slack for wasm-split-cli. It lays each data segment out again, module by module with each
/// part aligned, and when that comes out longer than the input segment (by a few bytes of
/// padding) it keeps the whole segment, every page's text, in the first module. These two
/// statics, which nothing reads, lengthen the read-only and the mutable segment so it need not.
#[cfg(target_arch = "wasm32")]
#[used]
static READ_ONLY_SLACK: [u8; 1024] = [0xA5; 1024];
#[cfg(target_arch = "wasm32")]
#[used]
static mut MUTABLE_SLACK: [u8; 256] = [0xA5; 256];
