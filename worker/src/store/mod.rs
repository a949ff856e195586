//! The store: one SQLite-backed Durable Object, the system of record for every resource.
//! `fetch` reads the request, authenticates the caller and dispatches on the path to the
//! resource modules; every error becomes a JSON answer in `crate::error`.

mod auth;
mod configs;
mod crud;
mod db;
mod devices;
mod http;
mod jobs;
mod list;
mod packages;
mod schema;
mod users;

use crate::error::respond;
use db::Db;
use http::{Ctx, Reply};
use labrelay_api::error::ApiError;
use worker::{durable_object, DurableObject, Env, Method, Request, Response, Result, State};

#[durable_object]
pub struct Store {
    db: Db,
    env: Env,
    /// Set when the schema could not be brought up to date: every request answers with it.
    init_error: Option<String>,
}

impl DurableObject for Store {
    fn new(state: State, env: Env) -> Self {
        let db = Db::new(state.storage().sql());
        let init = schema::migrate(&db).and_then(|_| {
            auth::bootstrap(
                &db,
                &secret(&env, "ADMIN_PASSWORD"),
                &secret(&env, "ADMIN_TOKEN"),
            )
        });
        Store {
            db,
            env,
            init_error: init.err().map(|e| e.to_string()),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        if req.path() == "/healthz/store" {
            // The same hop as any API call, with no work: the ceiling for reads.
            return Response::ok("hello");
        }
        let answer = match Ctx::read(req).await {
            Ok(ctx) => self.handle(&ctx),
            Err(e) => Err(e),
        };
        match answer {
            Ok(reply) => reply.into_response(),
            Err(e) => respond(e),
        }
    }
}

/// A var or secret of the worker's environment, "" when unset.
fn secret(env: &Env, name: &str) -> String {
    env.secret(name)
        .map(|s| s.to_string())
        .or_else(|_| env.var(name).map(|v| v.to_string()))
        .unwrap_or_default()
}

impl Store {
    fn handle(&self, ctx: &Ctx) -> std::result::Result<Reply, ApiError> {
        if let Some(e) = &self.init_error {
            return Err(ApiError::Internal(format!("store failed to start: {e}")));
        }
        if ctx.path.trim_end_matches('/') == "/authenticate" {
            return match ctx.method {
                Method::Post => users::authenticate(&self.db, ctx),
                _ => Err(ApiError::MethodNotAllowed),
            };
        }
        if !ctx.path.starts_with("/api/v1/") && ctx.path != "/api/v1" {
            return Err(ApiError::NoRoute);
        }
        let caller = auth::caller(&self.db, ctx.bearer.as_deref())?;
        let seg: Vec<&str> = ctx.segments.iter().map(String::as_str).collect();
        let db = &self.db;
        match seg.as_slice() {
            ["system", "hostname"] => match ctx.method {
                Method::Get => http::data(&self.hostname()),
                _ => Err(ApiError::MethodNotAllowed),
            },
            ["jobs", rest @ ..] => jobs::route(db, ctx, &caller, rest),
            ["packages", rest @ ..] => packages::route(db, ctx, &caller, rest),
            ["configs", rest @ ..] => configs::route(db, ctx, &caller, rest),
            ["devices", rest @ ..] => devices::route(db, ctx, &caller, rest),
            ["users", rest @ ..] => users::route(db, ctx, &caller, rest),
            _ => Err(ApiError::NoRoute),
        }
    }

    fn hostname(&self) -> String {
        let name = secret(&self.env, "HOSTNAME");
        if name.is_empty() {
            "labrelay".into()
        } else {
            name
        }
    }
}
