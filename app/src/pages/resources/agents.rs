//! Lab agents: online or not, last seen, interfaces, what they run. Administrators register
//! them (the token is shown once) and remove them; they are never edited.

use super::{
    BoxFut, Cell, Column, EditorSpec, FieldKind as K, FieldSpec as F, Row, Rows, Saved, Spec, NAME,
};
use crate::model::fields::{agent_input, Fields};
use crate::model::resource::Resource;
use labrelay_api::agents::Agent;
use labrelay_api::Id;

const R: Resource = Resource::Agents;

const COLUMNS: &[Column] = &[
    Column::NAME,
    Column::new("State", None),
    Column::new("Last seen", Some("last_seen")),
    Column::new("Interfaces", None).wide_only(),
    Column::new("Running", None),
    Column::new("Host", Some("host")).wide_only(),
];

const FIELDS: &[F] = &[
    NAME,
    F::new("labels", "Labels", K::Text).hint("e.g. lab2, wifi"),
];

fn row(a: Agent) -> Row {
    Row {
        id: a.id,
        cells: vec![
            Cell::Sub(a.name.clone(), a.labels.join(", ")),
            Cell::Online(a.online),
            Cell::Ago(a.last_seen),
            Cell::Mono(a.interfaces.join(", ")),
            Cell::Jobs(a.jobs),
            Cell::Sub(a.host, a.version),
        ],
        name: a.name,
    }
}

fn rows(query: String) -> BoxFut<Rows> {
    super::rows_of(R, query, row)
}

/// Never called: agents are not edited.
fn load(_: Id) -> BoxFut<Fields> {
    Box::pin(async { Ok(Fields::default()) })
}

fn save(_: Option<Id>, f: Fields) -> BoxFut<Saved> {
    // Registered, never edited: the token is shown once.
    super::save_of(R, None, agent_input(&f), |a: Agent| Saved {
        name: a.name,
        token: Some(a.token.unwrap_or_default()),
    })
}

pub static SPEC: Spec = Spec {
    columns: COLUMNS,
    rows,
    editor: EditorSpec {
        fields: FIELDS,
        editable: false,
        new_title: "Register an agent",
        load,
        save,
    },
    new_label: "Register an agent",
    admin_only: true,
};
