//! Labrelay's Cloudflare Worker. The entry (`entry.rs`) forwards every API call to one
//! SQLite-backed Durable Object, the system of record (`store/`); everything else is the
//! browser app, served as static assets from the same origin.

mod body;
mod entry;
mod error;
mod files;
mod internal;
mod labs;
mod openapi;
mod path_pattern;
mod routed;
mod signin;
mod store;
mod store_call;
mod webcrypto;

pub use store::Store;
use worker::{event, Context, Env, Request, Response, Result};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    entry::route(req, env).await
}
