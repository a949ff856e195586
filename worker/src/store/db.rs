//! A thin typed layer over the Durable Object's SQL storage: run a statement with positional
//! binds, read rows into structs, read raw values for filters evaluated in Rust.

use crate::error::internal;
use labrelay_api::error::ApiError;
use labrelay_api::query::{Bind, Scalar};
use serde::de::DeserializeOwned;
use std::cell::RefCell;
use std::collections::HashMap;
use worker::{SqlStorage, SqlStorageValue};

pub type Binds = Vec<SqlStorageValue>;

pub struct Db {
    sql: SqlStorage,
    /// List totals by query and binds, valid until the next write: the same list read again
    /// (many browsers on one view) does not count a 100,000-row table again.
    counts: RefCell<HashMap<String, i64>>,
}

impl Db {
    pub fn new(sql: SqlStorage) -> Db {
        Db {
            sql,
            counts: RefCell::new(HashMap::new()),
        }
    }

    /// A `SELECT count(*)`, remembered until the next write.
    pub fn count(&self, query: &str, binds: Binds) -> Result<i64, ApiError> {
        let key = format!("{query}\u{0}{binds:?}");
        if let Some(n) = self.counts.borrow().get(&key) {
            return Ok(*n);
        }
        let n = self.int(query, binds)?;
        self.counts.borrow_mut().insert(key, n);
        Ok(n)
    }

    /// Every write goes through here (and forgets the remembered counts).
    pub fn exec(&self, query: &str, binds: Binds) -> Result<(), ApiError> {
        self.counts.borrow_mut().clear();
        let cursor = self.sql.exec(query, binds).map_err(internal)?;
        // Drain the cursor so the statement runs to its end.
        for row in cursor.raw() {
            row.map_err(internal)?;
        }
        Ok(())
    }

    pub fn rows<T: DeserializeOwned>(&self, query: &str, binds: Binds) -> Result<Vec<T>, ApiError> {
        self.unless_read(query);
        self.sql
            .exec(query, binds)
            .and_then(|c| c.to_array())
            .map_err(internal)
    }

    pub fn first<T: DeserializeOwned>(
        &self,
        query: &str,
        binds: Binds,
    ) -> Result<Option<T>, ApiError> {
        Ok(self.rows(query, binds)?.into_iter().next())
    }

    /// A single integer (`SELECT count(*) ...`, `INSERT ... RETURNING id`): the first column
    /// of the first row, 0 when there is none. The cursor is read to its end, so a statement
    /// that writes always runs in full.
    pub fn int(&self, query: &str, binds: Binds) -> Result<i64, ApiError> {
        Ok(self.ints(query, binds)?.first().copied().unwrap_or(0))
    }

    /// The first column of every row that holds an integer (`INSERT ... RETURNING id` of many
    /// rows). The cursor is read to its end, so a statement that writes always runs in full.
    pub fn ints(&self, query: &str, binds: Binds) -> Result<Vec<i64>, ApiError> {
        self.unless_read(query);
        let cursor = self.sql.exec(query, binds).map_err(internal)?;
        let mut out = Vec::new();
        for row in cursor.raw() {
            match row.map_err(internal)?.into_iter().next() {
                Some(SqlStorageValue::Integer(i)) => out.push(i),
                Some(SqlStorageValue::Float(f)) => out.push(f as i64),
                _ => {}
            }
        }
        Ok(out)
    }

    /// Rows as raw scalars, for the parts of a filter SQLite cannot evaluate.
    pub fn scalars(&self, query: &str, binds: Binds) -> Result<Vec<Vec<Scalar>>, ApiError> {
        self.unless_read(query);
        let cursor = self.sql.exec(query, binds).map_err(internal)?;
        let mut out = Vec::new();
        for row in cursor.raw() {
            out.push(row.map_err(internal)?.into_iter().map(to_scalar).collect());
        }
        Ok(out)
    }

    /// A statement that is not a plain `SELECT` (an `INSERT ... RETURNING` read as rows)
    /// may write: the remembered counts go, as with [`Db::exec`].
    fn unless_read(&self, query: &str) {
        let select = query
            .trim_start()
            .get(..6)
            .is_some_and(|w| w.eq_ignore_ascii_case("select"));
        if !select {
            self.counts.borrow_mut().clear();
        }
    }

    pub fn last_id(&self) -> Result<i64, ApiError> {
        self.int("SELECT last_insert_rowid()", vec![])
    }
}

fn to_scalar(v: SqlStorageValue) -> Scalar {
    match v {
        SqlStorageValue::Null => Scalar::Null,
        SqlStorageValue::Boolean(b) => Scalar::Int(b as i64),
        SqlStorageValue::Integer(i) => Scalar::Int(i),
        SqlStorageValue::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Scalar::Int(f as i64),
        SqlStorageValue::Float(f) => Scalar::Real(f),
        SqlStorageValue::String(s) => Scalar::Text(s),
        SqlStorageValue::Blob(_) => Scalar::Null,
    }
}

pub fn bind(b: &Bind) -> SqlStorageValue {
    match b {
        Bind::Int(i) => SqlStorageValue::Integer(*i),
        Bind::Text(s) => SqlStorageValue::String(s.clone()),
    }
}

/// An INTEGER column that may come back from JavaScript as a float: values past 2^53 (a
/// `run_at` after the year 2255) do, whole as they are.
pub fn lenient_i64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    struct V;
    impl serde::de::Visitor<'_> for V {
        type Value = i64;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an integer")
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<i64, E> {
            Ok(v)
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<i64, E> {
            i64::try_from(v).map_err(E::custom)
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<i64, E> {
            if v.fract() == 0.0 && v.abs() < 9.2e18 {
                Ok(v as i64)
            } else {
                Err(E::custom(format!("{v} is not an integer")))
            }
        }
    }
    d.deserialize_any(V)
}

/// Microseconds: how times are stored (see `schema`).
pub fn micros(t: labrelay_api::Timestamp) -> SqlStorageValue {
    SqlStorageValue::Integer(us(t))
}

pub fn us(t: labrelay_api::Timestamp) -> i64 {
    t.micros()
}

pub fn from_micros(us: i64) -> labrelay_api::Timestamp {
    labrelay_api::Timestamp(us)
}

pub fn json_text<T: serde::Serialize>(v: &T) -> SqlStorageValue {
    SqlStorageValue::String(json_string(v))
}

/// JSON text of a value we built ourselves (serializing plain data cannot fail).
pub fn json_string<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

pub fn parse_json<T: DeserializeOwned>(text: &str) -> Result<T, ApiError> {
    serde_json::from_str(text).map_err(|e| ApiError::Internal(format!("stored JSON: {e}")))
}
