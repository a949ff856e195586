//! Reservations: a device or an agent held for one user's jobs for a while.

use super::{delete, get, write, Result};
use gloo_net::http::Method;
use labrelay_api::reservations::{Reservation, ReservationInput};
use labrelay_api::Id;

pub async fn reservations() -> Result<Vec<Reservation>> {
    get("/api/v1/reservations/").await
}

pub async fn reserve(input: &ReservationInput) -> Result<Reservation> {
    write(Method::POST, "/api/v1/reservations/", input).await
}

/// Holds it `minutes` from now.
pub async fn renew(id: Id, minutes: u32) -> Result<Reservation> {
    let input = ReservationInput {
        minutes: Some(minutes),
        ..ReservationInput::default()
    };
    write(
        Method::PATCH,
        &format!("/api/v1/reservations/{id}/"),
        &input,
    )
    .await
}

/// Gives it back now.
pub async fn release(id: Id) -> Result<()> {
    delete(&format!("/api/v1/reservations/{id}/")).await
}
