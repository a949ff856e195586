//! What a test makes for itself on the shared server: interfaces nobody else uses and a
//! package whose jobs need them, its jobs, a lab's name; and the paths into a lab.

use crate::{id, unique, Api};
use serde_json::{json, Value};

/// Interfaces nobody else uses (`<unique prefix>-lan`, `-wan`), and a package of `tests`
/// whose config puts its jobs on them.
pub fn package_on<S: AsRef<str>>(api: &Api, prefix: &str, tests: &[S]) -> (Vec<String>, Value) {
    let u = unique(prefix);
    let ifaces = vec![format!("{u}-lan"), format!("{u}-wan")];
    let cfg = api.create(
        "configs",
        json!({"name": unique("cfg"), "contents": format!("testvar lanInterface {}\ntestvar wanInterface {}\n", ifaces[0], ifaces[1])}),
    );
    let tests: Vec<&str> = tests.iter().map(AsRef::as_ref).collect();
    let pkg = api.create(
        "packages",
        json!({"name": unique("pkg"), "testlist": tests, "config_id": cfg["id"]}),
    );
    (ifaces, pkg)
}

/// A config of `contents`, named uniquely.
pub fn config(api: &Api, contents: &str) -> Value {
    api.create(
        "configs",
        json!({"name": unique("cfg"), "contents": contents}),
    )
}

/// A package of one test and no config.
pub fn basic_package(api: &Api) -> Value {
    api.create(
        "packages",
        json!({"name": unique("pkg"), "testlist": ["cdrouter_basic_1"]}),
    )
}

/// A job of `pkg`, with the launch's other fields from `extra`: its id.
pub fn launch(api: &Api, pkg: &Value, extra: Value) -> String {
    let mut body = json!({"package_id": pkg["id"]});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    id(&api.create("jobs", body))
}

/// Deletes every record of `resource` tagged `tag`, in one bulk request.
pub fn bulk_delete_tagged(api: &Api, resource: &str, tag: &str) {
    api.post(
        &format!("/api/v1/{resource}/?bulk=delete&filter=tags@>{{{tag}}}"),
        &json!({}),
    )
    .expect(204);
}

/// A lab name no other test uses: the first letter of `prefix`, then a unique tail (lab
/// names are at most 40 characters, lower case, digits and `-`).
pub fn lab_name(prefix: &str) -> String {
    let u = unique(prefix).to_ascii_lowercase().replace(['_', '.'], "-");
    let first = prefix.chars().next().unwrap_or('l');
    format!("{first}{}", &u[u.len().saturating_sub(30)..])
}

/// `path` in lab `lab`.
pub fn at(lab: &str, path: &str) -> String {
    format!("/labs/{lab}{path}")
}
