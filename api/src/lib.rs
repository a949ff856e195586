//! Labrelay's wire types and query language, shared by the worker, the app and the agent.
//!
//! Pure code: no I/O, builds for wasm32 and native alike.

pub mod agents;
pub mod cdrouter;
pub mod dispatch;
pub mod envelope;
pub mod error;
pub mod id;
pub mod interfaces;
pub mod jobs;
pub mod labs;
pub mod limits;
pub mod logview;
pub mod query;
pub mod resources;
pub mod results;
pub mod time;
pub mod users;

pub use envelope::{Envelope, ErrorBody, ListEnvelope};
pub use id::Id;
pub use time::Timestamp;
