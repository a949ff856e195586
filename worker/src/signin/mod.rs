//! Signing in and everything that touches a password or an API token, in the entry worker:
//! the PBKDF2 work runs here (WebCrypto, off the store object's one thread); the store keeps
//! the records, the throttles and the comparison (`store::signin`).
//!
//! | route | what |
//! |---|---|
//! | `POST /authenticate` | `username`, `password` (form or query): the user with its API token; `session=1`: a browser session token instead (expires, ends with `POST /api/v1/logout`) |
//! | `POST /api/v1/users/` | a new user (admins) with its password and API token |
//! | `PATCH /api/v1/users/{id}` with `password` | the password set first (admins), then the rest |
//! | `POST /api/v1/users/{id}/password/` | `{old, new, new_confirm}`, `?change_token` (CDRouter) |
//! | `POST /api/v1/users/{id}/token/` | a new API token |
//!
//! Their rows are in the entry's route table (`entry/table.rs`).

mod password;
pub mod secrets;
mod token;

use crate::body::read_body;
use crate::internal::{
    SigninBegin, SigninChallenge, SigninFinish, SigninOk, UserCreate, UserOut, UserPassword,
    UserToken, PBKDF2_ROUNDS, SIGNIN_BEGIN, SIGNIN_FINISH, USER_CREATE, USER_PASSWORD, USER_TOKEN,
};
use crate::labs::Target;
use crate::routed::Routed;
use crate::store_call::{answer, call, Refused};
use labrelay_api::error::ApiError;
use labrelay_api::users::{check_new_password, PasswordChange, User, UserInput, MAX_PASSWORD};
use worker::{Env, Request, Response};

fn bearer(req: &Request) -> Option<String> {
    req.headers().get("authorization").ok().flatten()
}

/// The client's address as Cloudflare gives it (`CF-Connecting-IP`), for throttling.
fn address(req: &Request) -> String {
    req.headers()
        .get("cf-connecting-ip")
        .ok()
        .flatten()
        .unwrap_or_else(|| "unknown".into())
}

fn user_id(segment: &str) -> Result<u64, ApiError> {
    segment
        .parse::<u64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or(ApiError::NotFound("user"))
}

/// `{timestamp, data: user}` with its token.
fn user_answer(mut user: User, token: Option<String>) -> Result<Response, Refused> {
    user.token = token;
    let body = serde_json::to_vec(&serde_json::json!({
        "timestamp": crate::error::now(),
        "data": user,
    }))
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    crate::error::json_response(200, body).map_err(|e| ApiError::Internal(e.to_string()).into())
}

/// Form fields from the body (urlencoded) or the query string (the CDRouter client).
fn form_field(url: &worker::Url, body: &[u8], key: &str) -> Option<String> {
    worker::url::form_urlencoded::parse(body)
        .chain(url.query_pairs())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

pub async fn authenticate(mut req: Request, env: &Env) -> Result<Response, Refused> {
    let url = req
        .url()
        .map_err(|e| ApiError::invalid(format!("bad URL: {e}")))?;
    let body = read_body(&mut req).await?;
    let (Some(username), Some(pw)) = (
        form_field(&url, &body, "username"),
        form_field(&url, &body, "password"),
    ) else {
        return Err(ApiError::BadLogin.into());
    };
    if pw.len() > MAX_PASSWORD || username.len() > 256 {
        return Err(ApiError::BadLogin.into());
    }
    let session = matches!(
        form_field(&url, &body, "session").as_deref(),
        Some("1" | "true" | "True")
    );
    let address = address(&req);
    let begin = SigninBegin {
        username: username.clone(),
        user_id: None,
        address: address.clone(),
    };
    let challenge: SigninChallenge =
        call(&Target::directory(env), SIGNIN_BEGIN, None, &begin).await?;
    let mut finish = prove(env, &begin, &challenge, &pw).await?;
    let api = token::mint(env).await?;
    finish.api_hash = api.hash;
    finish.api_sealed = api.sealed;
    let session_token = if session {
        let t = token::new_token()?;
        finish.session = true;
        finish.session_hash = Some(token::hash_token(&t));
        Some(t)
    } else {
        None
    };
    let ok: SigninOk = call(&Target::directory(env), SIGNIN_FINISH, None, &finish).await?;
    let shown = match session_token {
        Some(t) => t,
        None => token::reveal(env, &ok.api_sealed)
            .await
            .ok_or_else(|| ApiError::Internal("the API token could not be unsealed".into()))?,
    };
    user_answer(ok.user, Some(shown))
}

/// The proof of a password for the store: its key with the user's salt (one derivation,
/// whether the user exists or not), and a better stored hash when there is one to give.
async fn prove(
    env: &Env,
    begin: &SigninBegin,
    challenge: &SigninChallenge,
    pw: &str,
) -> Result<SigninFinish, ApiError> {
    let key = password::key(pw, &challenge.salt, challenge.rounds).await?;
    let mut finish = SigninFinish {
        username: begin.username.clone(),
        user_id: begin.user_id,
        address: begin.address.clone(),
        ..SigninFinish::default()
    };
    if challenge.env_password {
        // The built-in admin before its first sign-in: the password is the secret; the key
        // just derived (fresh salt from the store, today's rounds) is stored from now on.
        let secret = secrets::get(env, "ADMIN_PASSWORD");
        finish.env_ok = !secret.is_empty() && password::same(pw, &secret);
        finish.upgrade = Some(password::format(challenge.rounds, &challenge.salt, &key));
    } else if challenge.rounds < PBKDF2_ROUNDS {
        finish.upgrade = Some(password::hash(pw).await?);
    }
    finish.key = key;
    Ok(finish)
}

/// `POST /api/v1/users/`.
pub async fn create(mut req: Request, env: &Env) -> Result<Response, Refused> {
    let body = read_body(&mut req).await?;
    let input: UserInput =
        serde_json::from_slice(&body).map_err(|e| ApiError::BadJson(e.to_string()))?;
    let pw = input
        .password
        .clone()
        .ok_or_else(|| ApiError::invalid("password is required"))?;
    check_new_password(&pw, input.password_confirm.as_deref())?;
    let api = token::mint(env).await?;
    let create = UserCreate {
        input: UserInput {
            password: None,
            password_confirm: None,
            ..input
        },
        password_hash: password::hash(&pw).await?,
        api_hash: api.hash,
        api_sealed: api.sealed,
    };
    as_caller(&req, env, USER_CREATE, &create, Some(api.token)).await
}

/// `POST /api/v1/users/{id}/password/`: the old password proven (unless an admin: the store
/// decides), the new one hashed; `change_token` (default true, as CDRouter) mints a new API
/// token.
pub async fn change_password(mut req: Request, env: &Env, id: &str) -> Result<Response, Refused> {
    let id = user_id(id)?;
    let url = req
        .url()
        .map_err(|e| ApiError::invalid(format!("bad URL: {e}")))?;
    let body = read_body(&mut req).await?;
    let change: PasswordChange =
        serde_json::from_slice(&body).map_err(|e| ApiError::BadJson(e.to_string()))?;
    check_new_password(&change.new, change.new_confirm.as_deref())?;
    let change_token = !matches!(
        form_field(&url, &[], "change_token").as_deref(),
        Some("false" | "False" | "0")
    );
    let old = match change.old.as_deref().filter(|o| !o.is_empty()) {
        Some(old) if old.len() <= MAX_PASSWORD => {
            let begin = SigninBegin {
                username: format!("#{id}"),
                user_id: Some(id),
                address: address(&req),
            };
            let challenge: SigninChallenge =
                call(&Target::directory(env), SIGNIN_BEGIN, None, &begin).await?;
            Some(prove(env, &begin, &challenge, old).await?)
        }
        Some(_) => return Err(ApiError::BadLogin.into()),
        None => None,
    };
    set_password(&req, env, id, &change.new, old, change_token).await
}

async fn set_password(
    req: &Request,
    env: &Env,
    id: u64,
    new: &str,
    old: Option<SigninFinish>,
    change_token: bool,
) -> Result<Response, Refused> {
    let api = if change_token {
        Some(token::mint(env).await?)
    } else {
        None
    };
    let body = UserPassword {
        user_id: id,
        password_hash: password::hash(new).await?,
        old,
        api_hash: api.as_ref().map(|a| a.hash.clone()),
        api_sealed: api.as_ref().map(|a| a.sealed.clone()),
    };
    as_caller(req, env, USER_PASSWORD, &body, api.map(|a| a.token)).await
}

/// `POST /api/v1/users/{id}/token/`.
pub async fn change_token(req: Request, env: &Env, id: &str) -> Result<Response, Refused> {
    let id = user_id(id)?;
    let api = token::mint(env).await?;
    let body = UserToken {
        user_id: id,
        api_hash: api.hash,
        api_sealed: api.sealed,
    };
    as_caller(&req, env, USER_TOKEN, &body, Some(api.token)).await
}

/// A call about a user to the directory with the caller's own token (the store decides who
/// may); the user it answers, with `token` when one was minted.
async fn as_caller<B: serde::Serialize>(
    req: &Request,
    env: &Env,
    path: &str,
    body: &B,
    token: Option<String>,
) -> Result<Response, Refused> {
    let out: UserOut = call(&Target::directory(env), path, bearer(req).as_deref(), body).await?;
    user_answer(out.user, token)
}

/// `PATCH /api/v1/users/{id}`: a `password` in it is set first (by an admin, or refused by
/// the store), then the rest goes on to the store as an ordinary edit.
pub async fn edit(mut req: Request, env: &Env, id: &str) -> Routed {
    let body = match read_body(&mut req).await {
        Ok(b) => b,
        Err(e) => return Routed::Done(crate::error::respond(e)),
    };
    let mut fields: serde_json::Map<String, serde_json::Value> = match serde_json::from_slice(&body)
    {
        Ok(serde_json::Value::Object(m)) => m,
        // Not an object with a password: the store answers as for any edit.
        _ => return forward(&req, body),
    };
    let Some(pw) = fields.remove("password") else {
        return forward(&req, body);
    };
    let confirm = fields.remove("password_confirm");
    let result = async {
        let id = user_id(id)?;
        let pw = pw
            .as_str()
            .ok_or_else(|| ApiError::invalid("password must be a string"))?;
        check_new_password(pw, confirm.as_ref().and_then(|c| c.as_str()))?;
        set_password(&req, env, id, pw, None, false).await
    }
    .await;
    match result {
        Ok(_) => {
            let rest = serde_json::to_vec(&fields).unwrap_or_default();
            forward(&req, rest)
        }
        Err(e) => Routed::Done(answer(e)),
    }
}

/// The same request with another body, on to the store.
fn forward(req: &Request, body: Vec<u8>) -> Routed {
    match crate::body::with_body(req, &body) {
        Ok(r) => Routed::Store(r),
        Err(e) => Routed::Done(crate::error::respond(e)),
    }
}
