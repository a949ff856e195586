//! Labrelay's browser app (Leptos, client-side): mounts the app on the page. The pure view
//! logic in `model` also builds natively, for `cargo test -p labrelay-app`.

// Natively only `model` is exercised (by its tests); the UI is wasm's.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code, unused_imports))]

mod api;
mod app;
mod components;
mod crash;
mod live;
mod model;
mod pages;
mod router;
mod split;

fn main() {
    #[cfg(target_arch = "wasm32")]
    {
        crash::install();
        leptos::mount::mount_to_body(app::App);
    }
}
