//! Pages and parts of pages in wasm modules of their own, fetched when first shown: every
//! page but the jobs list (the first module holds it, the shell and sign-in), and the jobs
//! list's first-run demos. `cargo xtask` splits the wasm at these `#[lazy]` functions
//! (xtask/src/app_wasm.rs); natively they are plain async functions.

use crate::components::dyn_view;
use crate::model::resource::Resource;
use crate::pages::*;
use labrelay_api::Id;
use leptos::lazy;
use leptos::prelude::*;

/// A page from a module of its own: nothing until the module is in (at once once it has been
/// fetched), then the page, made under this route's owner, so it lives and goes as one in the
/// main module would. A navigation before the module arrives cancels it.
pub fn later(page: impl std::future::Future<Output = AnyView> + 'static) -> AnyView {
    use send_wrapper::SendWrapper;
    use std::{cell::RefCell, rc::Rc};
    let arrived = RwSignal::new(false);
    let slot = SendWrapper::new(Rc::new(RefCell::new(None::<AnyView>)));
    let fill = slot.clone();
    untrack(|| {
        leptos::task::spawn_local_scoped_with_cancellation(async move {
            let view = page.await;
            *fill.borrow_mut() = Some(view);
            arrived.try_set(true);
        })
    });
    view! {
        {dyn_view(move || {
            arrived.track();
            slot.borrow_mut().take()
        })}
    }
    .into_any()
}

#[lazy]
pub fn job(id: Id) -> AnyView {
    view! { <JobPage id/> }.into_any()
}
#[lazy]
pub fn result(id: Id) -> AnyView {
    view! { <ResultPage id/> }.into_any()
}
#[lazy]
pub fn test_log(id: Id, seq: Id) -> AnyView {
    view! { <TestLogPage id seq/> }.into_any()
}
#[lazy]
pub fn launch() -> AnyView {
    view! { <LaunchPage/> }.into_any()
}
#[lazy]
pub fn resource(resource: Resource) -> AnyView {
    view! { <ResourcePage resource/> }.into_any()
}
#[lazy]
pub fn reservations() -> AnyView {
    view! { <ReservationsPage/> }.into_any()
}
#[lazy]
pub fn overview() -> AnyView {
    view! { <OverviewPage/> }.into_any()
}

#[lazy]
pub fn first_run() -> AnyView {
    view! { <FirstRun/> }.into_any()
}
