//! The store: one SQLite-backed Durable Object, the system of record for every resource.
//! `fetch` reads the request and hands it to `serve.rs`, which finds its row in the route
//! table (`route_table.rs`); every error becomes a JSON answer in `crate::error`.
//!
//! It also dispatches work: agents long-poll `agent/claim`, and a waiting claim is woken the
//! moment anything that can make a job dispatchable happens (a launch, an edit, a finish, a
//! stop, an alarm for a `run_at` coming due or a lease running out), never by a sleep loop.
//! Running jobs' agents long-poll `agent/jobs/{id}/stop` the same way: a user's stop reaches
//! the lab machine within a round trip.

mod agent_api;
mod agents;
mod alarm;
pub(crate) mod auth;
mod bulk;
mod closing;
mod columns;
mod configs;
mod crud;
pub(crate) mod db;
mod devices;
pub(crate) mod dispatch;
mod effective;
mod effects;
mod health;
pub(crate) mod http;
pub(crate) mod jobs;
mod lab_life;
mod labs;
pub(crate) mod lease;
pub(crate) mod list;
mod logs;
mod longpoll;
pub(crate) mod object;
mod packages;
mod queue;
mod reservations;
mod results;
mod route;
mod route_table;
mod run_control;
mod schedule;
mod schema;
mod serve;
mod signin;
mod system;
mod users;
mod wake;
mod webhooks;

use crate::error::respond;
use db::Db;
use http::Ctx;
use object::secret;
pub use object::Store;
use worker::{DurableObject, Env, Request, Response, Result, State};

impl DurableObject for Store {
    fn new(state: State, env: Env) -> Self {
        let db = Db::new(state.storage().sql());
        // A purged lab's object is a tombstone: nothing to migrate, nothing to serve.
        let purged = closing::is_purged(&db).unwrap_or(false);
        let init = if purged {
            Ok(())
        } else {
            schema::migrate(&db).and_then(|_| auth::bootstrap(&db, &secret(&env, "ADMIN_TOKEN")))
        };
        let closed = purged || closing::is_closed(&db).unwrap_or(false);
        let result_max_bytes = secret(&env, "RESULT_MAX_BYTES")
            .parse()
            .unwrap_or(labrelay_api::results::DEFAULT_RESULT_MAX_BYTES);
        Store {
            db,
            state,
            env,
            result_max_bytes,
            init_error: init.err().map(|e| e.to_string()),
            closed: std::cell::Cell::new(closed),
            waiting: wake::Waiting::new(),
            due: queue::DueCache::default(),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        if req.path() == "/healthz/store" {
            // The same hop as any API call, with no work: the ceiling for reads.
            return Response::ok("hello");
        }
        let answer = match Ctx::read(req).await {
            Ok(ctx) => self.handle(&ctx).await,
            Err(e) => Err(e),
        };
        match answer {
            Ok(reply) => reply.into_response(),
            Err(e) => respond(e),
        }
    }

    async fn alarm(&self) -> Result<Response> {
        if self.closed.get() {
            // A deleted lab keeps its records as they were: no lease runs out, no schedule
            // fires. (The directory's own calls to it come as requests.)
            return Response::ok("");
        }
        // The directory's calls to labs' objects (close, reopen, purge) that are due.
        self.deliver_lab_calls().await;
        if let Err(e) = lease::expire_leases(&self.db) {
            worker::console_error!("alarm: {e}");
        }
        // Package schedules whose tick has come (each launches once; see `schedule`).
        if let Err(e) = schedule::fire(&self.db) {
            worker::console_error!("alarm: schedules: {e}");
        }
        // A run_at has come or a lease has run out: the queue may move.
        self.waiting.notify(effects::queue_change());
        // Webhook deliveries that are due (events of what just happened among them).
        self.deliver_webhooks().await;
        self.reschedule().await;
        Response::ok("")
    }
}
