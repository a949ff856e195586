//! What packages, configs and devices share: the route table of a CDRouter-shaped resource
//! (list, create, get, edit, delete, `?bulk=delete`), unique names, locking, deletes.

use super::auth::{owned_only, require_owner_of};
use super::columns::{Kind, NamedInput, Record};
use super::db::{json_text, us, Db};
use super::http::{self, parse_id, Caller, Ctx, Reply};
use super::list;
use crate::error::now;
use labrelay_api::error::ApiError;
use labrelay_api::limits::MAX_BULK;
use labrelay_api::query::{parse_bool, FilterSet, ListQuery};
use labrelay_api::Id;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A CDRouter-shaped record: its row and columns (`columns::record!`), what a create/edit
/// body may hold, and its wire form. The flows (list, create, get, edit, delete) are the same
/// for all of them, here.
pub trait Resource: Record {
    type Wire: Serialize;
    /// Sizes and syntax of a create/edit body (`labrelay_api::limits`), before anything else.
    fn check(input: &Self::Input) -> Result<(), String>;
    /// A create/edit body's keys applied: the declared columns, then what is more than a copy.
    fn apply(&mut self, mut input: Self::Input) {
        self.apply_columns(&mut input);
    }
    /// Checks what a create or edit would store (references, argument syntax).
    fn validate(&self, _db: &Db) -> Result<(), ApiError> {
        Ok(())
    }
    fn wire(&self, db: &Db, detailed: bool) -> Result<Self::Wire, ApiError>;
}

/// Inserts a record (answering its new id) or updates it: its declared columns.
pub(super) fn store<R: Record>(
    db: &Db,
    table: &str,
    row: &R,
    insert: bool,
) -> Result<i64, ApiError> {
    let columns = R::COLUMNS;
    let mut binds = row.binds();
    if insert {
        let marks = vec!["?"; columns.len()].join(", ");
        db.exec(
            &format!(
                "INSERT INTO {table} ({}) VALUES ({marks})",
                columns.join(", ")
            ),
            binds,
        )?;
        return db.last_id();
    }
    let sets: Vec<String> = columns.iter().map(|c| format!("{c} = ?")).collect();
    binds.push(row.id().into());
    db.exec(
        &format!("UPDATE {table} SET {} WHERE id = ?", sets.join(", ")),
        binds,
    )?;
    Ok(row.id())
}

pub fn list<R: Resource>(db: &Db, ctx: &Ctx) -> Result<Reply, ApiError> {
    let q = ListQuery::parse(&ctx.query, R::KIND.schema)?;
    let (rows, links) = list::page::<R>(
        db,
        &R::KIND.table,
        &q.plan(),
        &q.order_by_sql("id ASC"),
        &q.page,
    )?;
    let items = rows
        .iter()
        .map(|r| r.wire(db, q.detailed))
        .collect::<Result<Vec<_>, _>>()?;
    http::list(&items, &links)
}

pub fn create<R: Resource>(db: &Db, ctx: &Ctx, caller: &Caller) -> Result<Reply, ApiError> {
    let input: R::Input = ctx.json()?;
    R::check(&input).map_err(ApiError::Invalid)?;
    let name = check_name(db, &R::KIND, input.name().unwrap_or(""), Id::NONE)?;
    let mut row = R::blank(name, caller.user_id.as_i64(), us(now()));
    row.apply(input);
    row.validate(db)?;
    let id = store(db, R::KIND.table.name, &row, true)?;
    answer::<R>(db, Id(id as u64))
}

pub fn get<R: Resource>(db: &Db, id: &str) -> Result<Reply, ApiError> {
    answer::<R>(db, parse_id(id, R::KIND.noun)?)
}

pub(super) fn answer<R: Resource>(db: &Db, id: Id) -> Result<Reply, ApiError> {
    http::data(&get_row::<R>(db, &R::KIND, id)?.wire(db, true)?)
}

pub fn edit<R: Resource>(db: &Db, ctx: &Ctx, caller: &Caller, id: &str) -> Result<Reply, ApiError> {
    let id = owned::<R>(db, caller, id)?;
    let input: R::Input = ctx.json()?;
    R::check(&input).map_err(ApiError::Invalid)?;
    let mut row: R = get_row(db, &R::KIND, id)?;
    check_unlocked(&R::KIND, row.locked(), input.locked())?;
    if let Some(name) = input.name() {
        row.set_name(check_name(db, &R::KIND, name, id)?);
    }
    row.apply(input);
    row.set_updated(us(now()));
    row.validate(db)?;
    store(db, R::KIND.table.name, &row, false)?;
    answer::<R>(db, id)
}

/// `POST {resource}/{id}/lock/` and `unlock/` (CDRouter's): a locked record cannot be edited
/// or deleted until unlocked; its owner or an admin may do either.
pub fn set_locked<R: Resource>(
    db: &Db,
    caller: &Caller,
    id: &str,
    locked: bool,
) -> Result<Reply, ApiError> {
    let id = owned::<R>(db, caller, id)?;
    db.exec(
        &format!(
            "UPDATE {} SET locked = ?, updated = ? WHERE id = ?",
            R::KIND.table.name
        ),
        vec![
            i64::from(locked).into(),
            us(now()).into(),
            id.as_i64().into(),
        ],
    )?;
    answer::<R>(db, id)
}

/// A row of the caller's (any, for an admin), by the path's id.
fn owned<R: Resource>(db: &Db, caller: &Caller, id: &str) -> Result<Id, ApiError> {
    let kind = &R::KIND;
    let id = parse_id(id, kind.noun)?;
    require_owner_of(db, caller, kind.table.name, id, kind.noun)?;
    Ok(id)
}

/// How many `name copy N` a bulk copy tries before it gives up.
pub const MAX_COPY_NAMES: usize = 100;

pub fn unsupported_bulk(op: &str) -> ApiError {
    ApiError::invalid(format!("unsupported bulk operation \"{op}\""))
}

pub fn get_row<R: DeserializeOwned>(db: &Db, kind: &Kind, id: Id) -> Result<R, ApiError> {
    db.first(
        &format!(
            "SELECT {} FROM {} WHERE id = ?",
            kind.table.columns, kind.table.name
        ),
        vec![id.as_i64().into()],
    )?
    .ok_or(ApiError::NotFound(kind.noun))
}

pub fn exists(db: &Db, table: &str, id: Id) -> Result<bool, ApiError> {
    Ok(db.int(
        &format!("SELECT count(*) FROM {table} WHERE id = ?"),
        vec![id.as_i64().into()],
    )? > 0)
}

/// A name for a new or renamed resource: present, trimmed, not taken by another one.
pub fn check_name(db: &Db, kind: &Kind, name: &str, this: Id) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ApiError::invalid("name is required"));
    }
    let taken = db.int(
        &format!(
            "SELECT count(*) FROM {} WHERE name = ? AND id != ?",
            kind.table.name
        ),
        vec![name.into(), this.as_i64().into()],
    )?;
    if taken > 0 {
        return Err(ApiError::NameTaken);
    }
    Ok(name.to_string())
}

/// A locked resource takes no edit but the one that unlocks it.
pub fn check_unlocked(kind: &Kind, locked: bool, new_locked: Option<bool>) -> Result<(), ApiError> {
    if locked && new_locked != Some(false) {
        return Err(ApiError::Conflict(format!(
            "cannot edit locked {}",
            kind.noun
        )));
    }
    Ok(())
}

pub fn delete<R: Resource>(db: &Db, caller: &Caller, id: &str) -> Result<Reply, ApiError> {
    let kind = &R::KIND;
    let id = owned::<R>(db, caller, id)?;
    let locked = db
        .first::<LockedRow>(
            &format!("SELECT locked FROM {} WHERE id = ?", kind.table.name),
            vec![id.as_i64().into()],
        )?
        .ok_or(ApiError::NotFound(kind.noun))?;
    if locked.locked != 0 {
        return Err(ApiError::Conflict(format!(
            "cannot delete locked {}",
            kind.noun
        )));
    }
    db.exec(
        &format!("DELETE FROM {} WHERE id = ?", kind.table.name),
        vec![id.as_i64().into()],
    )?;
    Ok(Reply::NoContent)
}

#[derive(serde::Deserialize)]
struct LockedRow {
    locked: i64,
}

/// `{"<resource>": [{"id": ..}, ..]}`, as a bulk body names them.
#[derive(serde::Deserialize, Default)]
pub struct BulkIds {
    #[serde(
        default,
        alias = "packages",
        alias = "configs",
        alias = "devices",
        alias = "jobs"
    )]
    pub ids: Option<Vec<labrelay_api::jobs::IdRef>>,
}

/// Which rows a bulk operation selects: listed ids, a filter, or `all=true`.
pub fn bulk_selection(db: &Db, ctx: &Ctx, kind: &Kind) -> Result<Vec<i64>, ApiError> {
    let all = match ctx.param("all") {
        Some(v) => parse_bool("all", v)?,
        None => false,
    };
    let filters = FilterSet::parse(&ctx.query, kind.schema)?;
    let body: BulkIds = ctx.json()?;
    let ids = if let Some(refs) = body.ids.filter(|r| !r.is_empty()) {
        refs.iter().map(|r| r.id.as_i64()).collect()
    } else if !filters.filters.is_empty() || all {
        list::matching_ids(db, kind.table.name, &filters.plan(), "id ASC")?
    } else {
        return Err(ApiError::invalid(format!(
            "nothing selected: give {}s by id, a filter, or all=true",
            kind.noun
        )));
    };
    if ids.len() > MAX_BULK {
        return Err(ApiError::invalid(format!(
            "the selection holds {} {}s: at most {MAX_BULK} in one bulk request; narrow it with a filter",
            ids.len(),
            kind.noun
        )));
    }
    Ok(ids)
}

/// Deletes the selected rows the caller may delete (its own; any, for an admin), unlocked.
pub fn bulk_delete<R: Resource>(db: &Db, ctx: &Ctx, caller: &Caller) -> Result<Reply, ApiError> {
    let kind = &R::KIND;
    let ids = owned_only(db, caller, kind.table.name, bulk_selection(db, ctx, kind)?)?;
    db.exec(
        &format!(
            "DELETE FROM {} WHERE locked = 0 AND id IN (SELECT value FROM json_each(?))",
            kind.table.name
        ),
        vec![json_text(&ids)],
    )?;
    Ok(Reply::NoContent)
}
