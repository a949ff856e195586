//! Resource ids: numbers on the inside, decimal strings on the wire (`"id": "12"`).
//!
//! Requests may send an id as a string or a number; `"0"`, `0`, `""`, `null` and absent all
//! mean "none" (`Id::NONE`).

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(pub u64);

impl Id {
    pub const NONE: Id = Id(0);

    pub fn is_none(self) -> bool {
        self.0 == 0
    }

    /// The id as SQLite stores it (ids stay far below 2^53).
    pub fn as_i64(self) -> i64 {
        self.0 as i64
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::str::FromStr for Id {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Ok(Id::NONE);
        }
        s.parse().map(Id)
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

struct IdVisitor;

impl<'de> Visitor<'de> for IdVisitor {
    type Value = Id;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an id (a non-negative integer or a string of digits)")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Id, E> {
        Ok(Id(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Id, E> {
        u64::try_from(v)
            .map(Id)
            .map_err(|_| E::custom(format!("invalid id {v}")))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Id, E> {
        if v >= 0.0 && v.fract() == 0.0 && v < 9.0e15 {
            Ok(Id(v as u64))
        } else {
            // Not the number itself: formatting a float costs the browser app ~4 KB of wasm.
            Err(E::custom("invalid id: not a whole number of at least 0"))
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Id, E> {
        v.trim()
            .parse()
            .map_err(|_| E::custom(format!("invalid id \"{v}\"")))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Id, E> {
        Ok(Id::NONE)
    }
    fn visit_none<E: de::Error>(self) -> Result<Id, E> {
        Ok(Id::NONE)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Id, D::Error> {
        d.deserialize_any(IdVisitor)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(IdVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_from_strings_numbers_and_null() {
        for (json, want) in [
            ("\"12\"", 12),
            ("12", 12),
            ("\"0\"", 0),
            ("0", 0),
            ("null", 0),
            ("\"\"", 0),
        ] {
            let id: Id = serde_json::from_str(json).expect(json);
            assert_eq!(id, Id(want), "{json}");
        }
        assert!(serde_json::from_str::<Id>("\"x1\"").is_err());
        assert!(serde_json::from_str::<Id>("-3").is_err());
        assert!(serde_json::from_str::<Id>("1.5").is_err());
        assert!(serde_json::from_str::<Id>("[]").is_err());
    }

    #[test]
    fn ids_are_written_as_strings() {
        assert_eq!(
            serde_json::to_string(&Id(7)).expect("valid test input"),
            "\"7\""
        );
    }
}
