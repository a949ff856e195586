//! The `links` of a list response, and the page sizes they count in: what a client of the
//! API (the browser app) needs of paging, without the query engine.

use serde::{Deserialize, Serialize};

/// The page size when `limit` is not given.
pub const DEFAULT_LIMIT: u64 = 25;
/// The largest `limit` a client may ask for.
pub const MAX_LIMIT: u64 = 1000;
/// The highest page a client may ask for: with `MAX_LIMIT` rows a page, far past any list
/// the store holds, and an offset SQLite (and JavaScript's numbers) carry exactly.
pub const MAX_PAGE: u64 = 1_000_000;

/// Paging links of a list response. `next`/`prev` are absent when that page does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Links {
    pub first: u64,
    pub last: u64,
    pub current: u64,
    pub limit: u64,
    pub total: u64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub next: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub prev: Option<u64>,
}
