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
