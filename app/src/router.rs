//! The client-side router: the URL as a signal, same-origin links that navigate without a
//! reload, the back and forward buttons. Which page a path shows is `model::route`. (This
//! replaces leptos_router, which cost ~25 KB of gzipped wasm for the same job here.)

use crate::model::query;
use leptos::prelude::*;
use std::cell::Cell;
use wasm_bindgen::JsCast;

/// Where the app is: the path, and the query string without its `?`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Url {
    pub path: String,
    pub search: String,
}

thread_local! {
    static URL: Cell<Option<RwSignal<Url>>> = const { Cell::new(None) };
}

fn location() -> Url {
    let Some(loc) = web_sys::window().map(|w| w.location()) else {
        return Url::default();
    };
    Url {
        path: loc.pathname().unwrap_or_else(|_| "/".into()),
        search: loc
            .search()
            .unwrap_or_default()
            .trim_start_matches('?')
            .to_string(),
    }
}

/// Creates the URL signal under the app's root owner and starts following the browser's
/// history and link clicks (call once, from `App`).
pub fn init() {
    let url = RwSignal::new(location());
    URL.with(|u| u.set(Some(url)));
    // The app lives as long as the page: the listeners are never removed.
    std::mem::forget(window_event_listener(leptos::ev::popstate, move |_| {
        url.set(location());
    }));
    std::mem::forget(window_event_listener(leptos::ev::click, on_click));
}

fn url() -> RwSignal<Url> {
    URL.with(Cell::get)
        .unwrap_or_else(|| RwSignal::new(location()))
}

/// The current path, tracked.
pub fn path() -> Memo<String> {
    let url = url();
    Memo::new(move |_| url.with(|u| u.path.clone()))
}

/// The current query string (without `?`), tracked.
pub fn search() -> Memo<String> {
    let url = url();
    Memo::new(move |_| url.with(|u| u.search.clone()))
}

/// One query parameter's value, tracked.
pub fn query_param(name: &'static str) -> Memo<Option<String>> {
    let url = url();
    Memo::new(move |_| {
        url.with(|u| {
            query::parse(&u.search)
                .into_iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v)
        })
    })
}

/// Whether a navigation link to `href` is the current page (`/` only for itself).
pub fn is_current(href: &str) -> bool {
    url().with(|u| {
        if href == "/" {
            u.path == "/"
        } else {
            u.path == href || u.path.starts_with(&format!("{href}/"))
        }
    })
}

/// Goes to `href` (a path with an optional `?query`), adding a history entry.
pub fn navigate(href: &str) {
    let Some(w) = web_sys::window() else { return };
    if let Ok(history) = w.history() {
        let _ = history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(href));
    }
    url().set(location());
    w.scroll_to_with_x_and_y(0.0, 0.0);
}

/// A plain click on a same-origin link navigates in the app; anything else (a new tab, a
/// download, `rel="external"`, a `#fragment` on this page) is left to the browser.
fn on_click(ev: web_sys::MouseEvent) {
    if ev.default_prevented()
        || ev.button() != 0
        || ev.meta_key()
        || ev.ctrl_key()
        || ev.shift_key()
        || ev.alt_key()
    {
        return;
    }
    let Some(a) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|el| el.closest("a[href]").ok().flatten())
        .and_then(|el| el.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    else {
        return;
    };
    let here = location();
    let own_origin = web_sys::window().and_then(|w| w.location().origin().ok());
    if a.has_attribute("download")
        || !a.target().is_empty()
        || a.rel().split_whitespace().any(|r| r == "external")
        || own_origin.as_deref() != Some(a.origin().as_str())
    {
        return;
    }
    let search = a.search();
    let same_page = a.pathname() == here.path && search.trim_start_matches('?') == here.search;
    if same_page && !a.hash().is_empty() {
        return;
    }
    ev.prevent_default();
    navigate(&format!("{}{search}{}", a.pathname(), a.hash()));
}
