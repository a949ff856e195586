//! Configs: their CDRouter text, with the interfaces it defines shown as it is typed.

use super::{
    BoxFut, Cell, Column, EditorSpec, FieldKind as K, FieldSpec as F, Row, Rows, Saved, Spec,
};
use crate::model::fields::{config_fields, config_input, tags_text, Fields};
use crate::model::resource::Resource;
use labrelay_api::resources::Config;
use labrelay_api::Id;

const R: Resource = Resource::Configs;

const COLUMNS: &[Column] = &[
    Column::new("Name", Some("name")),
    Column::new("Description", None).wide_only(),
    Column::new("Tags", None).wide_only(),
    Column::new("Locked", Some("locked")).wide_only(),
    Column::new("Updated", Some("updated")),
];

const FIELDS: &[F] = &[
    F::new("name", "Name", K::Text).required(),
    F::new("description", "Description", K::Text),
    F::new("contents", "Contents", K::ConfigText)
        .hint("testvar lines, # comments and testvar_group blocks, as cdrouter-cli reads them."),
    F::new("tags", "Tags", K::Text).hint("Separate tags with commas or spaces."),
    F::new("note", "Note", K::Text),
    F::new("locked", "Locked (cannot be edited or deleted)", K::Flag),
];

fn row(c: Config) -> Row {
    Row {
        id: c.id,
        cells: vec![
            Cell::Text(c.name.clone()),
            Cell::Text(c.description),
            Cell::Text(tags_text(&c.tags)),
            Cell::Text(if c.locked { "locked" } else { "" }.into()),
            Cell::Time(c.updated),
        ],
        name: c.name,
    }
}

fn rows(query: String) -> BoxFut<Rows> {
    super::rows_of(R, query, row)
}

fn load(id: Id) -> BoxFut<Fields> {
    super::load_of(R, id, config_fields)
}

fn save(id: Option<Id>, f: Fields) -> BoxFut<Saved> {
    super::save_of(R, id, config_input(&f), |c: Config| super::named(c.name))
}

pub static SPEC: Spec = Spec {
    columns: COLUMNS,
    rows,
    editor: EditorSpec {
        fields: FIELDS,
        editable: true,
        new_title: "New config",
        load,
        save,
    },
    new_label: "New config",
    admin_only: false,
};
