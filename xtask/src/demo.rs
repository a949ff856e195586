//! Demo data for a first run: the configs, devices and packages of the real CDRouter exports
//! in `fixtures/cdrouter-exports/` (configs' text, testlists, descriptions and notes as
//! CDRouter wrote them), named `Demo: <name>` and tagged `demo`. `cargo xtask dev` puts
//! them on an empty store, so a newcomer's first launch is one click (the jobs page offers
//! them) and runs to the end on the local agent: its simulator replays those same real runs,
//! and its interfaces (`local_agent::INTERFACES`) include every one the demo configs use.
//! `cargo xtask demo` puts them on any server (skipping what is there).

use crate::http::{encode, Http};
use crate::result::Result;
use labrelay_export::Bundle;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

/// What demo records are named and tagged.
pub const PREFIX: &str = "Demo: ";
pub const TAG: &str = "demo";

/// One record to create: its kind (`configs`, `devices`, `packages`), its id in the export
/// (packages refer to configs and devices by it) and the body to POST.
#[derive(Debug, Clone, PartialEq)]
pub struct Seed {
    pub kind: &'static str,
    pub export_id: String,
    pub body: Value,
}

fn text(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_string()
}

fn tags(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_str().map(str::to_string))
        .collect();
    out.push(TAG.to_string());
    out
}

/// Where a demo record comes from, in its note (above CDRouter's own note, if any).
fn note(v: &Value, file: &str) -> String {
    let from =
        format!("Demo data: from the real CDRouter export fixtures/cdrouter-exports/{file}.");
    match text(v, "note") {
        n if n.is_empty() => from,
        n => format!("{from}\n\n{n}"),
    }
}

/// Every bundle's configs, devices and packages, in that order (packages last: they name
/// the others), each bundle's file name in the notes.
pub fn plan(fixtures: &Path) -> Result<Vec<Seed>> {
    let mut files: Vec<_> = std::fs::read_dir(fixtures)
        .map_err(|e| format!("{}: {e}", fixtures.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "gz"))
        .collect();
    files.sort();
    let (mut configs, mut devices, mut packages) = (Vec::new(), Vec::new(), Vec::new());
    for path in &files {
        let bundle = Bundle::read_meta(path).map_err(|e| e.to_string())?;
        let file = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let b = &bundle.body;
        let each = |key: &str| b[key].as_array().into_iter().flatten();
        configs.extend(each("configs").map(|c| config(c, &file)));
        devices.extend(each("devices").map(|d| device(&d["device"], &file)));
        packages.extend(each("packages").map(|p| package(p, &file)));
    }
    Ok([configs, devices, packages].concat())
}

/// A record of `kind` from the export's `v`: its name prefixed, its tags and note, and `more`.
fn seed_of(kind: &'static str, v: &Value, file: &str, more: Value) -> Seed {
    let mut body = json!({
        "name": format!("{PREFIX}{}", text(v, "name")),
        "description": text(v, "description"),
        "tags": tags(v),
        "note": note(v, file),
    });
    if let (Some(b), Value::Object(more)) = (body.as_object_mut(), more) {
        b.extend(more);
    }
    Seed {
        kind,
        export_id: text(v, "id"),
        body,
    }
}

fn config(c: &Value, file: &str) -> Seed {
    seed_of("configs", c, file, json!({"contents": text(c, "contents")}))
}

fn device(d: &Value, file: &str) -> Seed {
    let fields = [
        "manufacturer",
        "model_name",
        "serial_number",
        "software_version",
    ];
    let more = fields.iter().map(|f| (f.to_string(), json!(text(d, f))));
    seed_of("devices", d, file, Value::Object(more.collect()))
}

fn package(p: &Value, file: &str) -> Seed {
    seed_of(
        "packages",
        p,
        file,
        json!({
            "testlist": p["testlist"].clone(),
            "extra_cli_args": text(p, "extra_cli_args"),
            // Export ids, replaced by the new records' ids when seeding.
            "config_id": text(p, "config_id"),
            "device_id": text(p, "device_id"),
        }),
    )
}

/// The number of records a list answers (`links.total`).
fn total(c: &Http, path: &str) -> Result<u64> {
    let v = c.get(path)?;
    v["links"]["total"]
        .as_u64()
        .ok_or_else(|| format!("GET {path}: no links.total in {v}"))
}

/// Creates the record; answers its id.
fn create(c: &Http, kind: &str, body: &Value) -> Result<String> {
    let path = format!("/api/v1/{kind}/");
    let v = c
        .json("POST", &path, Some(body))
        .map_err(|e| format!("{e} ({})", body["name"]))?;
    v["data"]["id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("POST {path}: no id in {v}"))
}

/// Whether the store holds nothing yet: no jobs, packages, configs or devices.
fn empty(c: &Http) -> Result<bool> {
    for kind in ["jobs", "packages", "configs", "devices"] {
        if total(c, &format!("/api/v1/{kind}/?limit=1"))? > 0 {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Creates the demo records the server lacks (by name); answers the names it created.
fn seed(c: &Http, seeds: &[Seed]) -> Result<Vec<String>> {
    let mut ids: Vec<(&str, String, String)> = Vec::new();
    let mut made = Vec::new();
    for s in seeds {
        let name = s.body["name"].as_str().unwrap_or_default().to_string();
        let filter = format!("name={}", encode(&name));
        let mut body = s.body.clone();
        if s.kind == "packages" {
            for (key, kind) in [("config_id", "configs"), ("device_id", "devices")] {
                let export_id = text(&body, key);
                let id = ids
                    .iter()
                    .find(|(k, e, _)| *k == kind && *e == export_id)
                    .map_or("0".to_string(), |(_, _, id)| id.clone());
                body[key] = Value::String(id);
            }
        }
        let id = if total(c, &format!("/api/v1/{}/?limit=1&filter={filter}", s.kind))? > 0 {
            existing_id(c, s.kind, &filter)?
        } else {
            made.push(name);
            create(c, s.kind, &body)?
        };
        ids.push((s.kind, s.export_id.clone(), id));
    }
    Ok(made)
}

fn existing_id(c: &Http, kind: &str, filter: &str) -> Result<String> {
    let path = format!("/api/v1/{kind}/?limit=1&filter={filter}");
    let v = c.get(&path)?;
    v["data"][0]["id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("GET {path}: no id in {v}"))
}

/// A client of the server at `url` with the admin's `token`.
fn client(url: &str, token: &str) -> Http {
    Http::new(url, token, Duration::from_secs(30))
}

/// `cargo xtask dev`: the demo records, when the store is empty. Answers what it made.
pub fn seed_if_empty(root: &Path, url: &str, token: &str) -> Result<Vec<String>> {
    let c = client(url, token);
    if !empty(&c)? {
        return Ok(Vec::new());
    }
    seed(&c, &plan(&fixtures(root))?)
}

/// `cargo xtask demo`, and the browser tests: the demo records the server lacks.
pub fn ensure(root: &Path, url: &str, token: &str) -> Result<Vec<String>> {
    seed(&client(url, token), &plan(&fixtures(root))?)
}

fn fixtures(root: &Path) -> std::path::PathBuf {
    root.join("fixtures/cdrouter-exports")
}

#[cfg(test)]
mod tests {
    use super::*;
    use labrelay_api::interfaces::compute;

    fn seeds() -> Vec<Seed> {
        plan(&crate::tools::repo_root().join("fixtures/cdrouter-exports")).expect("the fixtures")
    }

    #[test]
    fn every_export_gives_its_records_as_cdrouter_wrote_them() {
        let s = seeds();
        let names: Vec<&str> = s.iter().filter_map(|s| s.body["name"].as_str()).collect();
        assert!(
            names.contains(&"Demo: Cisco E4200 DHCPv4 relay-nofatal"),
            "{names:?}"
        );
        assert!(names.iter().all(|n| n.starts_with(PREFIX)));
        assert_eq!(s.iter().filter(|s| s.kind == "packages").count(), 4);
        assert_eq!(s.iter().filter(|s| s.kind == "configs").count(), 4);
        let cisco = s
            .iter()
            .find(|s| s.body["name"] == "Demo: Cisco E4200 DHCPv4 relay-nofatal")
            .expect("the Cisco package");
        assert_eq!(cisco.body["testlist"], json!(["cdrouter_app_14", "dns_45"]));
        assert!(cisco.body["tags"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("demo"))));
        // Packages come after what they name.
        let first_package = s.iter().position(|s| s.kind == "packages").unwrap_or(0);
        assert!(s[..first_package].iter().all(|s| s.kind != "packages"));
    }

    /// The local agent can run every demo package: their configs use no interface it lacks.
    #[test]
    fn every_demo_package_runs_on_the_local_agent() {
        let s = seeds();
        let agent: Vec<&str> = crate::local_agent::INTERFACES.split(',').collect();
        for p in s.iter().filter(|s| s.kind == "packages") {
            let config = s
                .iter()
                .find(|c| c.kind == "configs" && c.export_id == text(&p.body, "config_id"))
                .map(|c| text(&c.body, "contents"))
                .unwrap_or_default();
            let extra = text(&p.body, "extra_cli_args");
            let used = compute(&config, &[], &[extra.as_str()]).expect("interfaces");
            for i in used {
                assert!(
                    agent.contains(&i.value.as_str()),
                    "{}: {} on {}",
                    p.body["name"],
                    i.name,
                    i.value
                );
            }
        }
    }

    #[test]
    fn names_are_encoded_for_a_filter() {
        assert_eq!(encode("Demo: a b/c"), "Demo%3A%20a%20b%2Fc");
    }
}
