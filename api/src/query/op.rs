//! The filter operators: their spellings and which field types each applies to.

use super::schema::FieldType;
use std::fmt;

/// A filter operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `~` regex match.
    Match,
    /// `!~` regex no match.
    NotMatch,
    /// `~*` case-insensitive regex match.
    IMatch,
    /// `!~*` case-insensitive regex no match.
    NotIMatch,
    /// `@>` array contains all of.
    Contains,
    /// `<@` array contained by.
    ContainedBy,
    /// `&&` arrays overlap.
    Overlaps,
}

impl Op {
    /// Every operator, longest spelling first (the order used to match the longest).
    const BY_LENGTH: [Op; 13] = [
        Op::NotIMatch,
        Op::NotMatch,
        Op::Ne,
        Op::IMatch,
        Op::Le,
        Op::ContainedBy,
        Op::Ge,
        Op::Contains,
        Op::Overlaps,
        Op::Eq,
        Op::Lt,
        Op::Gt,
        Op::Match,
    ];

    /// The operator's spelling in a filter.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Match => "~",
            Op::NotMatch => "!~",
            Op::IMatch => "~*",
            Op::NotIMatch => "!~*",
            Op::Contains => "@>",
            Op::ContainedBy => "<@",
            Op::Overlaps => "&&",
        }
    }

    /// The longest operator that `s` starts with.
    pub fn prefix_of(s: &str) -> Option<Op> {
        Op::BY_LENGTH
            .into_iter()
            .find(|op| s.starts_with(op.as_str()))
    }

    /// Whether this is one of the four regex operators (evaluated in Rust, not SQL).
    pub fn is_regex(self) -> bool {
        matches!(self, Op::Match | Op::NotMatch | Op::IMatch | Op::NotIMatch)
    }

    /// Whether the operator applies to a field of type `ty`.
    pub fn applies_to(self, ty: FieldType) -> bool {
        use Op::*;
        match ty {
            FieldType::Id | FieldType::Int | FieldType::Time => {
                matches!(self, Eq | Ne | Lt | Le | Gt | Ge)
            }
            FieldType::Bool => matches!(self, Eq | Ne),
            FieldType::Str => matches!(
                self,
                Eq | Ne | Lt | Le | Gt | Ge | Match | NotMatch | IMatch | NotIMatch
            ),
            FieldType::StrArray => matches!(self, Contains | ContainedBy | Overlaps | Eq | Ne),
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
