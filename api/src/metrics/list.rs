//! A list of metrics as every list answers: `filter`, `type`, `sort`, `page`, `limit`, on
//! records built from the result directory's file names (no table to run SQL on), evaluated
//! here with the query language's own Rust-side filters.

use super::Metric;
use crate::query::{Links, ListQuery, QueryError, Scalar, ScanBudget};
use std::cmp::Ordering;

/// The fields a metric list filters and sorts on.
pub static METRIC_SCHEMA: crate::query::Schema = crate::schema! {
    "id": Id,
    "seq": Id,
    "created": Time,
    "updated": Time,
    "test_name": Str,
    "metric": Str,
    "filename": Str,
};

fn value_of(m: &Metric, field: &str) -> Scalar {
    match field {
        "id" => Scalar::Int(m.id.as_i64()),
        "seq" => Scalar::Int(m.seq.as_i64()),
        "created" => Scalar::Int(m.created.micros()),
        "updated" => Scalar::Int(m.updated.micros()),
        "test_name" => Scalar::Text(m.test_name.clone()),
        "metric" => Scalar::Text(m.metric.clone()),
        "filename" => Scalar::Text(m.filename.clone()),
        _ => Scalar::Null,
    }
}

fn compare(a: &Scalar, b: &Scalar) -> Ordering {
    match (a, b) {
        (Scalar::Int(x), Scalar::Int(y)) => x.cmp(y),
        (Scalar::Text(x), Scalar::Text(y)) => x.cmp(y),
        _ => Ordering::Equal,
    }
}

/// The page of `items` (in their order: by test, then metric) a list request asks for,
/// and its links.
pub fn page(
    items: Vec<Metric>,
    params: &[(String, String)],
) -> Result<(Vec<Metric>, Links), QueryError> {
    let q = ListQuery::parse(params, &METRIC_SCHEMA)?;
    let residual = q.filter_set().residual();
    let fields = residual.fields();
    let mut budget = ScanBudget::request();
    let mut kept = Vec::new();
    for m in items {
        let row: Vec<Scalar> = fields.iter().map(|f| value_of(&m, f.name)).collect();
        if residual.matches(&row, &mut budget)? {
            kept.push(m);
        }
    }
    if !q.sort.is_empty() {
        kept.sort_by(|a, b| {
            q.sort
                .iter()
                .map(|k| {
                    let o = compare(&value_of(a, k.field.name), &value_of(b, k.field.name));
                    if k.descending {
                        o.reverse()
                    } else {
                        o
                    }
                })
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        });
    }
    let total = kept.len() as u64;
    q.page.check_total(total)?;
    let start = usize::try_from(q.page.offset())
        .unwrap_or(usize::MAX)
        .min(kept.len());
    // `sql_limit`: the page size, -1 for every row, 0 past the single page of `limit=none`.
    let end = match usize::try_from(q.page.sql_limit()) {
        Ok(n) => start.saturating_add(n).min(kept.len()),
        Err(_) => kept.len(),
    };
    let links = q.page.links(total);
    Ok((kept.drain(start..end).collect(), links))
}
