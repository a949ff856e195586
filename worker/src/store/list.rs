//! Lists for every resource: the query language's plan run against a table. What SQLite can
//! evaluate runs in SQL; the rest of a filter (regular expressions) is checked in Rust on just
//! the columns it needs, and only the requested page of full rows is read.

use super::db::{bind, json_text, Binds, Db};
use labrelay_api::error::ApiError;
use labrelay_api::query::{check_sort_cost, Links, PageRequest, Plan, ScanBudget};
use serde::de::DeserializeOwned;

pub struct Table {
    pub name: &'static str,
    /// The `SELECT` list that reads one row.
    pub columns: &'static str,
    /// The columns an index reads rows in, then by `id` (see `schema.rs`): sorting a long
    /// list by anything else is refused (`check_sort_cost`).
    pub indexed: &'static [&'static str],
}

/// One page of rows plus the links for the whole result.
pub fn page<R: DeserializeOwned>(
    db: &Db,
    table: &Table,
    plan: &Plan,
    order: &str,
    page: &PageRequest,
) -> Result<(Vec<R>, Links), ApiError> {
    let binds: Binds = plan.binds.iter().map(bind).collect();
    match &plan.residual {
        None => {
            let total = db.count(
                &format!(
                    "SELECT count(*) FROM {} WHERE {}",
                    table.name, plan.where_sql
                ),
                binds.clone(),
            )?;
            page.check_total(total as u64)?;
            check_sort_cost(order, table.indexed, total as u64)?;
            let mut page_binds = binds;
            page_binds.push(page.sql_limit().into());
            page_binds.push(page.offset().into());
            let rows = db.rows(
                &format!(
                    "SELECT {} FROM {} WHERE {} ORDER BY {} LIMIT ? OFFSET ?",
                    table.columns, table.name, plan.where_sql, order
                ),
                page_binds,
            )?;
            Ok((rows, page.links(total as u64)))
        }
        Some(_) => {
            let ids = matching_ids(db, table.name, plan, order)?;
            let total = ids.len() as u64;
            page.check_total(total)?;
            let start = (page.offset() as usize).min(ids.len());
            let end = match page.limit {
                Some(l) => (start + l as usize).min(ids.len()),
                None => ids.len(),
            };
            let rows = rows_by_id(db, table, &ids[start..end], order)?;
            Ok((rows, page.links(total)))
        }
    }
}

/// The ids of every row a plan matches, in `order`.
pub fn matching_ids(db: &Db, table: &str, plan: &Plan, order: &str) -> Result<Vec<i64>, ApiError> {
    let binds: Binds = plan.binds.iter().map(bind).collect();
    let Some(residual) = &plan.residual else {
        let rows = db.scalars(
            &format!(
                "SELECT id FROM {table} WHERE {} ORDER BY {order}",
                plan.where_sql
            ),
            binds,
        )?;
        return Ok(rows.iter().filter_map(|r| scalar_id(r.first())).collect());
    };
    // What SQL cannot narrow, Rust examines: at most so many rows, so many bytes.
    let candidates = db.count(
        &format!("SELECT count(*) FROM {table} WHERE {}", plan.where_sql),
        binds.clone(),
    )?;
    ScanBudget::check_rows(candidates as u64)?;
    let mut budget = ScanBudget::request();
    let mut select = String::from("id");
    for f in residual.fields() {
        select.push_str(", ");
        select.push_str(f.sql);
    }
    let rows = db.scalars(
        &format!(
            "SELECT {select} FROM {table} WHERE {} ORDER BY {order}",
            plan.where_sql
        ),
        binds,
    )?;
    let mut ids = Vec::new();
    for r in &rows {
        if residual.matches(&r[1..], &mut budget)? {
            ids.extend(scalar_id(r.first()));
        }
    }
    Ok(ids)
}

fn scalar_id(v: Option<&labrelay_api::query::Scalar>) -> Option<i64> {
    match v {
        Some(labrelay_api::query::Scalar::Int(i)) => Some(*i),
        _ => None,
    }
}

/// Full rows for the given ids, in `order`.
pub fn rows_by_id<R: DeserializeOwned>(
    db: &Db,
    table: &Table,
    ids: &[i64],
    order: &str,
) -> Result<Vec<R>, ApiError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // One JSON bind instead of one per id: SQL storage caps the number of binds.
    db.rows(
        &format!(
            "SELECT {} FROM {} WHERE id IN (SELECT value FROM json_each(?)) ORDER BY {order}",
            table.columns, table.name
        ),
        vec![json_text(&ids)],
    )
}
