//! Compiles filters to an SQLite `WHERE` clause with `?` binds, leaving regex filters to Rust.

use super::combine::Combine;
use super::eval::Residual;
use super::filter::Filter;
use super::op::Op;
use super::value::Value;

/// A value bound to a `?` placeholder, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bind {
    Int(i64),
    Text(String),
}

/// How to run a filter set: an SQL condition plus, maybe, filters to apply in Rust afterwards.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The `WHERE` condition; `"1"` when SQL filters nothing.
    pub where_sql: String,
    pub binds: Vec<Bind>,
    /// Filters SQLite cannot run (regex); `None` when SQL does it all.
    pub residual: Option<Residual>,
}

/// Plans `filters` combined by `combine`. `Inter`: SQL gets the non-regex filters and the
/// residual the regex ones. `Union` with any regex: SQL gets `1`, the residual everything.
pub fn plan(filters: &[Filter], combine: Combine) -> Plan {
    let (in_sql, in_rust): (Vec<&Filter>, Vec<&Filter>) =
        filters.iter().partition(|f| !f.op.is_regex());
    let (in_sql, residual) = match combine {
        _ if in_rust.is_empty() => (in_sql, None),
        Combine::Inter => (
            in_sql,
            Some(Residual::new(
                in_rust.into_iter().cloned().collect(),
                combine,
            )),
        ),
        Combine::Union => (Vec::new(), Some(Residual::new(filters.to_vec(), combine))),
    };
    let mut binds = Vec::new();
    let mut parts: Vec<String> = in_sql.iter().map(|f| filter_sql(f, &mut binds)).collect();
    if combine == Combine::Inter {
        if let Some(r) = &residual {
            parts.extend(
                r.filters()
                    .iter()
                    .filter_map(|f| prefix_hint(f, &mut binds)),
            );
        }
    }
    let where_sql = if parts.is_empty() {
        "1".to_string()
    } else {
        let glue = match combine {
            Combine::Inter => " AND ",
            Combine::Union => " OR ",
        };
        parts
            .iter()
            .map(|p| format!("({p})"))
            .collect::<Vec<_>>()
            .join(glue)
    };
    Plan {
        where_sql,
        binds,
        residual,
    }
}

/// A regex anchored on a literal prefix (`package_name~^nat`) also narrows the SQL with
/// `substr(expr, 1, n) = 'nat'`, so the regex runs in Rust only on rows that can match.
/// The residual still decides; this only spares reading the rest.
fn prefix_hint(f: &Filter, binds: &mut Vec<Bind>) -> Option<String> {
    let Value::Regex(re) = &f.value else {
        return None;
    };
    if f.op != Op::Match {
        return None;
    }
    let pattern = re.as_str().strip_prefix('^')?;
    // `^a|b` is `(^a)|b`: an alternation anywhere makes a prefix wrong.
    if pattern.contains('|') {
        return None;
    }
    let mut prefix: Vec<char> = Vec::new();
    let mut chars = pattern.chars().peekable();
    while let Some(&c) = chars.peek() {
        if "\\.+*?()|[]{}^$".contains(c) {
            // A quantifier makes the last literal optional.
            if matches!(c, '?' | '*' | '{') {
                prefix.pop();
            }
            break;
        }
        prefix.push(c);
        chars.next();
    }
    if prefix.is_empty() {
        return None;
    }
    let prefix: String = prefix.into_iter().collect();
    let n = prefix.chars().count();
    binds.push(Bind::Text(prefix));
    Some(format!("substr(({}), 1, {n}) = ?", f.field.sql))
}

/// One non-regex filter as SQL, pushing its binds.
fn filter_sql(f: &Filter, binds: &mut Vec<Bind>) -> String {
    let expr = f.field.sql;
    let scalar = |binds: &mut Vec<Bind>, bind: Bind| {
        binds.push(bind);
        let op = match f.op {
            Op::Ne => "IS NOT",
            op => op.as_str(),
        };
        format!("({expr}) {op} ?")
    };
    match &f.value {
        Value::Int(n) | Value::Time(n) => scalar(binds, Bind::Int(*n)),
        Value::Bool(b) => scalar(binds, Bind::Int(i64::from(*b))),
        Value::Text(s) => scalar(binds, Bind::Text(s.clone())),
        Value::Array(items) => array_sql(f.op, expr, items, binds),
        // Regex filters never reach SQL; match nothing rather than everything if misused.
        Value::Regex(_) => "0".to_string(),
    }
}

fn array_sql(op: Op, expr: &str, items: &[String], binds: &mut Vec<Bind>) -> String {
    // The hint comes first in the SQL, so its binds go first too.
    let hint = text_hint(op, expr, items, binds);
    let exact = exact_sql(op, expr, items, binds);
    match hint {
        Some(hint) => format!("({hint}) AND ({exact})"),
        None => exact,
    }
}

/// A cheap necessary condition for the array filters that need an element: the stored JSON
/// text holds the element's characters. Stored arrays are written by serde_json, which writes
/// a string with nothing to escape as it is (also inside a JSON string holding JSON), so the
/// text search never misses a row; it spares parsing the JSON of the rows that cannot match
/// (a tag filter over 100,000 jobs: several times less work). It searches the column the JSON
/// comes from (`options` for `json_extract(options, '$.tags')`).
fn text_hint(op: Op, expr: &str, items: &[String], binds: &mut Vec<Bind>) -> Option<String> {
    let glue = match op {
        Op::Contains | Op::Eq => " AND ",
        Op::Overlaps => " OR ",
        _ => return None,
    };
    let column = json_column(expr)?;
    let mut needles = Vec::with_capacity(items.len());
    for item in items {
        let json = serde_json::Value::from(item.as_str()).to_string();
        // Something to escape: the stored text could spell it another way; no hint.
        if item.is_empty() || json.len() != item.len() + 2 {
            return None;
        }
        needles.push(item.clone());
    }
    if needles.is_empty() {
        return None;
    }
    let parts: Vec<String> = needles
        .into_iter()
        .map(|n| {
            binds.push(Bind::Text(n));
            format!("instr({column}, ?) > 0")
        })
        .collect();
    Some(parts.join(glue))
}

/// The plain column an array field's JSON text is in: the expression itself when it is a
/// column name, or `col` in `json_extract(col, '$.path')`.
fn json_column(expr: &str) -> Option<&str> {
    let is_column =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if is_column(expr) {
        return Some(expr);
    }
    let inner = expr.strip_prefix("json_extract(")?;
    let column = inner.split(',').next()?.trim();
    is_column(column).then_some(column)
}

/// The array operators' exact meaning, on parsed JSON.
fn exact_sql(op: Op, expr: &str, items: &[String], binds: &mut Vec<Bind>) -> String {
    let json = serde_json::Value::from(items.to_vec()).to_string();

    // The stored array, or '[]' when NULL, invalid JSON or not an array.
    let have = format!(
        "(CASE WHEN json_valid({expr}) THEN CASE WHEN json_type({expr}) = 'array' \
         THEN {expr} ELSE '[]' END ELSE '[]' END)"
    );
    let contains = |binds: &mut Vec<Bind>| {
        binds.push(Bind::Text(json.clone()));
        format!(
            "NOT EXISTS (SELECT 1 FROM json_each(?) w WHERE w.value NOT IN \
             (SELECT h.value FROM json_each({have}) h WHERE h.type = 'text'))"
        )
    };
    let contained = |binds: &mut Vec<Bind>| {
        binds.push(Bind::Text(json.clone()));
        format!(
            "NOT EXISTS (SELECT 1 FROM json_each({have}) h WHERE h.type <> 'text' \
             OR h.value NOT IN (SELECT w.value FROM json_each(?) w))"
        )
    };
    match op {
        Op::Contains => contains(binds),
        Op::ContainedBy => contained(binds),
        Op::Overlaps => {
            binds.push(Bind::Text(json.clone()));
            format!(
                "EXISTS (SELECT 1 FROM json_each({have}) h WHERE h.type = 'text' \
                 AND h.value IN (SELECT w.value FROM json_each(?) w))"
            )
        }
        Op::Eq | Op::Ne => {
            let both = format!("({}) AND ({})", contains(binds), contained(binds));
            if op == Op::Eq {
                both
            } else {
                format!("NOT (({both}))")
            }
        }
        _ => "0".to_string(),
    }
}
