//! Packages: name, testlist, default config and device, pinned agent; launched from their row.

use super::{BoxFut, Cell, Column, FieldKind as K, FieldSpec as F, Row, Rows, Saved, Spec};
use super::{DESCRIPTION, LOCKED, NAME, NOTE, TAGS};
use crate::model::fields::{package_fields, package_input, tags_text, Fields};
use crate::model::resource::Resource;
use labrelay_api::resources::Package;
use labrelay_api::Id;

const R: Resource = Resource::Packages;

const COLUMNS: &[Column] = &[
    Column::NAME,
    Column::DESCRIPTION,
    Column::new("Tests", Some("test_count")),
    Column::new("Priority", Some("priority")).wide_only(),
    Column::new("Next scheduled run", None).wide_only(),
    Column::TAGS,
    Column::LOCKED,
    Column::new("Updated", Some("updated")).wide_only(),
];

const FIELDS: &[F] = &[
    NAME,
    DESCRIPTION,
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
    TAGS,
    NOTE,
    LOCKED,
];

fn row(p: Package) -> Row {
    let next_run = p
        .schedule_next
        .map_or(Cell::Text(String::new()), Cell::Time);
    let more = vec![
        Cell::Num(p.test_count),
        Cell::Num(u64::from(p.priority)),
        next_run,
        Cell::Text(tags_text(&p.tags)),
        Cell::locked(p.locked),
        Cell::Time(p.updated),
    ];
    Row::named(p.id, p.name, p.description, more)
}

super::by_name!(R, Package, row, package_fields, package_input);

pub static SPEC: Spec = Spec::editable(COLUMNS, FIELDS, rows, load, save, "New package");
