//! The (id, name) choices of a pick list (a package's config, a launch's device): one loader
//! for every resource, reading only the two fields it shows.

use super::{load, Loaded, Reload};
use crate::api;
use crate::model::resource::Resource;
use labrelay_api::Id;
use serde::Deserialize;

/// Pick lists load up to the API's page limit, by name.
const ALL: &str = "limit=1000&sort=name";

/// (id, name) choices for a select.
pub type Choices = Vec<(Id, String)>;

/// Any record's id and name (the rest of it is not read).
#[derive(Deserialize)]
struct Named {
    id: Id,
    name: String,
}

/// The choices of `resource`, loaded once per view.
pub fn choices(resource: Resource) -> Loaded<Choices> {
    load(
        move || resource,
        |r| async move {
            api::list_of::<Named>(r, ALL)
                .await
                .map(|p| p.data.into_iter().map(|n| (n.id, n.name)).collect())
        },
        Reload::OnKey,
    )
}
