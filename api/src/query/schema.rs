//! Static per-resource schemas: which dotted fields exist, their types and SQL expressions.

use std::fmt;

/// The type of a filterable field, which decides its operators and value syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// INTEGER id; values are digits only.
    Id,
    /// INTEGER.
    Int,
    /// INTEGER 0/1.
    Bool,
    /// TEXT.
    Str,
    /// INTEGER microseconds since the Unix epoch (UTC).
    Time,
    /// TEXT holding a JSON array of strings, or NULL (= empty array).
    StrArray,
}

impl FieldType {
    /// The lower-case name used in error messages.
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Id => "id",
            FieldType::Int => "integer",
            FieldType::Bool => "boolean",
            FieldType::Str => "string",
            FieldType::Time => "time",
            FieldType::StrArray => "array",
        }
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One filterable/sortable field: its dotted name, type and the SQL expression reading it.
#[derive(Debug, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub ty: FieldType,
    pub sql: &'static str,
}

/// A [`Schema`] written as its fields, one a line: `"name": Type` for a field read from the
/// column of its name, `"name": Type = "sql"` for one read by another SQL expression (`Type`
/// one of [`FieldType`]'s variants).
#[macro_export]
macro_rules! schema {
    (@sql $name:literal) => {
        $name
    };
    (@sql $name:literal $sql:literal) => {
        $sql
    };
    ($($name:literal: $ty:ident $(= $sql:literal)?,)*) => {
        $crate::query::Schema {
            fields: &[$($crate::query::Field {
                name: $name,
                ty: $crate::query::FieldType::$ty,
                sql: $crate::schema!(@sql $name $($sql)?),
            }),*],
        }
    };
}

/// A resource's fields.
#[derive(Debug)]
pub struct Schema {
    pub fields: &'static [Field],
}

impl Schema {
    /// The field called `name` (exact, case-sensitive), if any.
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::{Field, FieldType, Schema};

    #[test]
    fn a_field_is_its_own_column_unless_it_names_another_expression() {
        static S: Schema = crate::schema! {
            "id": Id,
            "active": Bool = "(status = 'running')",
        };
        assert_eq!(
            S.fields,
            [
                Field {
                    name: "id",
                    ty: FieldType::Id,
                    sql: "id"
                },
                Field {
                    name: "active",
                    ty: FieldType::Bool,
                    sql: "(status = 'running')"
                },
            ]
        );
    }
}
