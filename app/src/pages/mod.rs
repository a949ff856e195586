//! One page per file; private sub-components stay with the page that uses them.

mod compare;
mod job;
mod jobs;
mod launch;
mod login;
mod overview;
mod reservations;
mod resources;
mod result;
mod test_log;

pub use compare::ComparePage;
pub use job::JobPage;
pub use jobs::{FirstRun, JobsPage};
pub use launch::LaunchPage;
pub use login::LoginPage;
pub use overview::OverviewPage;
pub use reservations::ReservationsPage;
pub use resources::{ResourcePage, AGENTS, CONFIGS, DEVICES, PACKAGES};
pub use result::ResultPage;
pub use test_log::TestLogPage;
