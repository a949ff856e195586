//! What a launch or an edit resolves before anything is stored (the package, the config and
//! device it runs with, names, options, interfaces, `run_at`, priority), and the insert of a
//! new job — by a person over the API, or by the lab itself (a schedule's tick, a health
//! check).

use super::row::JobRow;
use crate::error::now;
use crate::store::db::{from_micros, json_string, json_text, parse_json, us, Db};
use crate::store::{configs, devices, packages};
use labrelay_api::error::ApiError;
use labrelay_api::interfaces::{self, Interface};
use labrelay_api::jobs::{JobInput, JobOptions};
use labrelay_api::{Id, Timestamp};
use std::collections::HashMap;
use std::rc::Rc;

/// What resolving reads, kept for one request: a bulk launch of 1,000 jobs of a few
/// packages reads each package, config and device once, and works out each set of
/// interfaces (config, testvars, extra arguments) once.
#[derive(Default)]
pub(super) struct Lookup {
    packages: HashMap<Id, Rc<packages::PackageRow>>,
    configs: HashMap<Id, Rc<configs::ConfigRow>>,
    /// A package's own config's text ("" when it has none or it is gone), by config id.
    own_contents: HashMap<Id, Rc<String>>,
    devices: HashMap<Id, String>,
    interfaces: HashMap<String, Vec<Interface>>,
}

impl Lookup {
    fn package(&mut self, db: &Db, id: Id) -> Result<Rc<packages::PackageRow>, ApiError> {
        memo(&mut self.packages, id, || {
            Ok(Rc::new(packages::find(db, id)?))
        })
    }

    fn config(&mut self, db: &Db, id: Id) -> Result<Rc<configs::ConfigRow>, ApiError> {
        memo(&mut self.configs, id, || {
            Ok(Rc::new(configs::find(db, id)?))
        })
    }

    fn own_contents(&mut self, db: &Db, id: Id) -> Result<Rc<String>, ApiError> {
        memo(&mut self.own_contents, id, || {
            Ok(Rc::new(configs::contents(db, id)?))
        })
    }

    fn device_name(&mut self, db: &Db, id: Id) -> Result<String, ApiError> {
        memo(&mut self.devices, id, || Ok(devices::find(db, id)?.name))
    }
}

/// `map[key]`, loaded and kept on first use.
fn memo<V: Clone>(
    map: &mut HashMap<Id, V>,
    key: Id,
    load: impl FnOnce() -> Result<V, ApiError>,
) -> Result<V, ApiError> {
    if let Some(v) = map.get(&key) {
        return Ok(v.clone());
    }
    let v = load()?;
    map.insert(key, v.clone());
    Ok(v)
}

/// Everything a launch or an edit resolves before anything is stored.
pub(super) struct Resolved {
    package_id: i64,
    package_name: String,
    device_id: i64,
    device_name: String,
    config_id: i64,
    config_name: String,
    options: JobOptions,
    run_at: Timestamp,
    pub(super) interfaces: Vec<Interface>,
    priority: i64,
}

/// Resolves a launch/edit body against `base` (the job being edited, if any): the package
/// must exist; a device or config of 0 means the package's own, and stays 0 (as in CDRouter:
/// the package's own is used when the job runs, so a new package brings its own config);
/// names follow, and the interfaces of the config the job will use.
pub(super) fn resolve(
    db: &Db,
    input: &JobInput,
    base: Option<&JobRow>,
) -> Result<Resolved, ApiError> {
    resolve_in(db, &mut Lookup::default(), input, base)
}

/// [`resolve`], reading through `lookup` (shared by the jobs of one bulk launch).
pub(super) fn resolve_in(
    db: &Db,
    lookup: &mut Lookup,
    input: &JobInput,
    base: Option<&JobRow>,
) -> Result<Resolved, ApiError> {
    let package_id = input
        .package_id
        .filter(|id| !id.is_none())
        .or(base.map(|b| Id(b.package_id as u64)))
        .ok_or_else(|| ApiError::invalid("package_id is required"))?;
    let package = lookup.package(db, package_id)?;
    // An explicit id given now, else the one the job had (0 = the package's own).
    let pick = |given: Option<Id>, was: Option<i64>| -> Id {
        match given {
            Some(id) => id,
            None => Id(was.unwrap_or(0).max(0) as u64),
        }
    };
    let device_id = pick(input.device_id, base.map(|b| b.device_id));
    let config_id = pick(input.config_id, base.map(|b| b.config_id));
    let device_name = if device_id.is_none() {
        String::new()
    } else {
        lookup.device_name(db, device_id)?
    };
    let own_config = Id(package.config_id.max(0) as u64);
    let (config_name, contents, config_key) = config_of(db, lookup, config_id, own_config)?;
    let mut options = match base {
        Some(b) => parse_json(&b.options)?,
        None => JobOptions::default(),
    };
    if let Some(o) = input.options.clone() {
        o.apply(&mut options);
    }
    let interfaces = interfaces_of(lookup, &config_key, &contents, &options, &package)?;
    let run_at = run_at_of(input, base)?;
    // Given now, else the job's own, else its package's.
    let priority = input
        .priority
        .map(i64::from)
        .or(base.map(|b| b.priority))
        .unwrap_or(package.priority);
    Ok(Resolved {
        priority,
        package_id: package.id,
        package_name: package.name.clone(),
        device_id: device_id.as_i64(),
        device_name,
        config_id: config_id.as_i64(),
        config_name,
        options,
        run_at,
        interfaces,
    })
}

/// Times travel through JavaScript numbers (53 bits): microseconds past 2^53 (after the year
/// 2255) are kept to the whole second, which those numbers carry exactly to the year 9999.
fn exact_in_storage(t: Timestamp) -> Timestamp {
    const EXACT_US: i64 = 1 << 53;
    if t.micros() > EXACT_US {
        Timestamp(t.micros() / 1_000_000 * 1_000_000)
    } else {
        t
    }
}

impl Resolved {
    /// The columns a launch and an edit both write, in `FIELD_COLUMNS` order.
    pub(super) fn binds(&self) -> Vec<worker::SqlStorageValue> {
        let names = interfaces::names(&self.interfaces);
        let ics = self.interfaces.iter().find(|i| i.is_ics);
        vec![
            json_text(&self.options),
            self.package_id.into(),
            self.package_name.clone().into(),
            self.device_id.into(),
            self.device_name.clone().into(),
            self.config_id.into(),
            self.config_name.clone().into(),
            us(self.run_at).into(),
            json_text(&self.interfaces),
            json_string(&names).into(),
            (self.interfaces.iter().any(|i| i.is_wireless) as i64).into(),
            (ics.is_some() as i64).into(),
            ics.map(|i| i.value.clone()).unwrap_or_default().into(),
            self.priority.into(),
        ]
    }
}

/// 9999-12-31T23:59:59Z, the last time RFC 3339 writes (see `exact_in_storage`).
const LATEST_RUN_AT_US: i64 = 253_402_300_799_999_999;

pub(super) const FIELD_COLUMNS: &str =
    "options, package_id, package_name, device_id, device_name, \
     config_id, config_name, run_at, interfaces, interface_names, uses_wireless, uses_ics, \
     ics_interface_name, priority";

/// The config a job runs with: its name ("" for the package's own), its text, and the key
/// its interfaces are remembered by.
fn config_of(
    db: &Db,
    lookup: &mut Lookup,
    config_id: Id,
    own_config: Id,
) -> Result<(String, Rc<String>, String), ApiError> {
    if config_id.is_none() {
        return Ok((
            String::new(),
            lookup.own_contents(db, own_config)?,
            format!("own {}", own_config.0),
        ));
    }
    let c = lookup.config(db, config_id)?;
    Ok((
        c.name.clone(),
        Rc::new(c.contents.clone()),
        format!("config {}", config_id.0),
    ))
}

/// The interfaces a job needs; the same config, testvars and arguments give the same ones
/// (computed once per bulk launch).
fn interfaces_of(
    lookup: &mut Lookup,
    config_key: &str,
    contents: &str,
    options: &JobOptions,
    package: &packages::PackageRow,
) -> Result<Vec<Interface>, ApiError> {
    let memo = format!(
        "{config_key}\0{}\0{}\0{}",
        json_string(&options.testvars),
        package.extra_cli_args,
        options.extra_cli_args
    );
    if let Some(found) = lookup.interfaces.get(&memo) {
        return Ok(found.clone());
    }
    let computed = interfaces::compute(
        contents,
        &options.testvars,
        &[&package.extra_cli_args, &options.extra_cli_args],
    )
    .map_err(|e| ApiError::invalid(e.to_string()))?;
    lookup.interfaces.insert(memo, computed.clone());
    Ok(computed)
}

/// When the job may run: given now, else the job's own, never in the past.
fn run_at_of(input: &JobInput, base: Option<&JobRow>) -> Result<Timestamp, ApiError> {
    let t = now();
    if input.run_at.is_some_and(|r| r.micros() > LATEST_RUN_AT_US) {
        return Err(ApiError::invalid(
            "run_at is too far in the future (after 9999-12-31)",
        ));
    }
    Ok(input
        .run_at
        .map(exact_in_storage)
        .or(base.map(|b| from_micros(b.run_at)))
        .map_or(t, |r| r.max(t)))
}
