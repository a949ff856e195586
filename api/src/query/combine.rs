//! How a list's filters combine (`type=inter`, the default, or `type=union`).

use super::error::QueryError;

/// How several filters combine: `type=inter` (all must hold, the default) or `type=union`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Combine {
    #[default]
    Inter,
    Union,
}

impl Combine {
    /// Parses a `type=` value (`inter` or `union`, ASCII case-insensitive).
    pub fn parse(raw: &str) -> Result<Combine, QueryError> {
        if raw.eq_ignore_ascii_case("inter") {
            Ok(Combine::Inter)
        } else if raw.eq_ignore_ascii_case("union") {
            Ok(Combine::Union)
        } else {
            Err(QueryError::Combine(raw.to_string()))
        }
    }
}
