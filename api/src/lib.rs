//! Labrelay's wire types and query language, shared by the worker, the app and the agent.
//!
//! Pure code: no I/O, builds for wasm32 and native alike.
//!
//! Feature `engine` (default): the query engine (`query`'s filters, SQL, sorting, paging
//! requests), the API's errors, dispatch and the test-log view, with the regex crates they
//! need. A client that only reads and writes the wire types (the browser app) turns it off.

pub mod agents;
pub mod cdrouter;
#[cfg(feature = "engine")]
pub mod claim_sql;
pub mod cron;
pub mod csv;
pub mod device_state;
pub mod envelope;
#[cfg(feature = "engine")]
pub mod error;
pub mod id;
pub mod interfaces;
pub mod jobs;
pub mod junit;
pub mod labs;
pub mod limits;
#[cfg(feature = "engine")]
pub mod logview;
pub mod metrics;
pub mod query;
pub mod queue;
pub mod reservations;
pub mod resources;
pub mod results;
pub mod schedules;
pub mod stats;
pub mod system;
pub mod time;
pub mod users;
pub mod webhooks;

pub use envelope::{Envelope, ErrorBody, ListEnvelope};
pub use id::Id;
pub use time::Timestamp;
