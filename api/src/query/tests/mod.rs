//! Tests of the query language, sharing one test schema.

mod differential;
mod eval_tests;
mod filter_tests;
mod page_tests;
mod params_tests;
mod sql_tests;

use super::*;
use ::time::format_description::well_known::Rfc3339;
use ::time::OffsetDateTime;

pub(super) static FIELDS: [Field; 11] = [
    Field {
        name: "id",
        ty: FieldType::Id,
        sql: "id",
    },
    Field {
        name: "name",
        ty: FieldType::Str,
        sql: "name",
    },
    Field {
        name: "status",
        ty: FieldType::Str,
        sql: "status",
    },
    Field {
        name: "score",
        ty: FieldType::Int,
        sql: "score",
    },
    Field {
        name: "active",
        ty: FieldType::Bool,
        sql: "active",
    },
    Field {
        name: "created",
        ty: FieldType::Time,
        sql: "created",
    },
    Field {
        name: "tags",
        ty: FieldType::StrArray,
        sql: "tags",
    },
    Field {
        name: "options.begin_at",
        ty: FieldType::Str,
        sql: "json_extract(options, '$.begin_at')",
    },
    Field {
        name: "options.tags",
        ty: FieldType::StrArray,
        sql: "json_extract(options, '$.tags')",
    },
    Field {
        name: "options.retries",
        ty: FieldType::Int,
        sql: "json_extract(options, '$.retries')",
    },
    Field {
        name: "options.nested.flag",
        ty: FieldType::Bool,
        sql: "json_extract(options, '$.nested.flag')",
    },
];

pub(super) static SCHEMA: Schema = Schema { fields: &FIELDS };

/// A filter that must parse.
pub(super) fn filter(raw: &str) -> Filter {
    parse_filter(raw, &SCHEMA).unwrap_or_else(|e| panic!("{raw}: {e}"))
}

/// The 400 message of a filter that must not parse.
pub(super) fn filter_err(raw: &str) -> String {
    match parse_filter(raw, &SCHEMA) {
        Ok(f) => panic!("{raw} parsed: {f:?}"),
        Err(e) => e.to_string(),
    }
}

/// Owned query parameters.
pub(super) fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// An RFC 3339 time as microseconds since the epoch.
pub(super) fn us(rfc3339: &str) -> i64 {
    let t = OffsetDateTime::parse(rfc3339, &Rfc3339).expect("test time");
    i64::try_from(t.unix_timestamp_nanos().div_euclid(1000)).expect("test time in range")
}

pub(super) fn field(name: &str) -> &'static Field {
    SCHEMA.field(name).expect("test field")
}
