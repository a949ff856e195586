//! The response envelope: `{timestamp, data}`, lists add `links`, errors are `{timestamp, error}`.

use crate::query::Links;
use crate::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
pub struct Envelope<T> {
    pub timestamp: Timestamp,
    pub data: T,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ListEnvelope<T> {
    pub timestamp: Timestamp,
    pub data: Vec<T>,
    pub links: Links,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub timestamp: Option<Timestamp>,
    pub error: String,
}
