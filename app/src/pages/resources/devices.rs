//! Devices under test: who made them, which model and software.

use super::{BoxFut, Cell, Column, FieldKind as K, FieldSpec as F, Row, Rows, Saved, Spec};
use super::{DESCRIPTION, LOCKED, NAME, NOTE, TAGS};
use crate::model::fields::{device_fields, device_input, tags_text, Fields};
use crate::model::resource::Resource;
use labrelay_api::resources::Device;
use labrelay_api::Id;

const R: Resource = Resource::Devices;

const COLUMNS: &[Column] = &[
    Column::NAME,
    Column::DESCRIPTION,
    Column::new("State", Some("state")),
    Column::new("Manufacturer", Some("manufacturer")),
    Column::new("Model", Some("model_name")).wide_only(),
    Column::new("Software", Some("software_version")).wide_only(),
    Column::TAGS,
    Column::LOCKED,
];

const STATES: &[(&str, &str)] = &[
    ("ready", "Ready"),
    ("maintenance", "In maintenance"),
    ("bad", "Bad (a health check failed)"),
    ("retired", "Retired"),
];

const FIELDS: &[F] = &[
    NAME,
    DESCRIPTION,
    F::new("state", "State", K::Choice(STATES)).hint(
        "Only a ready device runs jobs; the others hold its queue (the jobs wait, saying why).",
    ),
    F::new("state_note", "State note", K::Text).hint("Why: shown with the jobs that wait for it."),
    F::new(
        "health_package_id",
        "Health check package",
        K::Pick(Resource::Packages, "None"),
    )
    .hint("Run before the next job whenever the device's health is unknown; a failed check marks it bad."),
    F::new("health_every_hours", "Check again every (hours)", K::Number)
        .hint("0: only after maintenance or a job that ended in error."),
    F::new("manufacturer", "Manufacturer", K::Text),
    F::new("model_name", "Model", K::Text),
    F::new("serial_number", "Serial number", K::Text),
    F::new("software_version", "Software version", K::Text),
    TAGS,
    NOTE,
    LOCKED,
];

fn row(d: Device) -> Row {
    let state = format!("{} · health {}", d.state.as_str(), d.health.as_str());
    let more = vec![
        Cell::Sub(state, d.state_note.clone()),
        Cell::Text(d.manufacturer),
        Cell::Text(d.model_name),
        Cell::Text(d.software_version),
        Cell::Text(tags_text(&d.tags)),
        Cell::locked(d.locked),
    ];
    Row::named(d.id, d.name, d.description, more)
}

super::by_name!(R, Device, row, device_fields, |f| Ok::<_, String>(
    device_input(f)
));

pub static SPEC: Spec = Spec::editable(COLUMNS, FIELDS, rows, load, save, "New device");
