//! Tokens, sign-in, users and privileges.

use labrelay_itest::{admin_password, id, unique, Api};
use serde_json::json;

#[test]
fn every_api_call_needs_a_valid_token() {
    Api::anonymous()
        .get("/api/v1/jobs/")
        .expect_error(401, "invalid token");
    Api::with_token(Some("not-a-token".into()))
        .get("/api/v1/system/hostname/")
        .expect_error(401, "invalid token");
    Api::with_token(Some(String::new()))
        .get("/api/v1/packages")
        .expect_error(401, "invalid token");
}

#[test]
fn hostname_answers_for_a_valid_token() {
    let a = Api::admin().get("/api/v1/system/hostname/").expect(200);
    assert!(
        a.data().as_str().is_some_and(|s| !s.is_empty()),
        "{}",
        a.raw
    );
    assert!(a.body["timestamp"].as_str().is_some());
}

#[test]
fn authenticate_with_form_body_or_query_parameters() {
    let anon = Api::anonymous();
    let form = format!("username=admin&password={}", admin_password());
    let a = anon
        .post_raw(
            "/authenticate",
            "application/x-www-form-urlencoded",
            form.as_bytes(),
        )
        .expect(200);
    assert_eq!(a.data()["name"], "admin");
    assert_eq!(a.data()["admin"], true);
    assert_eq!(a.data()["id"], "1");
    let token = a.data()["token"].as_str().expect("a token").to_string();
    Api::with_token(Some(token))
        .get("/api/v1/jobs/")
        .expect(200);

    let q = format!("/authenticate?username=admin&password={}", admin_password());
    let b = anon.post_raw(&q, "application/json", b"").expect(200);
    assert!(b.data()["token"].as_str().is_some());
}

#[test]
fn authenticate_rejects_bad_credentials() {
    let anon = Api::anonymous();
    anon.post_raw(
        "/authenticate",
        "application/x-www-form-urlencoded",
        b"username=admin&password=wrong",
    )
    .expect_error(401, "invalid username or password");
    anon.post_raw(
        "/authenticate",
        "application/x-www-form-urlencoded",
        b"username=nobody-here&password=whatever1",
    )
    .expect_error(401, "invalid username or password");
    anon.post_raw("/authenticate", "application/x-www-form-urlencoded", b"")
        .expect_error(401, "invalid username or password");
    anon.method("GET", "/authenticate").expect(405);
}

#[test]
fn users_are_admin_only_and_a_user_token_works_for_jobs() {
    let admin = Api::admin();
    let name = unique("user");
    let user = admin.create(
        "users",
        json!({"name": name, "password": "s3cret-pass", "password_confirm": "s3cret-pass"}),
    );
    assert_eq!(user["admin"], false);
    let token = user["token"]
        .as_str()
        .expect("token shown at creation")
        .to_string();
    let uid = id(&user);

    let as_user = Api::with_token(Some(token));
    as_user.get("/api/v1/jobs/").expect(200);
    as_user.get("/api/v1/packages/").expect(200);
    as_user.get_refused("/api/v1/users/", 403, "insufficient privileges");
    as_user
        .post(
            "/api/v1/users/",
            &json!({"name": unique("x"), "password": "abcdefgh1"}),
        )
        .expect_error(403, "insufficient privileges");
    as_user.get_refused("/api/v1/users/1/", 403, "insufficient privileges");
    let me = as_user.get(&format!("/api/v1/users/{uid}/")).expect(200);
    assert_eq!(me.data()["name"], name.as_str());
    assert!(
        me.data().get("token").is_none(),
        "a stored token is never shown again"
    );

    // Sign in as the new user with the password.
    let form = format!("username={name}&password=s3cret-pass");
    Api::anonymous()
        .post_raw(
            "/authenticate",
            "application/x-www-form-urlencoded",
            form.as_bytes(),
        )
        .expect(200);

    // Disabled users lose access at once.
    admin
        .patch(&format!("/api/v1/users/{uid}/"), &json!({"disabled": true}))
        .expect(200);
    as_user.get_refused("/api/v1/jobs/", 401, "invalid token");
    admin.delete(&format!("/api/v1/users/{uid}/")).expect(204);
    admin.get_refused(&format!("/api/v1/users/{uid}/"), 404, "no such user");
}

#[test]
fn user_input_is_checked() {
    let admin = Api::admin();
    admin
        .post("/api/v1/users/", &json!({"name": unique("u")}))
        .expect_error(400, "password is required");
    admin
        .post(
            "/api/v1/users/",
            &json!({"name": unique("u"), "password": "short"}),
        )
        .expect_error(400, "password must be at least 8 characters");
    admin
        .post(
            "/api/v1/users/",
            &json!({"name": "admin", "password": "abcdefgh1"}),
        )
        .expect_error(409, "name already exists");
    admin
        .post(
            "/api/v1/users/",
            &json!({"name": "x".repeat(201), "password": "abcdefgh1"}),
        )
        .expect_error(400, "name is at most 200 bytes");
    admin
        .patch(
            "/api/v1/users/1/",
            &json!({"description": "d".repeat(2001)}),
        )
        .expect_error(400, "description is at most 2000 bytes");
    admin
        .delete("/api/v1/users/1/")
        .expect_error(409, "cannot delete the built-in admin or yourself");
    assert_eq!(admin.total("/api/v1/users/?filter=name=admin"), 1);
}
