//! Type-erased reactive closures: by hand, what leptos's `--cfg erase_components` does to
//! `view!`. Every `move || view` otherwise gets its own copy of the render-effect code;
//! through these they share one, which keeps the wasm small (see `cargo xtask bench app`).

use leptos::prelude::*;
use leptos::tachys::reactive_graph::SharedReactiveFunction;
use std::sync::{Arc, Mutex};

/// A reactive child view.
pub fn dyn_view<V: IntoView + 'static>(
    mut f: impl FnMut() -> V + Send + 'static,
) -> SharedReactiveFunction<AnyView> {
    Arc::new(Mutex::new(move || f().into_any()))
}

/// A reactive attribute, property or text.
pub fn dyn_value<T: 'static>(f: impl FnMut() -> T + Send + 'static) -> SharedReactiveFunction<T> {
    Arc::new(Mutex::new(f))
}
