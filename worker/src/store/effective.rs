//! What a job runs with: its package (if it still exists) and the config and device, its
//! package's own standing in for a 0. Read by the claim, the health checks and a result.

use super::crud::Resource;
use super::db::Db;
use super::jobs::row::JobRow;
use super::{configs, devices, packages};
use labrelay_api::error::ApiError;
use labrelay_api::Id;

/// What a job runs with, its package's own config and device standing in for a 0.
pub struct Effective {
    pub package: Option<packages::PackageRow>,
    pub config_id: i64,
    pub config_name: String,
    pub device_id: i64,
    pub device: Option<labrelay_api::resources::Device>,
}

impl Effective {
    pub fn of(db: &Db, job: &JobRow) -> Result<Effective, ApiError> {
        let package = match packages::find(db, Id(job.package_id as u64)) {
            Ok(p) => Some(p),
            Err(ApiError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        let own_or_package = |own: i64, of_package: fn(&packages::PackageRow) -> i64| {
            if own != 0 {
                own
            } else {
                package.as_ref().map_or(0, of_package)
            }
        };
        let config_id = own_or_package(job.config_id, |p| p.config_id);
        let device_id = own_or_package(job.device_id, |p| p.device_id);
        let device = match devices::find(db, Id(device_id as u64)) {
            Ok(d) => Some(d.wire(db, true)?),
            Err(ApiError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        let config_name = match configs::find(db, Id(config_id as u64)) {
            Ok(c) => c.name,
            Err(ApiError::NotFound(_)) => String::new(),
            Err(e) => return Err(e),
        };
        Ok(Effective {
            package,
            config_id,
            config_name,
            device_id,
            device,
        })
    }
}
