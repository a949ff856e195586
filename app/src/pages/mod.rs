//! One page per file; private sub-components stay with the page that uses them.

mod agents;
mod configs;
mod devices;
mod job;
mod jobs;
mod launch;
mod login;
mod packages;
mod result;
mod test_log;

pub use agents::AgentsPage;
pub use configs::ConfigsPage;
pub use devices::DevicesPage;
pub use job::JobPage;
pub use jobs::JobsPage;
pub use launch::LaunchPage;
pub use login::LoginPage;
pub use packages::PackagesPage;
pub use result::ResultPage;
pub use test_log::TestLogPage;
