//! The store: one SQLite-backed Durable Object, the system of record for every resource.
//! `fetch` reads the request, authenticates the caller and dispatches on the path to the
//! resource modules; every error becomes a JSON answer in `crate::error`.
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
mod closing;
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
mod packages;
mod queue;
mod reservations;
mod results;
mod schedule;
mod schema;
mod signin;
mod users;
mod wake;

use crate::error::respond;
use db::Db;
use http::{Ctx, Reply};
use labrelay_api::error::ApiError;
use labrelay_api::Id;
use worker::{durable_object, DurableObject, Env, Method, Request, Response, Result, State};

#[durable_object]
pub struct Store {
    db: Db,
    state: State,
    env: Env,
    /// Set when the schema could not be brought up to date: every request answers with it.
    init_error: Option<String>,
    /// Held claims, stop long-polls and browsers, and whom a change wakes.
    waiting: wake::Waiting,
    /// The due queue as the last list of pending jobs read it (see `queue`).
    due: queue::DueCache,
    /// The cap on one result's files (`RESULT_MAX_BYTES`, default 1 GiB).
    result_max_bytes: u64,
    /// The lab was deleted: every call is refused (see `closing`).
    closed: std::cell::Cell<bool>,
}

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
        self.waiting.notify(queue_change());
        self.reschedule().await;
        Response::ok("")
    }
}

/// The queue changed, no one job in particular (an alarm, a schedule's tick).
fn queue_change() -> effects::Effect {
    effects::Effect::Queue(effects::Change {
        kind: effects::Kind::Jobs,
        id: None,
    })
}

/// A var or secret of the worker's environment, "" when unset.
fn secret(env: &Env, name: &str) -> String {
    env.secret(name)
        .map(|s| s.to_string())
        .or_else(|_| env.var(name).map(|v| v.to_string()))
        .unwrap_or_default()
}

impl Store {
    async fn handle(&self, ctx: &Ctx) -> std::result::Result<Reply, ApiError> {
        if self.closed.get() && !ctx.path.starts_with("/internal/lab/") {
            return Err(closing::refusal(ctx));
        }
        if let Some(e) = &self.init_error {
            return Err(ApiError::Internal(format!("store failed to start: {e}")));
        }
        // A schedule tick that came while no alarm could fire (the object was down, the alarm
        // was lost) fires at the next request, once (one indexed look when none is due).
        match schedule::fire(&self.db) {
            Ok(0) => {}
            Ok(_) => self.after(queue_change()).await,
            Err(e) => worker::console_error!("schedules: {e}"),
        }
        let seg: Vec<&str> = ctx.segments.iter().map(String::as_str).collect();
        if seg == ["changes"] && ctx.method == Method::Get {
            auth::caller(&self.db, ctx)?;
            return self.changes(ctx).await;
        }
        if ctx.path.starts_with("/internal/") {
            return self.internal(ctx).await;
        }
        if let (["results", id], Some(after)) = (seg.as_slice(), ctx.param("updates")) {
            if ctx.method == Method::Get {
                auth::caller(&self.db, ctx)?;
                return self.updates(id, after).await;
            }
        }
        if let ["agent", rest @ ..] = seg.as_slice() {
            let agent = auth::agent(&self.db, ctx.bearer.as_deref())?;
            let reply = if rest == ["claim"] && ctx.method == Method::Post {
                self.claim(ctx, agent).await
            } else if let (["jobs", id, "stop"], Method::Get) = (rest, &ctx.method) {
                self.stop_wait(ctx, agent, id).await
            } else {
                agent_api::route(&self.db, ctx, agent, rest)
            };
            // A claim that found nothing (204) changed nothing.
            if matches!(reply, Ok(Reply::Json(_))) {
                self.after(effects::effect(&ctx.method, &seg, false)).await;
            }
            return reply;
        }
        let reply = self.handle_user(ctx, &seg);
        if reply.is_ok() {
            let preview = ctx.param("process").is_some();
            self.after(effects::effect(&ctx.method, &seg, preview))
                .await;
        }
        reply
    }

    fn handle_user(&self, ctx: &Ctx, seg: &[&str]) -> std::result::Result<Reply, ApiError> {
        if !ctx.path.starts_with("/api/v1/") && ctx.path != "/api/v1" {
            return Err(ApiError::NoRoute);
        }
        let directory_only = matches!(seg.first(), Some(&("users" | "labs" | "logout")));
        if directory_only && !ctx.is_directory() {
            // Users, tokens and labs are the directory's: the entry never sends them here.
            return Err(ApiError::NoRoute);
        }
        if seg == ["logout"] {
            return match ctx.method {
                Method::Post => signin::logout(&self.db, ctx.bearer.as_deref()),
                _ => Err(ApiError::MethodNotAllowed),
            };
        }
        let caller = auth::caller(&self.db, ctx)?;
        let db = &self.db;
        let polling = |id: Id| self.waiting.polling(id);
        let look = queue::Look {
            polling: &polling,
            due: &self.due,
        };
        match seg {
            ["system", "hostname"] => match ctx.method {
                Method::Get => http::data(&self.hostname()),
                _ => Err(ApiError::MethodNotAllowed),
            },
            ["system", "status"] => match ctx.method {
                Method::Get => {
                    auth::require_admin(&caller)?;
                    http::data(&self.waiting.status())
                }
                _ => Err(ApiError::MethodNotAllowed),
            },
            ["jobs", rest @ ..] => jobs::route(db, ctx, &caller, rest, &look),
            ["packages", rest @ ..] => packages::route(db, ctx, &caller, rest),
            ["configs", rest @ ..] => configs::route(db, ctx, &caller, rest),
            ["devices", rest @ ..] => devices::route(db, ctx, &caller, rest),
            ["users", rest @ ..] => users::route(db, ctx, &caller, rest),
            ["labs", rest @ ..] => labs::route(db, ctx, &caller, rest),
            ["results", rest @ ..] => results::route(db, ctx, &caller, rest),
            ["agents", rest @ ..] => agents::route(db, ctx, &caller, rest, &polling),
            ["reservations", rest @ ..] => reservations::route(db, ctx, &caller, rest),
            _ => Err(ApiError::NoRoute),
        }
    }

    /// After a successful call: whom it concerns is told; a queue change moves the alarm.
    async fn after(&self, effect: effects::Effect) {
        if effect == effects::Effect::Nothing {
            return;
        }
        self.waiting.notify(effect);
        if let effects::Effect::Queue(_) = effect {
            self.reschedule().await;
        }
        if let effects::Effect::View(effects::Change {
            kind: effects::Kind::Labs,
            ..
        }) = effect
        {
            // A lab deleted or restored: its object hears it now (or, failing, from the alarm).
            self.deliver_lab_calls().await;
            self.reschedule().await;
        }
        self.collect_garbage().await;
    }

    /// The entry worker's calls about result files (see `crate::internal`).
    async fn internal(&self, ctx: &Ctx) -> std::result::Result<Reply, ApiError> {
        use crate::internal::{
            SIGNIN_BEGIN, SIGNIN_FINISH, USER_CREATE, USER_PASSWORD, USER_TOKEN,
        };
        match ctx.path.as_str() {
            // A lab's life, from the directory (the entry never forwards `/internal/`).
            crate::internal::LABS_KNOWN => return labs::known(&self.db),
            crate::internal::LAB_CLOSE => return self.close_lab(),
            crate::internal::LAB_REOPEN => return self.reopen_lab(),
            crate::internal::LAB_PURGE => return self.purge_step().await,
            // Signing in: no caller yet (the entry only sends what the client sent).
            SIGNIN_BEGIN => return signin::begin(&self.db, ctx),
            crate::internal::WHOIS => return labs::whois(&self.db, ctx),
            SIGNIN_FINISH => return signin::finish(&self.db, ctx),
            p @ (USER_CREATE | USER_PASSWORD | USER_TOKEN) => {
                let caller = auth::caller(&self.db, ctx)?;
                return match p {
                    USER_CREATE => users::create(&self.db, ctx, &caller),
                    USER_PASSWORD => users::password(&self.db, ctx, &caller),
                    _ => users::token(&self.db, ctx, &caller),
                };
            }
            _ => {}
        }
        use crate::internal::{AGENT_CALLS, HOLDS, STATE};
        let agent_call = AGENT_CALLS.contains(&ctx.path.as_str());
        let agent = if agent_call {
            let agent = auth::agent(&self.db, ctx.bearer.as_deref())?;
            agents::touch(&self.db, agent)?;
            Some(agent)
        } else {
            auth::caller(&self.db, ctx)?;
            None
        };
        let reply = results::internal_route(&self.db, ctx, agent, self.result_max_bytes);
        if agent_call && ctx.path != STATE && ctx.path != HOLDS && reply.is_ok() {
            // Files change no job's dispatch: no claim to wake, no alarm to move.
            self.after(effects::Effect::View(effects::Change {
                kind: effects::Kind::Results,
                id: None,
            }))
            .await;
        }
        reply
    }

    /// Deletes the R2 objects of deleted results and replaced files, a batch at a time;
    /// answers how many it deleted.
    async fn collect_garbage(&self) -> usize {
        let batch = match results::lifecycle::garbage(&self.db, 100) {
            Ok(b) if !b.is_empty() => b,
            Ok(_) => return 0,
            Err(e) => {
                worker::console_error!("garbage: {e}");
                return 0;
            }
        };
        let Ok(bucket) = self.env.bucket("RESULTS") else {
            worker::console_error!("garbage: no RESULTS bucket binding");
            return 0;
        };
        let mut done = Vec::new();
        for (key, upload_id) in batch {
            let gone = if upload_id.is_empty() {
                bucket.delete(key.clone()).await.is_ok()
            } else {
                match bucket.resume_multipart_upload(key.clone(), upload_id.clone()) {
                    Ok(u) => {
                        let _ = u.abort().await;
                        bucket.delete(key.clone()).await.is_ok()
                    }
                    Err(_) => bucket.delete(key.clone()).await.is_ok(),
                }
            };
            if gone {
                done.push((key, upload_id));
            }
        }
        if let Err(e) = results::lifecycle::garbage_done(&self.db, &done) {
            worker::console_error!("garbage: {e}");
        }
        done.len()
    }

    /// Sets the alarm for the next thing the store must do on its own (see `dispatch`; in
    /// the directory, the calls it owes labs' objects too).
    async fn reschedule(&self) {
        let next = alarm::next_wakeup(&self.db).and_then(|at| {
            let call = labs::next_call(&self.db)?;
            Ok([at, call].into_iter().flatten().min())
        });
        match next {
            Ok(Some(at_us)) => {
                let at_ms = (at_us / 1000 + 1) as f64;
                let when = worker::ScheduledTime::new(js_sys::Date::new(&at_ms.into()));
                if let Err(e) = self.state.storage().set_alarm(when).await {
                    worker::console_error!("set_alarm: {e}");
                }
            }
            Ok(None) => {}
            Err(e) => worker::console_error!("reschedule: {e}"),
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
