//! How the lab object answers a request: it finds the request's row in the route table,
//! checks the caller the row asks for, runs the handler, and after a success wakes whom the
//! row's `wakes` names (and moves the alarm when the queue may have moved).

use super::effects::{queue_change, Effect, Kind};
use super::http::{Ctx, Reply};
use super::object::Store;
use super::route::{find, Call, Found, Identity, Place, Route, Run, Who};
use super::route_table::ROUTES;
use super::{agents, alarm, auth, closing, labs, results, schedule};
use labrelay_api::error::ApiError;

impl Store {
    pub(super) async fn handle(&self, ctx: &Ctx) -> Result<Reply, ApiError> {
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
        let segs = ctx.segments();
        let (row, params) = match find(ROUTES, ctx, &segs) {
            Found::Row(row, params) => (row, params),
            Found::WrongMethod(row) => {
                self.identify(ctx, row)?;
                return Err(ApiError::MethodNotAllowed);
            }
            Found::Nothing => {
                // Who asks learns nothing of which paths exist before it is known.
                if ctx.path.starts_with("/api/v1/agent/") {
                    auth::agent(&self.db, ctx.bearer.as_deref())?;
                } else if ctx.path.starts_with("/api/v1/") {
                    auth::caller(&self.db, ctx)?;
                }
                return Err(ApiError::NoRoute);
            }
        };
        let call = Call {
            store: self,
            ctx,
            identity: self.identify(ctx, row)?,
            params,
        };
        let reply = match row.run {
            Run::Now(run) => run(&call),
            Run::Held(run) => run(&call).await,
        }?;
        // An agent's answer without a body (a claim that found nothing) changed nothing.
        let idle = matches!(row.who, Who::Agent) && matches!(reply, Reply::NoContent);
        if !idle {
            self.after(row.wakes.effect(call.params.first().copied()))
                .await;
        }
        Ok(reply)
    }

    /// Who calls, as `row` requires it (its object, then its role).
    fn identify(&self, ctx: &Ctx, row: &Route) -> Result<Identity, ApiError> {
        if row.place == Place::Directory && !ctx.is_directory() {
            // Users, tokens and labs are the directory's: the entry never sends them here.
            return Err(ApiError::NoRoute);
        }
        let user = || auth::caller(&self.db, ctx);
        Ok(match row.who {
            Who::Open => Identity::Nobody,
            Who::Member => Identity::User(user()?),
            Who::Writer => {
                let caller = user()?;
                auth::require_writer(&caller)?;
                Identity::User(caller)
            }
            Who::Admin => {
                let caller = user()?;
                auth::require_admin(&caller)?;
                Identity::User(caller)
            }
            Who::Agent => Identity::Agent(auth::agent(&self.db, ctx.bearer.as_deref())?),
            Who::AgentAtWork => {
                let agent = auth::agent(&self.db, ctx.bearer.as_deref())?;
                agents::touch(&self.db, agent)?;
                Identity::Agent(agent)
            }
        })
    }

    /// After a successful call: whom it concerns is told; a queue change moves the alarm.
    pub(super) async fn after(&self, effect: Effect) {
        if effect == Effect::Nothing {
            return;
        }
        self.waiting.notify(effect);
        // What the call did that hooks hear: queued now, sent from the alarm.
        if matches!(super::webhooks::events::pending(&self.db), Ok(true)) {
            self.queue_webhooks();
            self.reschedule().await;
        }
        if let Effect::Queue(_) = effect {
            self.reschedule().await;
        }
        if let Effect::View(change) = effect {
            if change.kind == Kind::Webhooks {
                self.reschedule().await;
            }
            if change.kind == Kind::Labs {
                // A lab deleted or restored: its object hears it now (or, failing, from the
                // alarm).
                self.deliver_lab_calls().await;
                self.reschedule().await;
            }
        }
        self.collect_garbage().await;
    }

    /// Deletes the R2 objects of deleted results and replaced files, a batch at a time;
    /// answers how many it deleted.
    pub(super) async fn collect_garbage(&self) -> usize {
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
            if !upload_id.is_empty() {
                if let Ok(u) = bucket.resume_multipart_upload(key.clone(), upload_id.clone()) {
                    let _ = u.abort().await;
                }
            }
            if bucket.delete(key.clone()).await.is_ok() {
                done.push((key, upload_id));
            }
        }
        if let Err(e) = results::lifecycle::garbage_done(&self.db, &done) {
            worker::console_error!("garbage: {e}");
        }
        done.len()
    }

    /// Sets the alarm for the next thing the store must do on its own (see `alarm`; in the
    /// directory, the calls it owes labs' objects too).
    pub(super) async fn reschedule(&self) {
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
}
