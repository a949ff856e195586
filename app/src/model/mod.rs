//! View logic that is not markup: URL <-> view state, filter strings, request bodies, and how
//! values read on screen. Pure Rust with native unit tests (`cargo test -p labrelay-app`).

pub mod fields;
pub mod filters;
pub mod format;
pub mod jobs_view;
pub mod launch_form;
pub mod list_view;
pub mod metric_chart;
pub mod query;
pub mod resource;
pub mod route;
pub mod sort;
pub mod window;
