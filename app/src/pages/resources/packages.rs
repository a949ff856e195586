//! Packages: name, testlist, default config and device, pinned agent; launched from their row.

use super::{
    BoxFut, Cell, Column, EditorSpec, FieldKind as K, FieldSpec as F, Row, Rows, Saved, Spec,
};
use crate::api;
use crate::model::fields::{package_fields, package_input, tags_text, Fields};
use crate::model::resource::Resource;
use labrelay_api::resources::Package;
use labrelay_api::Id;

const R: Resource = Resource::Packages;

const COLUMNS: &[Column] = &[
    Column::new("Name", Some("name")),
    Column::new("Description", None).wide_only(),
    Column::new("Tests", Some("test_count")),
    Column::new("Priority", Some("priority")).wide_only(),
    Column::new("Next scheduled run", None).wide_only(),
    Column::new("Tags", None).wide_only(),
    Column::new("Locked", Some("locked")).wide_only(),
    Column::new("Updated", Some("updated")).wide_only(),
];

const FIELDS: &[F] = &[
    F::new("name", "Name", K::Text).required(),
    F::new("description", "Description", K::Text),
    F::new("testlist", "Tests, one per line", K::Lines(8))
        .hint("Test names as cdrouter-cli knows them; MODULE_x.tcl entries are allowed."),
    F::new("config_id", "Config", K::Pick(Resource::Configs, "None")),
    F::new("device_id", "Device", K::Pick(Resource::Devices, "None")),
    F::new(
        "agent_id",
        "Lab agent",
        K::Pick(Resource::Agents, "Any agent"),
    ),
    F::new("priority", "Priority", K::Number).hint(
        "0 to 100 (default 50): its jobs' priority unless a launch says; the highest runs first.",
    ),
    F::new("schedule_spec", "Schedule (cron, UTC)", K::Text).hint(
        "Five fields: minute hour day-of-month month day-of-week, e.g. 0 2 * * mon-fri; or @daily.",
    ),
    F::new(
        "schedule_enabled",
        "Schedule on: launch a job at each tick",
        K::Flag,
    ),
    F::new("extra_cli_args", "Extra CLI arguments", K::Text),
    F::new("tags", "Tags", K::Text).hint("Separate tags with commas or spaces."),
    F::new("note", "Note", K::Text),
    F::new("locked", "Locked (cannot be edited or deleted)", K::Flag),
];

fn row(p: Package) -> Row {
    Row {
        id: p.id,
        cells: vec![
            Cell::Text(p.name.clone()),
            Cell::Text(p.description),
            Cell::Num(p.test_count),
            Cell::Num(u64::from(p.priority)),
            match p.schedule_next {
                Some(t) => Cell::Time(t),
                None => Cell::Text(String::new()),
            },
            Cell::Text(tags_text(&p.tags)),
            Cell::Text(if p.locked { "locked" } else { "" }.into()),
            Cell::Time(p.updated),
        ],
        name: p.name,
    }
}

fn rows(query: String) -> BoxFut<Rows> {
    super::rows_of(R, query, row)
}

fn load(id: Id) -> BoxFut<Fields> {
    super::load_of(R, id, package_fields)
}

fn save(id: Option<Id>, f: Fields) -> BoxFut<Saved> {
    match package_input(&f) {
        Ok(input) => super::save_of(R, id, input, |p: Package| super::named(p.name)),
        Err(e) => Box::pin(async move { Err(api::Error::invalid(e)) }),
    }
}

pub static SPEC: Spec = Spec {
    columns: COLUMNS,
    rows,
    editor: EditorSpec {
        fields: FIELDS,
        editable: true,
        new_title: "New package",
        load,
        save,
    },
    new_label: "New package",
    admin_only: false,
};
