//! Widgets the pages share.

pub mod badge;
pub mod confirm;
pub mod dynamic;
pub mod error_banner;
pub mod field;
pub mod interfaces;
pub mod list_tools;
pub mod pager;
pub mod progress;
pub mod sort_header;
pub mod states;
pub mod time;

pub use badge::StatusBadge;
pub use confirm::ConfirmButton;
pub use dynamic::{dyn_value, dyn_view};
pub use error_banner::{ErrorBanner, Notice};
pub use field::{CheckField, ChoiceSelect, IdSelect, TextArea, TextField};
pub use interfaces::InterfaceTable;
pub use pager::Pager;
pub use progress::ProgressBar;
pub use sort_header::SortHeader;
pub use states::{Empty, Loading};
pub use time::{Ago, Time};
