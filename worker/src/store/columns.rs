//! A CDRouter-shaped record's columns, declared once (`record!`): the row struct, its new
//! (blank) row, what a create/edit body sets, and the column list and binds that `crud::store`
//! writes with `INSERT` and `UPDATE`. Adding a column is one line here plus a migration
//! (`schema.rs`); its wire form is the resource's `wire`.
//!
//! Every record has `id`, `name`, `description`, `tags`, `note`, `locked`, `user_id`,
//! `created` and `updated` (each one a filter and sort field); a declaration lists the rest,
//! each `name: type = default`, then when the body's key of the same name sets it as is
//! `=> how` (`text`: a string, `json`: stored as JSON text, `id`: an id, `int`: a number), and
//! when lists may filter and sort by it `, filter T` (the query language's field type); then
//! the fields computed in SQL (`name: T = "sql"`). The declaration names the query language's
//! schema too (`query NAME`), its table and its noun
//! (`table "packages", noun "package"`).

use super::db::{json_string, Binds};
use super::list::Table;
use labrelay_api::query::Schema;

/// Which table a record lives in, how messages name it, and what its lists filter by.
pub struct Kind {
    pub table: Table,
    /// The singular name used in messages: `no such package`.
    pub noun: &'static str,
    pub schema: &'static Schema,
}

/// What `record!` derives for a row type.
pub trait Record: serde::de::DeserializeOwned + Sized {
    const KIND: Kind;
    /// A create/edit body: every key optional.
    type Input: serde::de::DeserializeOwned + NamedInput;
    /// The written columns (all but `id`), in the order of `binds`.
    const COLUMNS: &'static [&'static str];
    /// A new record named `name`, before the create body's keys apply.
    fn blank(name: String, user_id: i64, now_us: i64) -> Self;
    /// Sets the columns the body's keys set as they are (taken out of `input`).
    fn apply_columns(&mut self, input: &mut Self::Input);
    fn binds(&self) -> Binds;
    fn id(&self) -> i64;
    fn locked(&self) -> bool;
    fn set_name(&mut self, name: String);
    fn set_updated(&mut self, now_us: i64);
    /// A copy's: `user_id`'s, made now, unlocked.
    fn set_new_owner(&mut self, user_id: i64, now_us: i64);
}

/// How a body's value becomes a column's.
pub fn text(v: String) -> String {
    v
}
pub fn json<T: serde::Serialize>(v: T) -> String {
    json_string(&v)
}
pub fn id(v: labrelay_api::Id) -> i64 {
    v.as_i64()
}
pub fn int<T: Into<i64>>(v: T) -> i64 {
    v.into()
}

/// The two keys of a create/edit body the shared flows look at.
pub trait NamedInput {
    fn name(&self) -> Option<&str>;
    fn locked(&self) -> Option<bool>;
}

macro_rules! named_input {
    ($($t:ty),*) => {$(
        impl NamedInput for $t {
            fn name(&self) -> Option<&str> {
                self.name.as_deref()
            }
            fn locked(&self) -> Option<bool> {
                self.locked
            }
        }
    )*};
}
named_input!(
    labrelay_api::resources::PackageInput,
    labrelay_api::resources::ConfigInput,
    labrelay_api::resources::DeviceInput
);

macro_rules! record {
    (
        $(#[$meta:meta])*
        pub struct $row:ident: $input:ty, table $table:literal, noun $noun:literal, query $schema:ident {
            $( $(#[$attr:meta])* $field:ident: $ty:ty = $default:expr
                $(=> $how:ident)? $(, filter $fty:ident)?; )*
        }
        computed { $( $cname:ident: $cty:ident = $csql:literal; )* }
    ) => {
        /// What lists of this record may filter and sort by (see `labrelay_api::query`).
        #[rustfmt::skip]
        pub static $schema: labrelay_api::query::Schema = {
            use labrelay_api::query::{Field, FieldType as T};
            labrelay_api::query::Schema {
                fields: &[
                    Field { name: "id", ty: T::Id, sql: "id" },
                    Field { name: "name", ty: T::Str, sql: "name" },
                    Field { name: "description", ty: T::Str, sql: "description" },
                    Field { name: "tags", ty: T::StrArray, sql: "tags" },
                    Field { name: "note", ty: T::Str, sql: "note" },
                    Field { name: "locked", ty: T::Bool, sql: "locked" },
                    Field { name: "user_id", ty: T::Id, sql: "user_id" },
                    Field { name: "created", ty: T::Time, sql: "created" },
                    Field { name: "updated", ty: T::Time, sql: "updated" },
                    $( $(
                        Field { name: stringify!($field), ty: T::$fty, sql: stringify!($field) },
                    )? )*
                    $( Field { name: stringify!($cname), ty: T::$cty, sql: $csql }, )*
                ],
            }
        };

        $(#[$meta])*
        #[derive(serde::Deserialize)]
        pub struct $row {
            pub id: i64,
            pub name: String,
            pub description: String,
            pub tags: String,
            pub note: String,
            pub locked: i64,
            pub user_id: i64,
            pub created: i64,
            pub updated: i64,
            $( $(#[$attr])* pub $field: $ty, )*
        }

        impl $crate::store::columns::Record for $row {
            const KIND: $crate::store::columns::Kind = $crate::store::columns::Kind {
                table: $crate::store::list::Table {
                    name: $table,
                    columns: "*",
                    indexed: &["name"],
                },
                noun: $noun,
                schema: &$schema,
            };
            type Input = $input;
            const COLUMNS: &'static [&'static str] = &[
                "name", "description", "tags", "note", "locked", "user_id", "created", "updated",
                $( stringify!($field), )*
            ];

            fn blank(name: String, user_id: i64, now_us: i64) -> Self {
                $row {
                    id: 0,
                    name,
                    description: String::new(),
                    tags: "[]".into(),
                    note: String::new(),
                    locked: 0,
                    user_id,
                    created: now_us,
                    updated: now_us,
                    $( $field: $default, )*
                }
            }

            fn apply_columns(&mut self, input: &mut $input) {
                use $crate::store::columns as how;
                if let Some(v) = input.description.take() {
                    self.description = v;
                }
                if let Some(v) = input.tags.take() {
                    self.tags = how::json(v);
                }
                if let Some(v) = input.note.take() {
                    self.note = v;
                }
                if let Some(v) = input.locked.take() {
                    self.locked = i64::from(v);
                }
                $( $(
                    if let Some(v) = input.$field.take() {
                        self.$field = how::$how(v);
                    }
                )? )*
            }

            fn binds(&self) -> $crate::store::db::Binds {
                vec![
                    self.name.clone().into(),
                    self.description.clone().into(),
                    self.tags.clone().into(),
                    self.note.clone().into(),
                    self.locked.into(),
                    self.user_id.into(),
                    self.created.into(),
                    self.updated.into(),
                    $( self.$field.clone().into(), )*
                ]
            }

            fn id(&self) -> i64 {
                self.id
            }

            fn locked(&self) -> bool {
                self.locked != 0
            }

            fn set_name(&mut self, name: String) {
                self.name = name;
            }

            fn set_updated(&mut self, now_us: i64) {
                self.updated = now_us;
            }

            fn set_new_owner(&mut self, user_id: i64, now_us: i64) {
                self.user_id = user_id;
                self.created = now_us;
                self.updated = now_us;
                self.locked = 0;
            }
        }
    };
}

pub(crate) use record;

#[cfg(test)]
mod tests {
    use super::super::{configs::ConfigRow, devices::DeviceRow, packages::PackageRow};
    use super::Record;

    /// Every field lists filter on that is a plain column name is one the record declares.
    fn filters_read_declared_columns<R: Record>() {
        let kind = R::KIND;
        for f in kind.schema.fields {
            let plain = f.sql.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            assert!(
                !plain || f.sql == "id" || R::COLUMNS.contains(&f.sql),
                "{}: {} filters on {}, which is no column",
                kind.table.name,
                f.name,
                f.sql
            );
        }
        let mut seen = std::collections::BTreeSet::new();
        assert!(
            R::COLUMNS.iter().all(|c| seen.insert(*c)),
            "{}: a column twice",
            kind.table.name
        );
    }

    #[test]
    fn each_record_filters_on_its_own_columns() {
        filters_read_declared_columns::<PackageRow>();
        filters_read_declared_columns::<ConfigRow>();
        filters_read_declared_columns::<DeviceRow>();
        assert!(PackageRow::KIND
            .schema
            .fields
            .iter()
            .any(|f| f.name == "test_count"));
        assert_eq!(ConfigRow::COLUMNS.len(), 9);
    }
}
