//! The API's contract, `docs/openapi.json` (served at `/api/v1/openapi.json`), kept true two
//! ways: the tests here (it is OpenAPI 3.1-shaped, every route of the worker's route tables is
//! in it and nothing else is, its schemas have the wire types' fields) and `schemathesis` run
//! against the live worker by `cargo xtask test` ([`run_schemathesis`]).

use crate::server::{fresh_dir, Options, Server};
use crate::tools::run as sh;
use crate::Result;
use std::path::Path;
use std::process::Command;

/// Pinned, like the official client: the version this step was written against.
pub const SCHEMATHESIS: &str = "schemathesis==4.32.5";

/// Most test cases per operation and phase, and the seed: bounded and repeatable.
const MAX_EXAMPLES: u32 = 10;
const SEED: u32 = 20_240_102;

/// `schemathesis` against a worker of its own (fresh state, so nothing it creates, edits or
/// deletes, `all=true` bulk deletes included, can touch another suite's data): every
/// operation of the document the worker serves, with the admin token for user operations
/// and an agent's token for agent operations, after `itest/python/schemathesis_seed.py` has
/// made one of each thing (a job running on an agent, its result with tests and files) so
/// that the documented examples name real records. Checks: no 5xx, every answer's status
/// and body as documented.
pub fn run_schemathesis(root: &Path, python: &Path) -> Result {
    let server = Server::start(
        root,
        Options {
            port: crate::server::free_port()?,
            state: fresh_dir(root, "contract-state")?,
            admin_password: "contract-admin-password".into(),
            admin_token: format!("contract-admin-token-{}", std::process::id()),
            background: true,
            dev: true,
        },
    )?;
    println!("worker at {} (log: {})", server.url, server.log.display());
    let reports = fresh_dir(root, "schemathesis")?;
    let mut seed = Command::new(python);
    seed.arg(root.join("itest/python/schemathesis_seed.py"))
        .env("LABRELAY_URL", &server.url)
        .env("LABRELAY_ADMIN_TOKEN", &server.admin_token)
        .env("LABRELAY_SEED_OUT", reports.join("seed.env"));
    sh(&mut seed)?;
    let agent_token = std::fs::read_to_string(reports.join("seed.env"))
        .map_err(|e| format!("the seed wrote no agent token: {e}"))?;
    let st = python.with_file_name("schemathesis");
    let started = std::time::Instant::now();
    let mut cmd = Command::new(st);
    cmd.arg("--config-file")
        .arg(root.join("itest/python/schemathesis.toml"))
        .arg("run")
        .arg(format!("{}/api/v1/openapi.json", server.url))
        .args(["--url", &server.url])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,response_schema_conformance",
        ])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--max-examples", &MAX_EXAMPLES.to_string()])
        .args(["--seed", &SEED.to_string()])
        .args(["--workers", "1", "--request-timeout", "60", "--no-color"])
        // `wrangler dev` now and then resets every connection for a second or two under this
        // load (no error in its log): a request that meets that is sent again (after 1, 2, 4 s).
        .args(["--request-retries", "3"])
        .arg("--report")
        .arg("junit")
        .arg("--report-dir")
        .arg(&reports)
        .env("LABRELAY_ADMIN_TOKEN", &server.admin_token)
        .env("LABRELAY_AGENT_TOKEN", agent_token.trim())
        .env("SCHEMATHESIS_HOOKS", "schemathesis_hooks")
        .env("PYTHONPATH", root.join("itest/python"))
        .current_dir(root);
    let result = sh(&mut cmd);
    println!("schemathesis took {:.0} s", started.elapsed().as_secs_f64());
    drop(server);
    result
}

#[cfg(test)]
mod tests {
    use regex::Regex;
    use serde_json::Value;
    use std::collections::BTreeSet;
    use std::path::PathBuf;

    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the workspace")
            .to_path_buf()
    }

    fn read(rel: &str) -> String {
        std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    fn document() -> Value {
        serde_json::from_str(&read("docs/openapi.json")).expect("docs/openapi.json is JSON")
    }

    const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

    /// Every (method, path) of the document, the path as the route tables see it: the
    /// segments after `/api/v1/` with each `{param}` as `{}` (`/authenticate` as itself).
    fn documented(doc: &Value) -> BTreeSet<(String, String)> {
        let mut out = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for m in METHODS {
                if item.get(m).is_some() {
                    out.insert((m.to_uppercase(), normalize(path)));
                }
            }
        }
        out
    }

    fn normalize(path: &str) -> String {
        let rest = path.strip_prefix("/api/v1").unwrap_or(path);
        let segs: Vec<&str> = rest
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| if s.starts_with('{') { "{}" } else { s })
            .collect();
        if path.starts_with("/api/v1") {
            format!("/api/v1/{}", segs.join("/"))
        } else {
            format!("/{}", segs.join("/"))
        }
    }

    /// Every route the worker serves, read from its two route tables: the lab object's and
    /// the entry's, a row per route, `METHOD "path[?switch]", ...` (rows for `ANY` method, the
    /// entry's internal calls and refusals, are not operations of the API).
    fn served() -> BTreeSet<(String, String)> {
        let row = Regex::new(r#"(?m)^\s*(GET|POST|PUT|PATCH|DELETE) "(/[^"?]*)(?:\?[^"]*)?","#)
            .expect("regex");
        let mut out = BTreeSet::new();
        for (table, at_least) in [
            ("worker/src/store/route_table.rs", 60),
            ("worker/src/entry/table.rs", 10),
        ] {
            let src = read(table);
            let rows: Vec<_> = row.captures_iter(&src).collect();
            assert!(rows.len() >= at_least, "{table}: only {} rows", rows.len());
            for c in rows {
                out.insert((c[1].to_string(), normalize(&c[2])));
            }
        }
        out
    }

    #[test]
    fn every_served_route_is_documented_and_nothing_else() {
        let served = served();
        let doc = documented(&document());
        let missing: Vec<_> = served.difference(&doc).collect();
        let extra: Vec<_> = doc.difference(&served).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "served but not in docs/openapi.json: {missing:?}\nin docs/openapi.json but not served: {extra:?}"
        );
        assert!(served.len() > 50, "only {} routes found", served.len());
    }

    /// Follows a local `$ref` (`#/components/...`).
    fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let target = doc
                    .pointer(r.trim_start_matches('#'))
                    .unwrap_or_else(|| panic!("unresolved $ref {r}"));
                resolve(doc, target)
            }
            None => v,
        }
    }

    fn walk_refs(doc: &Value, v: &Value, n: &mut usize) {
        match v {
            Value::Object(m) => {
                if let Some(r) = m.get("$ref") {
                    let r = r.as_str().expect("$ref is a string");
                    assert!(r.starts_with("#/components/"), "non-local $ref {r}");
                    assert!(doc.pointer(&r[1..]).is_some(), "unresolved $ref {r}");
                    *n += 1;
                }
                m.values().for_each(|x| walk_refs(doc, x, n));
            }
            Value::Array(a) => a.iter().for_each(|x| walk_refs(doc, x, n)),
            _ => {}
        }
    }

    #[test]
    fn the_document_is_openapi_3_1_shaped() {
        let doc = document();
        assert!(
            doc["openapi"]
                .as_str()
                .is_some_and(|v| v.starts_with("3.1.")),
            "openapi: {}",
            doc["openapi"]
        );
        assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
        let schemes = doc["components"]["securitySchemes"]
            .as_object()
            .expect("securitySchemes");
        for name in ["userToken", "agentToken"] {
            assert_eq!(schemes[name]["type"], "http", "{name}");
            assert_eq!(schemes[name]["scheme"], "bearer", "{name}");
        }
        let mut refs = 0;
        walk_refs(&doc, &doc, &mut refs);
        assert!(refs > 100);
        let error = "#/components/schemas/Error";
        let mut ids = BTreeSet::new();
        let template = Regex::new(r"\{(\w+)\}").expect("regex");
        for (path, item) in doc["paths"].as_object().expect("paths") {
            assert!(path.starts_with('/'), "{path}");
            let templated: BTreeSet<String> = template
                .captures_iter(path)
                .map(|c| c[1].to_string())
                .collect();
            for (method, op) in item.as_object().expect("path item") {
                assert!(METHODS.contains(&method.as_str()), "{path}: {method}");
                let what = format!("{} {path}", method.to_uppercase());
                let id = op["operationId"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{what}: operationId"));
                assert!(ids.insert(id.to_string()), "{what}: operationId {id} twice");
                assert!(op["summary"].is_string(), "{what}: summary");
                // Path parameters: exactly the template's.
                let params: Vec<&Value> = op["parameters"]
                    .as_array()
                    .map(|a| a.iter().map(|p| resolve(&doc, p)).collect())
                    .unwrap_or_default();
                let in_path: BTreeSet<String> = params
                    .iter()
                    .filter(|p| p["in"] == "path")
                    .map(|p| {
                        assert_eq!(p["required"], true, "{what}: path parameters are required");
                        p["name"].as_str().expect("name").to_string()
                    })
                    .collect();
                assert_eq!(in_path, templated, "{what}: path parameters");
                for p in &params {
                    assert!(
                        ["path", "query", "header"].contains(&p["in"].as_str().unwrap_or("")),
                        "{what}"
                    );
                    assert!(
                        p["schema"].is_object(),
                        "{what}: {} has a schema",
                        p["name"]
                    );
                }
                // Security: none (sign-in, this document), or one of the two tokens.
                let security = op.get("security").unwrap_or(&doc["security"]);
                for req in security.as_array().expect("security") {
                    for scheme in req.as_object().expect("requirement").keys() {
                        assert!(schemes.contains_key(scheme), "{what}: {scheme}");
                    }
                }
                let agent_path = path.starts_with("/api/v1/agent/");
                let want = if agent_path {
                    "agentToken"
                } else {
                    "userToken"
                };
                let open = ["/authenticate", "/api/v1/openapi.json"].contains(&path.as_str());
                if open {
                    assert_eq!(security, &Value::Array(vec![]), "{what} needs no token");
                } else {
                    assert_eq!(
                        security[0].as_object().map(|o| o.contains_key(want)),
                        Some(true),
                        "{what}: {want}"
                    );
                    assert!(op["responses"].get("401").is_some(), "{what}: 401");
                }
                // Answers: 2xx and 4xx only, errors as `{timestamp, error}`, JSON successes
                // in the envelope.
                let responses = op["responses"].as_object().expect("responses");
                // An operation marked `x-not-applicable` (a CDRouter call that does not apply to
                // Labrelay) only ever refuses.
                let refused_always = op.get("x-not-applicable") == Some(&Value::Bool(true));
                assert!(
                    responses.keys().any(|c| c.starts_with('2')) != refused_always,
                    "{what}: a success, unless marked x-not-applicable (then none)"
                );
                for (code, r) in responses {
                    assert!(
                        code.len() == 3 && (code.starts_with('2') || code.starts_with('4')),
                        "{what}: status {code}"
                    );
                    let r = resolve(&doc, r);
                    assert!(r["description"].is_string(), "{what} {code}: description");
                    let json = &r["content"]["application/json"]["schema"];
                    if code.starts_with('4') {
                        assert_eq!(json["$ref"], error, "{what} {code}: the error shape");
                    } else if json.is_object() && path != "/api/v1/openapi.json" {
                        let props = &json["properties"];
                        assert!(
                            props["timestamp"].is_object() && props["data"].is_object(),
                            "{what} {code}: not in the envelope"
                        );
                    }
                    if code == "204" {
                        assert!(r.get("content").is_none(), "{what}: 204 has no body");
                    }
                }
            }
        }
        assert!(ids.len() > 50, "{} operations", ids.len());
    }

    /// A wire struct's fields as serde writes them: (name, skipped when `None`, has a
    /// default or is an `Option` when read).
    fn struct_fields(src: &str, name: &str) -> Vec<(String, bool, bool)> {
        let start = src
            .find(&format!("pub struct {name} {{"))
            .or_else(|| src.find(&format!("struct {name} {{")))
            .unwrap_or_else(|| panic!("struct {name} not found"));
        // `#[serde(default)]` on the struct: every field has a default when read.
        let all_default = src[..start]
            .lines()
            .rev()
            .map(str::trim)
            .take_while(|l| l.starts_with("#[") || l.starts_with("///"))
            .any(|l| l == "#[serde(default)]");
        let body = &src[start..];
        let body = &body[body.find('{').expect("{") + 1..body.find("\n}").expect("}")];
        let mut out = Vec::new();
        let mut attrs = String::new();
        let renamed = Regex::new(r#"rename = "(\w+)""#).expect("regex");
        for line in body.lines().map(str::trim) {
            if line.starts_with("//") || line.is_empty() {
                continue;
            }
            if line.starts_with("#[") {
                attrs.push_str(line);
            } else {
                let decl = line.strip_prefix("pub ").unwrap_or(line);
                let (field, ty) = decl
                    .split_once(": ")
                    .unwrap_or_else(|| panic!("{name}: cannot read `{line}`"));
                let rename = renamed.captures(&attrs).map(|c| c[1].to_string());
                let skipped = attrs.contains("skip_serializing_if");
                let optional_in =
                    all_default || attrs.contains("default") || ty.starts_with("Option<");
                out.push((
                    rename.unwrap_or_else(|| field.to_string()),
                    skipped,
                    optional_in,
                ));
                attrs.clear();
            }
        }
        out
    }

    /// The document's schemas have exactly the fields of the wire types (`api/src/*.rs`),
    /// with the same required ones: an answer always holds every field serde writes but the
    /// skipped `None`s; a request needs every field without a default.
    #[test]
    fn schemas_have_the_wire_types_fields() {
        let doc = document();
        let schemas = &doc["components"]["schemas"];
        // Per source file, the wire types it declares: the answers, then the requests. A
        // schema is named as its struct but where `Schema=Struct` says otherwise.
        #[rustfmt::skip]
        let table: &[(&str, &str, &str)] = &[
            ("api/src/jobs.rs", "Job JobOptions", "JobOptionsInput JobInput BulkLaunch IdRef"),
            ("api/src/interfaces.rs", "Interface Testvar", "TestvarInput=Testvar"),
            ("api/src/resources.rs", "Package Config Device", "PackageInput ConfigInput DeviceInput"),
            ("api/src/users.rs", "User", "UserInput PasswordChange"),
            ("api/src/labs.rs", "Lab WaitStatus DeletedLab", "LabInput RestoreInput"),
            ("api/src/agents.rs", "Agent Claim Lease Progress HeartbeatReply WhoAmI StopPoll LogAck LogChunk",
                "AgentInput ClaimRequest StartRequest Heartbeat LogAppend Finish"),
            ("api/src/results.rs", "RunResult RunProgress TestResult TestsAck Capture LogDirFile FileState \
                BatchOutcome Update TestLog LogLine=LogLineOut LineSummary", "TestRecord TestsUpload"),
            ("api/src/query/links.rs", "Links", ""),
            ("api/src/queue.rs", "Waiting", ""),
            ("api/src/reservations.rs", "Reservation", "ReservationInput"),
            ("api/src/schedules.rs", "Schedule", "ScheduleInput"),
            ("api/src/webhooks.rs", "Webhook Delivery", "WebhookInput"),
            ("api/src/system.rs", "SystemTime Space InterfaceFlags SystemInterface InUseFlags InUseInterface", ""),
            ("api/src/stats.rs", "TestCount TestDuration ResultBreakdown TimeBreakdown SetStats TestResultSummary \
                TestResultDiff DiffStats TestResultBreakdown SingleStats SummaryStats PackageCount DeviceCount AllStats",
                "ResultRef"),
            ("api/src/metrics/mod.rs", "Metric GraphMetric Bandwidth Latency ClientRates", ""),
            ("worker/src/store/results/mod.rs", "", "ResultEdit"),
        ];
        let table = table.iter().flat_map(|(file, answers, requests)| {
            let named = |list: &'static str, answer: bool| {
                list.split_whitespace().map(move |s| {
                    let (schema, name) = s.split_once('=').unwrap_or((s, s));
                    (schema, *file, name, answer)
                })
            };
            named(answers, true).chain(named(requests, false))
        });
        for (schema, file, name, answer) in table {
            let s = &schemas[schema];
            assert!(s.is_object(), "no schema {schema}");
            let fields = struct_fields(&read(file), name);
            let props: BTreeSet<String> = s["properties"]
                .as_object()
                .unwrap_or_else(|| panic!("{schema}: properties"))
                .keys()
                .cloned()
                .collect();
            let names: BTreeSet<String> = fields.iter().map(|f| f.0.clone()).collect();
            assert_eq!(props, names, "{schema} vs {file} {name}: fields");
            let required: BTreeSet<String> = s["required"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            let want: BTreeSet<String> = fields
                .iter()
                .filter(|(_, skipped, optional_in)| if answer { !skipped } else { !optional_in })
                .map(|f| f.0.clone())
                .collect();
            assert_eq!(required, want, "{schema} vs {file} {name}: required fields");
            // An answer names every field it may hold; a request may send others (ignored).
            assert_eq!(
                s["additionalProperties"] == Value::Bool(false),
                answer,
                "{schema}: answers are closed, requests open"
            );
        }
    }

    /// What the query string switches on (`?process=`, `?bulk=`) is in the document.
    #[test]
    fn query_switches_are_documented() {
        let doc = document();
        // Each row of the store's table a query switch selects (`POST "/api/v1/jobs?bulk=launch"`).
        let row = Regex::new(r#"(?m)^\s*(GET|POST|PUT|PATCH|DELETE) "(/[^"?]*)\?(\w+)=(\w+)","#)
            .expect("regex");
        let table = read("worker/src/store/route_table.rs");
        let mut switches = 0;
        for c in row.captures_iter(&table) {
            switches += 1;
            let (method, path, param, value) = (c[1].to_lowercase(), &c[2], &c[3], &c[4]);
            let (_, item) = doc["paths"]
                .as_object()
                .expect("paths")
                .iter()
                .find(|(p, _)| normalize(p) == normalize(path))
                .unwrap_or_else(|| panic!("{path} is not in docs/openapi.json"));
            let values: BTreeSet<String> = item[&method]["parameters"]
                .as_array()
                .expect("parameters")
                .iter()
                .map(|p| resolve(&doc, p))
                .find(|p| p["name"] == param)
                .and_then(|p| p["schema"]["enum"].as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            assert!(
                values.contains(value),
                "{method} {path}: {param}={value} is not documented"
            );
        }
        assert!(switches >= 6, "only {switches} query switches found");
    }
}
