//! CDRouter's bulk copy and edit of packages, configs and devices (`POST {resource}/?bulk=copy`
//! with `{"<resource>": [{"id": ..}]}`; `?bulk=edit` with `{"fields": {...}}` and ids, a
//! filter or `all=true`), at most `MAX_BULK` records, all or nothing.

use super::columns::NamedInput;
use super::crud::{bulk_selection, check_unlocked, get_row, store, Resource};
use super::db::{us, Db};
use super::http::{self, Caller, Ctx, Reply};
use crate::error::now;
use labrelay_api::error::ApiError;
use labrelay_api::Id;

/// The first free name of `name copy`, `name copy 2`, ... (names are unique per resource).
fn copy_name(db: &Db, table: &str, name: &str) -> Result<String, ApiError> {
    for n in 1..=crate::store::crud::MAX_COPY_NAMES {
        let candidate = if n == 1 {
            format!("{name} copy")
        } else {
            format!("{name} copy {n}")
        };
        let taken = db.int(
            &format!("SELECT count(*) FROM {table} WHERE name = ?"),
            vec![candidate.clone().into()],
        )?;
        if taken == 0 {
            return Ok(candidate);
        }
    }
    Err(ApiError::Conflict(format!(
        "{name}: too many copies already, rename some"
    )))
}

/// `?bulk=copy`: a copy of each selected record, the caller's, unlocked; answers the copies.
pub fn copy<R: Resource>(db: &Db, ctx: &Ctx, caller: &Caller) -> Result<Reply, ApiError> {
    super::auth::require_writer(caller)?;
    let kind = &R::KIND;
    let ids = bulk_selection(db, ctx, kind)?;
    let t = us(now());
    let mut rows = Vec::new();
    for id in &ids {
        rows.push(get_row::<R>(db, kind, Id(*id as u64))?);
    }
    let mut copies = Vec::new();
    for mut row in rows {
        let name = copy_name(db, kind.table.name, row_name(db, kind, row.id())?.as_str())?;
        row.set_name(name);
        row.set_new_owner(caller.user_id.as_i64(), t);
        let id = store(db, kind.table.name, &row, true)?;
        copies.push(get_row::<R>(db, kind, Id(id as u64))?.wire(db, false)?);
    }
    http::data(&copies)
}

fn row_name(db: &Db, kind: &super::columns::Kind, id: i64) -> Result<String, ApiError> {
    #[derive(serde::Deserialize)]
    struct Named {
        name: String,
    }
    let row: Named = db
        .first(
            &format!("SELECT name FROM {} WHERE id = ?", kind.table.name),
            vec![id.into()],
        )?
        .ok_or(ApiError::NotFound(kind.noun))?;
    Ok(row.name)
}

#[derive(serde::Deserialize)]
#[serde(bound = "I: serde::de::DeserializeOwned")]
struct Fields<I> {
    #[serde(default)]
    fields: Option<I>,
}

/// `?bulk=edit`: `fields` applied to each selected record the caller may change (its own;
/// any, for an admin). Every record is checked first; one locked or invalid changes none.
pub fn edit<R: Resource>(db: &Db, ctx: &Ctx, caller: &Caller) -> Result<Reply, ApiError>
where
    R::Input: Clone,
{
    let kind = &R::KIND;
    let ids = super::auth::owned_only(db, caller, kind.table.name, bulk_selection(db, ctx, kind)?)?;
    let body: Fields<R::Input> = ctx.json()?;
    let fields = body
        .fields
        .ok_or_else(|| ApiError::invalid("bulk edit needs \"fields\": the keys to set"))?;
    if fields.name().is_some() {
        return Err(ApiError::invalid(
            "bulk edit cannot set name: names are unique",
        ));
    }
    R::check(&fields).map_err(ApiError::Invalid)?;
    let t = us(now());
    let mut rows = Vec::new();
    for id in &ids {
        let mut row = get_row::<R>(db, kind, Id(*id as u64))?;
        check_unlocked(kind, row.locked(), fields.locked())?;
        row.apply(fields.clone());
        row.set_updated(t);
        row.validate(db)?;
        rows.push(row);
    }
    for row in &rows {
        store(db, kind.table.name, row, false)?;
    }
    Ok(Reply::NoContent)
}
