//! Results side by side: CDRouter's `POST /api/v1/results/?stats=diff` (each test's record in
//! every result asked for that ran it).

use super::{write, Result};
use gloo_net::http::Method;
use labrelay_api::stats::{DiffStats, ResultRef};
use labrelay_api::Id;

/// The tests of these results (2 to 20; the server says so past that), in the order they
/// first ran, each with its record in every result that ran it.
pub async fn result_diff(ids: &[Id]) -> Result<DiffStats> {
    let body: Vec<ResultRef> = ids.iter().map(|&id| ResultRef { id }).collect();
    write(Method::POST, "/api/v1/results/?stats=diff", &body).await
}
