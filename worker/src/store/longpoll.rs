//! The held requests of a lab's object: an agent's claim (answered the moment a job is
//! dispatchable to it), its stop long-poll, a browser's `/changes`, CDRouter's `?updates=`
//! and a CI job's `?wait=` on a job or a result.
//! Each waits in its line of `wake::Waiting` and re-checks when woken.

use super::db::Db;
use super::effects::Change;
use super::object::Store;
use super::wake::Line;
use super::{agent_api, agents, dispatch, http, jobs, lease, queue, results};
use http::{Ctx, Reply};
use labrelay_api::agents::MAX_WAIT_SECS;
use labrelay_api::error::ApiError;
use labrelay_api::jobs::MAX_RUN_WAIT_SECS;
use labrelay_api::Id;
use serde::Serialize;

/// How long changes gather before `/changes` answers with them (whether they were there when
/// the browser asked or came while it waited): a browser hears at most two answers a second,
/// however busy the lab is.
const GATHER_MS: u64 = 500;

/// What `/changes` answers.
#[derive(Serialize)]
struct Changes {
    version: u64,
    /// What changed since `after` (kinds, and ids where one record changed); `null` when
    /// the object no longer remembers that far back: reload everything.
    changes: Option<Vec<Change>>,
}

fn millis_until(deadline: f64) -> u64 {
    (deadline - js_sys::Date::now()).max(0.0) as u64
}

impl Store {
    /// A long-poll claim: answers with a job the moment one is dispatchable to this agent,
    /// or 204 when the wait runs out.
    pub(super) async fn claim(&self, ctx: &Ctx, agent: Id) -> Result<Reply, ApiError> {
        let req: labrelay_api::agents::ClaimRequest = ctx.json()?;
        agents::seen(&self.db, agent, &req.version, &req.host, &req.interfaces)?;
        let wait = req.wait_secs.min(MAX_WAIT_SECS);
        let deadline = js_sys::Date::now() + wait as f64 * 1000.0;
        loop {
            if self.closed.get() {
                // The lab was deleted while the claim waited.
                return Err(ApiError::InvalidToken);
            }
            lease::expire_leases(&self.db)?;
            if let Some(claim) =
                dispatch::try_claim(&self.db, agent, &req.interfaces, req.capacity)?
            {
                return http::data(&claim);
            }
            let left = millis_until(deadline);
            if left == 0 {
                return Ok(Reply::NoContent);
            }
            self.waiting.wait(Line::Claim(agent), left).await;
        }
    }

    /// `GET /api/v1/agent/jobs/{id}/stop?wait=S`: `{stop: true}` as soon as a user stops the
    /// job, else `{stop: false}` after the wait; 409 once the job is not the agent's to run.
    pub(super) async fn stop_wait(
        &self,
        ctx: &Ctx,
        agent: Id,
        id: &str,
    ) -> Result<Reply, ApiError> {
        let id = http::parse_id(id, "job")?;
        let wait = agent_api::wait_secs(ctx)?;
        let deadline = js_sys::Date::now() + wait as f64 * 1000.0;
        loop {
            if self.closed.get() {
                return Err(ApiError::InvalidToken);
            }
            let stop = agent_api::stop_requested(&self.db, agent, id)?;
            let left = millis_until(deadline);
            if stop || left == 0 {
                return http::data(&labrelay_api::agents::StopPoll { stop });
            }
            self.waiting.wait(Line::Stop, left).await;
        }
    }

    /// `GET /api/v1/changes?after=N[&wait=S]`: `{version, changes}` once the object's version
    /// differs from `N` (changes gather for half a second first, unless `wait=0`), or
    /// after `wait` seconds (default 25, at most 50) with the unchanged version. Clients
    /// re-fetch what the changes concern: live views without polling every second.
    pub(super) async fn changes(&self, ctx: &Ctx) -> Result<Reply, ApiError> {
        let parse = |key: &str, default: u64| -> Result<u64, ApiError> {
            match ctx.param(key) {
                None | Some("") => Ok(default),
                Some(v) => v.parse().map_err(|_| {
                    ApiError::invalid(format!("invalid {key} \"{v}\": must be a number"))
                }),
            }
        };
        // No `after`: a view asking where things stand, before its first load. It is answered
        // at once (a gather here would hold every page's first render back by 500 ms).
        let first = matches!(ctx.param("after"), None | Some(""));
        let after = parse("after", 0)?;
        let wait = parse("wait", 25)?.min(MAX_WAIT_SECS);
        if wait > 0 && !first {
            if after == self.waiting.version() {
                self.waiting.wait(Line::Watch, wait * 1000).await;
            }
            if self.waiting.version() != after {
                // Let a burst finish: one answer for all of it.
                let gather = worker::Delay::from(std::time::Duration::from_millis(GATHER_MS));
                gather.await;
            }
        }
        http::data(&Changes {
            version: self.waiting.version(),
            changes: self.waiting.changes_since(after),
        })
    }

    /// `GET /api/v1/results/{id}/?updates=N`: what changed since update `N` (-1 or less:
    /// all), answered as soon as there is something, or after `UPDATES_WAIT_SECS` with no
    /// updates (CDRouter's long-poll).
    pub(super) async fn updates(&self, id: &str, after: &str) -> Result<Reply, ApiError> {
        let id = http::parse_id(id, "result")?;
        let after: i64 = after.trim().parse().map_err(|_| {
            ApiError::invalid(format!("invalid updates \"{after}\": must be a number"))
        })?;
        // Update numbers are far below 2^53; clamping keeps the bind exact in JavaScript.
        let after = after.clamp(-1, 1 << 53);
        let deadline =
            js_sys::Date::now() + labrelay_api::results::UPDATES_WAIT_SECS as f64 * 1000.0;
        loop {
            if self.closed.get() {
                return Err(ApiError::NotFound("lab"));
            }
            if results::update_seq(&self.db, id)? > after {
                return http::data(&results::updates_since(&self.db, id, after)?);
            }
            let left = millis_until(deadline);
            if left == 0 {
                return http::data(&results::updates_since(&self.db, id, after)?);
            }
            self.waiting.wait(Line::Watch, left).await;
        }
    }

    /// `GET /api/v1/jobs/{id}?wait=S`: the job the moment it has ended (completed, stopped
    /// or error), or as it stands after `S` seconds (at most [`MAX_RUN_WAIT_SECS`]).
    pub(super) async fn job_wait(&self, ctx: &Ctx, id: &str) -> Result<Reply, ApiError> {
        let id = http::parse_id(id, "job")?;
        let ended = |db: &Db| Ok(jobs::row::find(db, id)?.status().is_finished());
        let answer = |db: &Db| {
            let polling = |agent| self.polling(agent);
            let look = queue::Look {
                polling: &polling,
                due: &self.due,
            };
            jobs::answer(db, &look, id)
        };
        self.until_ended(ctx, ended, answer).await
    }

    /// `GET /api/v1/results/{id}?wait=S`: the result the moment its run has ended, or as it
    /// stands after `S` seconds (at most [`MAX_RUN_WAIT_SECS`]).
    pub(super) async fn result_wait(&self, ctx: &Ctx, id: &str) -> Result<Reply, ApiError> {
        let id = http::parse_id(id, "result")?;
        let ended = |db: &Db| Ok(!results::is_running(db, id)?);
        self.until_ended(ctx, ended, |db: &Db| results::get(db, id))
            .await
    }

    /// Holds until `ended` or the `?wait=` runs out (woken by every change), then answers.
    async fn until_ended(
        &self,
        ctx: &Ctx,
        ended: impl Fn(&Db) -> Result<bool, ApiError>,
        answer: impl Fn(&Db) -> Result<Reply, ApiError>,
    ) -> Result<Reply, ApiError> {
        let deadline = run_wait_deadline(ctx)?;
        loop {
            if self.closed.get() {
                return Err(ApiError::NotFound("lab"));
            }
            let left = millis_until(deadline);
            if ended(&self.db)? || left == 0 {
                return answer(&self.db);
            }
            self.waiting.wait(Line::Watch, left).await;
        }
    }
}

/// When a `?wait=S` on a job or a result answers at the latest.
fn run_wait_deadline(ctx: &Ctx) -> Result<f64, ApiError> {
    let raw = ctx.param("wait").unwrap_or_default();
    let secs: u64 = match raw.trim() {
        "" => MAX_RUN_WAIT_SECS,
        v => v.parse().map_err(|_| {
            ApiError::invalid(format!(
                "invalid wait \"{raw}\": a number of seconds (at most {MAX_RUN_WAIT_SECS} are waited)"
            ))
        })?,
    };
    Ok(js_sys::Date::now() + secs.min(MAX_RUN_WAIT_SECS) as f64 * 1000.0)
}
