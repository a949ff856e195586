//! What an entry module does with a request: answers it, or hands it on to the store.

use worker::{Request, Response, Result};

/// Handled by an entry module, or the request back for the store.
pub enum Routed {
    Done(Result<Response>),
    Store(Request),
}
