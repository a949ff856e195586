//! Configs: their CDRouter text, with the interfaces it defines shown as it is typed.

use super::{BoxFut, Cell, Column, FieldKind as K, FieldSpec as F, Row, Rows, Saved, Spec};
use super::{DESCRIPTION, LOCKED, NAME, NOTE, TAGS};
use crate::model::fields::{config_fields, config_input, tags_text, Fields};
use crate::model::resource::Resource;
use labrelay_api::resources::Config;
use labrelay_api::Id;

const R: Resource = Resource::Configs;

const COLUMNS: &[Column] = &[
    Column::NAME,
    Column::DESCRIPTION,
    Column::TAGS,
    Column::LOCKED,
    Column::new("Updated", Some("updated")),
];

const FIELDS: &[F] = &[
    NAME,
    DESCRIPTION,
    F::new("contents", "Contents", K::ConfigText)
        .hint("testvar lines, # comments and testvar_group blocks, as cdrouter-cli reads them."),
    TAGS,
    NOTE,
    LOCKED,
];

fn row(c: Config) -> Row {
    let more = vec![
        Cell::Text(tags_text(&c.tags)),
        Cell::locked(c.locked),
        Cell::Time(c.updated),
    ];
    Row::named(c.id, c.name, c.description, more)
}

super::by_name!(R, Config, row, config_fields, |f| Ok::<_, String>(
    config_input(f)
));

pub static SPEC: Spec = Spec::editable(COLUMNS, FIELDS, rows, load, save, "New config");
