//! Devices under test: who made them, which model and software.

use super::{
    BoxFut, Cell, Column, EditorSpec, FieldKind as K, FieldSpec as F, Row, Rows, Saved, Spec,
};
use crate::model::fields::{device_fields, device_input, tags_text, Fields};
use crate::model::resource::Resource;
use labrelay_api::resources::Device;
use labrelay_api::Id;

const R: Resource = Resource::Devices;

const COLUMNS: &[Column] = &[
    Column::new("Name", Some("name")),
    Column::new("Description", None).wide_only(),
    Column::new("State", Some("state")),
    Column::new("Manufacturer", Some("manufacturer")),
    Column::new("Model", Some("model_name")).wide_only(),
    Column::new("Software", Some("software_version")).wide_only(),
    Column::new("Tags", None).wide_only(),
    Column::new("Locked", Some("locked")).wide_only(),
];

const STATES: &[(&str, &str)] = &[
    ("ready", "Ready"),
    ("maintenance", "In maintenance"),
    ("bad", "Bad (a health check failed)"),
    ("retired", "Retired"),
];

const FIELDS: &[F] = &[
    F::new("name", "Name", K::Text).required(),
    F::new("description", "Description", K::Text),
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
    F::new("tags", "Tags", K::Text).hint("Separate tags with commas or spaces."),
    F::new("note", "Note", K::Text),
    F::new("locked", "Locked (cannot be edited or deleted)", K::Flag),
];

fn row(d: Device) -> Row {
    Row {
        id: d.id,
        cells: vec![
            Cell::Text(d.name.clone()),
            Cell::Text(d.description),
            Cell::Sub(
                format!("{} · health {}", d.state.as_str(), d.health.as_str()),
                d.state_note.clone(),
            ),
            Cell::Text(d.manufacturer),
            Cell::Text(d.model_name),
            Cell::Text(d.software_version),
            Cell::Text(tags_text(&d.tags)),
            Cell::Text(if d.locked { "locked" } else { "" }.into()),
        ],
        name: d.name,
    }
}

fn rows(query: String) -> BoxFut<Rows> {
    super::rows_of(R, query, row)
}

fn load(id: Id) -> BoxFut<Fields> {
    super::load_of(R, id, device_fields)
}

fn save(id: Option<Id>, f: Fields) -> BoxFut<Saved> {
    super::save_of(R, id, device_input(&f), |d: Device| super::named(d.name))
}

pub static SPEC: Spec = Spec {
    columns: COLUMNS,
    rows,
    editor: EditorSpec {
        fields: FIELDS,
        editable: true,
        new_title: "New device",
        load,
        save,
    },
    new_label: "New device",
    admin_only: false,
};
