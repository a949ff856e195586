//! A job launched by the lab itself (a schedule's tick, a health check): checked and
//! resolved as a launch over the API is, then stored as `user`.

use super::insert::{insert_as, Launched};
use super::resolve::resolve;
use crate::store::db::Db;
use labrelay_api::error::ApiError;
use labrelay_api::jobs::JobInput;
use labrelay_api::Id;

pub fn launch_for(db: &Db, input: &JobInput, user: Id, how: Launched) -> Result<Id, ApiError> {
    labrelay_api::limits::check_job(input).map_err(ApiError::Invalid)?;
    let resolved = resolve(db, input, None)?;
    insert_as(db, &resolved, user, how)
}
