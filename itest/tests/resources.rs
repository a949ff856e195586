//! Packages, configs and devices: create, get, list (summary/detailed), edit, delete, bulk
//! delete, unique names, locking.

use labrelay_itest::own::bulk_delete_tagged;
use labrelay_itest::{id, unique, Api};
use serde_json::{json, Value};

const CONFIG: &str = "testvar lanInterface eth3\n\
                      testvar wanInterface wlan0\n\
                      # a comment\n\
                      testvar_group lan2 {\n    testvar lanInterface eth4\n}\n";

#[test]
fn configs_compute_interfaces_and_hide_contents_in_lists() {
    let api = Api::admin();
    let name = unique("cfg");
    let cfg = api.create(
        "configs",
        json!({"name": name, "contents": CONFIG, "tags": ["a"]}),
    );
    assert_eq!(cfg["contents"], CONFIG);
    let ifaces: Vec<(&str, &str, bool)> = cfg["interfaces"]
        .as_array()
        .expect("interfaces")
        .iter()
        .map(|i| {
            (
                i["name"].as_str().unwrap_or(""),
                i["value"].as_str().unwrap_or(""),
                i["is_wireless"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    assert_eq!(
        ifaces,
        [
            ("lan", "eth3", false),
            ("wan", "wlan0", true),
            ("lan2", "eth4", false)
        ]
    );

    let list = api
        .get(&format!("/api/v1/configs/?filter=name={name}"))
        .expect(200);
    let summary = &list.data()[0];
    assert!(summary.get("contents").is_none());
    assert!(summary.get("interfaces").is_none());
    let detailed = api
        .get(&format!(
            "/api/v1/configs/?filter=name={name}&detailed=true"
        ))
        .expect(200);
    assert_eq!(detailed.data()[0]["contents"], CONFIG);
}

#[test]
fn package_lifecycle() {
    let api = Api::admin();
    let cfg = api.create(
        "configs",
        json!({"name": unique("cfg"), "contents": CONFIG}),
    );
    let dev = api.create(
        "devices",
        json!({"name": unique("dev"), "manufacturer": "Acme", "model_name": "R1"}),
    );
    let name = unique("pkg");
    let pkg = api.create(
        "packages",
        json!({
            "name": name,
            "testlist": ["cdrouter_basic_1", "cdrouter_nat_1", "MODULE_dhcp.tcl"],
            "config_id": cfg["id"],
            "device_id": dev["id"],
            "tags": ["nightly"],
            "extra_cli_args": "-testvar lanInterface=eth9",
        }),
    );
    assert_eq!(pkg["test_count"], 3);
    assert_eq!(pkg["testlist"][2], "MODULE_dhcp.tcl");
    assert_eq!(pkg["agent_id"], "0");
    assert_eq!(
        pkg["interfaces"][0]["value"], "eth9",
        "package args override its config"
    );
    let pid = id(&pkg);

    let list = api
        .get(&format!("/api/v1/packages/?filter=name={name}"))
        .expect(200);
    assert_eq!(list.body["links"]["total"], 1);
    let summary = &list.data()[0];
    for hidden in ["testlist", "extra_cli_args", "note", "interfaces"] {
        assert!(
            summary.get(hidden).is_none(),
            "{hidden} in summary: {summary}"
        );
    }
    assert_eq!(summary["test_count"], 3);

    // Filters on arrays and counts.
    assert_eq!(
        api.total(&format!(
            "/api/v1/packages/?filter=name={name}&filter=testlist@>{{cdrouter_nat_1}}"
        )),
        1
    );

    // Edit: nulls and read-only keys are ignored, as the Python client sends them.
    let edited = api
        .patch(
            &format!("/api/v1/packages/{pid}/"),
            &json!({"id": "77", "description": "nightly run", "test_count": "9", "note": null, "created": null}),
        )
        .expect(200);
    assert_eq!(edited.data()["description"], "nightly run");
    assert_eq!(edited.data()["id"], pid.as_str());
    assert_eq!(edited.data()["test_count"], 3);

    api.patch(
        &format!("/api/v1/packages/{pid}/"),
        &json!({"config_id": "999999"}),
    )
    .expect_error(404, "no such config");
    api.delete(&format!("/api/v1/packages/{pid}/")).expect(204);
    api.get_refused(&format!("/api/v1/packages/{pid}/"), 404, "no such package");
}

#[test]
fn names_are_required_and_unique() {
    let api = Api::admin();
    for resource in ["packages", "configs", "devices"] {
        let name = unique(resource);
        api.create(resource, json!({"name": name}));
        api.post(&format!("/api/v1/{resource}/"), &json!({"name": name}))
            .expect_error(409, "name already exists");
        api.post(
            &format!("/api/v1/{resource}/"),
            &json!({"description": "no name"}),
        )
        .expect_error(400, "name is required");
        api.post(&format!("/api/v1/{resource}/"), &json!({"name": "   "}))
            .expect_error(400, "name is required");
        let other = api.create(resource, json!({"name": unique(resource)}));
        api.patch(
            &format!("/api/v1/{resource}/{}/", id(&other)),
            &json!({"name": name}),
        )
        .expect_error(409, "name already exists");
    }
}

#[test]
fn locked_resources_refuse_delete_and_edits_until_unlocked() {
    let api = Api::admin();
    for (resource, noun) in [
        ("packages", "package"),
        ("configs", "config"),
        ("devices", "device"),
    ] {
        let r = api.create(resource, json!({"name": unique(resource), "locked": true}));
        let path = format!("/api/v1/{resource}/{}/", id(&r));
        api.delete(&path)
            .expect_error(409, &format!("cannot delete locked {noun}"));
        api.patch(&path, &json!({"description": "changed"}))
            .expect_error(409, &format!("cannot edit locked {noun}"));
        let unlocked = api.patch(&path, &json!({"locked": false})).expect(200);
        assert_eq!(unlocked.data()["locked"], false);
        api.delete(&path).expect(204);
    }
}

#[test]
fn devices_keep_free_form_fields() {
    let api = Api::admin();
    let d = api.create(
        "devices",
        json!({"name": unique("dev"), "manufacturer": "Acme", "model_name": "X", "serial_number": "42", "software_version": "1.2.3", "note": "rack 4"}),
    );
    let got = api.get(&format!("/api/v1/devices/{}/", id(&d))).expect(200);
    for (k, v) in [
        ("manufacturer", "Acme"),
        ("serial_number", "42"),
        ("software_version", "1.2.3"),
        ("note", "rack 4"),
    ] {
        assert_eq!(got.data()[k], v);
    }
    let found = api
        .get("/api/v1/devices/?filter=manufacturer=Acme&filter=serial_number=42")
        .expect(200);
    assert!(found.body["links"]["total"].as_u64().unwrap_or(0) >= 1);
}

#[test]
fn bulk_delete_by_ids_and_filter() {
    let api = Api::admin();
    let tag = unique("bulk");
    let made: Vec<Value> = (0..4)
        .map(|_| api.create("devices", json!({"name": unique("dev"), "tags": [tag]})))
        .collect();
    let ids: Vec<Value> = made[..2].iter().map(|d| json!({"id": d["id"]})).collect();
    api.post("/api/v1/devices/?bulk=delete", &json!({"devices": ids}))
        .expect(204);
    assert_eq!(
        api.total(&format!("/api/v1/devices/?filter=tags@>{{{tag}}}")),
        2
    );
    bulk_delete_tagged(&api, "devices", &tag);
    assert_eq!(
        api.total(&format!("/api/v1/devices/?filter=tags@>{{{tag}}}")),
        0
    );
    api.post("/api/v1/devices/?bulk=delete", &json!({}))
        .expect(400);
}
