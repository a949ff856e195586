//! The lab object's route table: the one place a route of the object is named. A row is
//! `METHOD "path", who place wakes => handler;` — the method (`ANY` for the entry's internal
//! calls), the path pattern (`{x}` one segment; `?k` / `?k=v` the query switch that selects
//! the row: the first row that matches wins), who may call it (`route::Who`, checked before
//! the handler runs), which objects serve it (`Lab`: every lab; `Directory`: only the default
//! lab's), and whom a success wakes (`effects::Wakes`, the id from the path's first `{x}`).
//! `serve.rs` finds the row, checks the caller, runs the handler and wakes; xtask's OpenAPI
//! test reads these rows to check `docs/openapi.json`.

use super::configs::ConfigRow;
use super::devices::DeviceRow;
use super::effects::Kind::{Agents, Configs, Devices, Jobs, Labs, Log, Packages};
use super::effects::Kind::{Reservations, Results, Users, Webhooks};
use super::effects::Wakes::{Nobody, Queue, View};
use super::packages::PackageRow;
use super::route::Place::{Directory, Lab};
use super::route::Run::{self, Held, Now};
use super::route::Who::{Admin, Agent, AgentAtWork, Member, Open, Writer};
use super::route::{Call, Route};
use super::{agent_api, agents, bulk, crud, http, jobs, labs, lease, logs, queue, reservations};
use super::{results, run_control, signin, system, users, webhooks};
use crate::internal as i;

macro_rules! routes {
    ($( $m:ident $path:expr, $who:ident $place:ident $wakes:expr => $run:expr; )*) => {
        &[$( Route {
            method: crate::path_pattern::method!($m),
            path: $path,
            who: $who,
            place: $place,
            wakes: $wakes,
            run: $run,
        } ),*]
    };
}

/// A browser's or CDRouter client's held wait, and an agent's.
const fn held(run: for<'a> fn(&'a Call<'a>) -> super::route::Pending<'a>) -> Run {
    Held(run)
}

/// `?bulk=` with an operation the resource does not have.
fn bulk_refused(c: &Call) -> super::route::Answer {
    Err(crud::unsupported_bulk(
        c.ctx.param("bulk").unwrap_or_default(),
    ))
}

/// Jobs' answers say why a job waits: they read the due queue and which agents poll now.
fn look<T>(c: &Call, f: impl FnOnce(&queue::Look) -> T) -> T {
    let polling = |id| c.store.polling(id);
    f(&queue::Look {
        polling: &polling,
        due: &c.store.due,
    })
}

#[rustfmt::skip]
pub static ROUTES: &[Route] = routes! {
    // Browsers' and CDRouter clients' held waits.
    GET "/api/v1/changes", Member Lab Nobody => held(|c| Box::pin(c.store.changes(c.ctx)));
    GET "/api/v1/results/{id}?updates", Member Lab Nobody => held(|c| Box::pin(c.store.updates(c.at(0), c.ctx.param("updates").unwrap_or_default())));
    // CDRouter's result statistics (`results/stats.rs`).
    GET "/api/v1/results/{id}?stats=all", Member Lab Nobody => Now(|c| results::stats::single(c.db(), c.id(0, "result")?));
    GET "/api/v1/results/{id}?stats=summary", Member Lab Nobody => Now(|c| results::stats::summary(c.db(), c.id(0, "result")?));
    GET "/api/v1/results/{id}?stats=progress", Member Lab Nobody => Now(|c| results::stats::progress(c.db(), c.id(0, "result")?));
    GET "/api/v1/results/{id}?stats", Member Lab Nobody => Now(|c| results::stats::unsupported(c.ctx));
    POST "/api/v1/results?stats=all", Member Lab Nobody => Now(|c| results::stats::all(c.db()));
    POST "/api/v1/results?stats=set", Member Lab Nobody => Now(|c| results::stats::set(c.db(), c.ctx));
    POST "/api/v1/results?stats=diff", Member Lab Nobody => Now(|c| results::stats::diff(c.db(), c.ctx));
    POST "/api/v1/results?stats", Member Lab Nobody => Now(|c| results::stats::unsupported(c.ctx));
    POST "/api/v1/results", Member Lab Nobody => Now(|c| results::stats::unsupported(c.ctx));
    // Webhooks (`webhooks/`): an admin manages every hook, a user its own.
    GET "/api/v1/webhooks", Member Lab Nobody => Now(|c| webhooks::hooks::list(c.db(), c.caller()?));
    POST "/api/v1/webhooks", Writer Lab View(Webhooks) => Now(|c| webhooks::hooks::create(c.db(), c.ctx, c.caller()?, c.store.dev()));
    GET "/api/v1/webhooks/{id}", Member Lab Nobody => Now(|c| webhooks::hooks::get(c.db(), c.caller()?, c.at(0)));
    PATCH "/api/v1/webhooks/{id}", Writer Lab View(Webhooks) => Now(|c| webhooks::hooks::edit(c.db(), c.ctx, c.caller()?, c.at(0), c.store.dev()));
    PUT "/api/v1/webhooks/{id}", Writer Lab View(Webhooks) => Now(|c| webhooks::hooks::edit(c.db(), c.ctx, c.caller()?, c.at(0), c.store.dev()));
    DELETE "/api/v1/webhooks/{id}", Writer Lab View(Webhooks) => Now(|c| webhooks::hooks::delete(c.db(), c.caller()?, c.at(0)));
    POST "/api/v1/webhooks/{id}/secret", Writer Lab View(Webhooks) => Now(|c| webhooks::hooks::rotate(c.db(), c.caller()?, c.at(0)));
    GET "/api/v1/webhooks/{id}/deliveries", Member Lab Nobody => Now(|c| webhooks::hooks::deliveries(c.db(), c.caller()?, c.at(0)));
    POST "/api/v1/webhooks/{id}/deliveries/{d}/redeliver", Writer Lab View(Webhooks) => Now(|c| webhooks::hooks::redeliver(c.db(), c.caller()?, c.at(0), c.at(1)));
    // A CI job's wait for the end of a run.
    GET "/api/v1/jobs/{id}?wait", Member Lab Nobody => held(|c| Box::pin(c.store.job_wait(c.ctx, c.at(0))));
    GET "/api/v1/results/{id}?wait", Member Lab Nobody => held(|c| Box::pin(c.store.result_wait(c.ctx, c.at(0))));
    // The system.
    GET "/api/v1/system/hostname", Member Lab Nobody => Now(|c| http::data(&c.store.hostname()));
    GET "/api/v1/system/status", Admin Lab Nobody => Now(|c| http::data(&c.store.waiting.status()));
    GET "/api/v1/system/time", Member Lab Nobody => Now(|_| system::time());
    GET "/api/v1/system/info", Member Lab Nobody => Now(|c| system::info(c.db(), c.ctx, &c.store.hostname()));
    GET "/api/v1/system/space", Member Lab Nobody => Now(|c| system::space(c.db(), c.ctx, c.store.quota_bytes()));
    GET "/api/v1/system/interfaces", Member Lab Nobody => Now(|c| system::interfaces(c.db(), c.ctx));
    GET "/api/v1/system/preferences", Member Lab Nobody => Now(|c| system::preferences(c.db()));
    PATCH "/api/v1/system/preferences", Admin Lab Nobody => Now(|c| system::edit_preferences(c.db(), c.ctx));
    POST "/api/v1/system/license", Member Lab Nobody => Now(|_| system::not_applicable("license"));
    POST "/api/v1/system/upgrade", Member Lab Nobody => Now(|_| system::not_applicable("upgrade"));
    GET "/api/v1/system/lounge/latest", Member Lab Nobody => Now(|_| system::not_applicable("lounge"));
    POST "/api/v1/system/lounge/check", Member Lab Nobody => Now(|_| system::not_applicable("lounge"));
    POST "/api/v1/system/lounge/upgrade", Member Lab Nobody => Now(|_| system::not_applicable("lounge"));
    POST "/api/v1/system/shutdown", Member Lab Nobody => Now(|_| system::not_applicable("shutdown"));
    POST "/api/v1/system/poweroff", Member Lab Nobody => Now(|_| system::not_applicable("poweroff"));
    POST "/api/v1/system/restart", Member Lab Nobody => Now(|_| system::not_applicable("restart"));
    POST "/api/v1/system/reboot", Member Lab Nobody => Now(|_| system::not_applicable("reboot"));
    GET "/api/v1/system/diag", Member Lab Nobody => Now(|_| system::not_applicable("diag"));
    POST "/api/v1/logout", Open Directory Nobody => Now(|c| signin::logout(c.db(), c.ctx.bearer.as_deref()));
    // Jobs (a `?process=` preview changes nothing, so a reader may ask it).
    GET "/api/v1/jobs", Member Lab Nobody => Now(|c| look(c, |l| jobs::list(c.db(), c.ctx, l)));
    POST "/api/v1/jobs?process=interfaces", Member Lab Nobody => Now(|c| jobs::preview_interfaces(c.db(), c.ctx));
    POST "/api/v1/jobs?process", Member Lab Nobody => Now(|c| jobs::unsupported_process(c.ctx));
    POST "/api/v1/jobs?bulk=launch", Writer Lab Queue(Jobs) => Now(|c| jobs::bulk_launch(c.db(), c.ctx, c.caller()?));
    POST "/api/v1/jobs?bulk=delete", Writer Lab Queue(Jobs) => Now(|c| jobs::bulk_delete(c.db(), c.ctx, c.caller()?));
    POST "/api/v1/jobs?bulk", Writer Lab Nobody => Now(bulk_refused);
    POST "/api/v1/jobs", Writer Lab Queue(Jobs) => Now(|c| look(c, |l| jobs::launch(c.db(), c.ctx, c.caller()?, l)));
    GET "/api/v1/jobs/{id}", Member Lab Nobody => Now(|c| look(c, |l| jobs::answer(c.db(), l, c.id(0, "job")?)));
    PATCH "/api/v1/jobs/{id}", Writer Lab Queue(Jobs) => Now(|c| look(c, |l| jobs::edit(c.db(), c.ctx, c.caller()?, c.at(0), l)));
    PUT "/api/v1/jobs/{id}", Writer Lab Queue(Jobs) => Now(|c| look(c, |l| jobs::edit(c.db(), c.ctx, c.caller()?, c.at(0), l)));
    DELETE "/api/v1/jobs/{id}", Writer Lab Queue(Jobs) => Now(|c| jobs::delete(c.db(), c.caller()?, c.at(0)));
    POST "/api/v1/jobs/{id}/stop", Writer Lab Queue(Jobs) => Now(|c| jobs::stop(c.db(), c.caller()?, c.at(0)));
    GET "/api/v1/jobs/{id}/log", Member Lab Nobody => Now(|c| logs::read(c.db(), c.ctx, c.id(0, "job")?));
    // Packages, configs and devices: the shared CRUD handlers (`crud.rs`).
    GET "/api/v1/packages", Member Lab Nobody => Now(|c| crud::list::<PackageRow>(c.db(), c.ctx));
    POST "/api/v1/packages?bulk=delete", Writer Lab Queue(Packages) => Now(|c| crud::bulk_delete::<PackageRow>(c.db(), c.ctx, c.caller()?));
    POST "/api/v1/packages?bulk=copy", Writer Lab Queue(Packages) => Now(|c| bulk::copy::<PackageRow>(c.db(), c.ctx, c.caller()?));
    POST "/api/v1/packages?bulk=edit", Writer Lab Queue(Packages) => Now(|c| bulk::edit::<PackageRow>(c.db(), c.ctx, c.caller()?));
    POST "/api/v1/packages?bulk", Writer Lab Nobody => Now(bulk_refused);
    POST "/api/v1/packages", Writer Lab Queue(Packages) => Now(|c| crud::create::<PackageRow>(c.db(), c.ctx, c.caller()?));
    GET "/api/v1/packages/{id}", Member Lab Nobody => Now(|c| crud::get::<PackageRow>(c.db(), c.at(0)));
    PATCH "/api/v1/packages/{id}", Writer Lab Queue(Packages) => Now(|c| crud::edit::<PackageRow>(c.db(), c.ctx, c.caller()?, c.at(0)));
    PUT "/api/v1/packages/{id}", Writer Lab Queue(Packages) => Now(|c| crud::edit::<PackageRow>(c.db(), c.ctx, c.caller()?, c.at(0)));
    DELETE "/api/v1/packages/{id}", Writer Lab Queue(Packages) => Now(|c| crud::delete::<PackageRow>(c.db(), c.caller()?, c.at(0)));
    POST "/api/v1/packages/{id}/lock", Writer Lab Queue(Packages) => Now(|c| crud::set_locked::<PackageRow>(c.db(), c.caller()?, c.at(0), true));
    POST "/api/v1/packages/{id}/unlock", Writer Lab Queue(Packages) => Now(|c| crud::set_locked::<PackageRow>(c.db(), c.caller()?, c.at(0), false));
    GET "/api/v1/configs", Member Lab Nobody => Now(|c| crud::list::<ConfigRow>(c.db(), c.ctx));
    POST "/api/v1/configs?bulk=delete", Writer Lab View(Configs) => Now(|c| crud::bulk_delete::<ConfigRow>(c.db(), c.ctx, c.caller()?));
    POST "/api/v1/configs?bulk=copy", Writer Lab View(Configs) => Now(|c| bulk::copy::<ConfigRow>(c.db(), c.ctx, c.caller()?));
    POST "/api/v1/configs?bulk=edit", Writer Lab View(Configs) => Now(|c| bulk::edit::<ConfigRow>(c.db(), c.ctx, c.caller()?));
    POST "/api/v1/configs?bulk", Writer Lab Nobody => Now(bulk_refused);
    POST "/api/v1/configs", Writer Lab View(Configs) => Now(|c| crud::create::<ConfigRow>(c.db(), c.ctx, c.caller()?));
    GET "/api/v1/configs/{id}", Member Lab Nobody => Now(|c| crud::get::<ConfigRow>(c.db(), c.at(0)));
    PATCH "/api/v1/configs/{id}", Writer Lab View(Configs) => Now(|c| crud::edit::<ConfigRow>(c.db(), c.ctx, c.caller()?, c.at(0)));
    PUT "/api/v1/configs/{id}", Writer Lab View(Configs) => Now(|c| crud::edit::<ConfigRow>(c.db(), c.ctx, c.caller()?, c.at(0)));
    DELETE "/api/v1/configs/{id}", Writer Lab View(Configs) => Now(|c| crud::delete::<ConfigRow>(c.db(), c.caller()?, c.at(0)));
    POST "/api/v1/configs/{id}/lock", Writer Lab View(Configs) => Now(|c| crud::set_locked::<ConfigRow>(c.db(), c.caller()?, c.at(0), true));
    POST "/api/v1/configs/{id}/unlock", Writer Lab View(Configs) => Now(|c| crud::set_locked::<ConfigRow>(c.db(), c.caller()?, c.at(0), false));
    // A device's state or health check: jobs may run now, or may not.
    GET "/api/v1/devices", Member Lab Nobody => Now(|c| crud::list::<DeviceRow>(c.db(), c.ctx));
    POST "/api/v1/devices?bulk=delete", Writer Lab Queue(Devices) => Now(|c| crud::bulk_delete::<DeviceRow>(c.db(), c.ctx, c.caller()?));
    POST "/api/v1/devices?bulk=copy", Writer Lab Queue(Devices) => Now(|c| bulk::copy::<DeviceRow>(c.db(), c.ctx, c.caller()?));
    POST "/api/v1/devices?bulk=edit", Writer Lab Queue(Devices) => Now(|c| bulk::edit::<DeviceRow>(c.db(), c.ctx, c.caller()?));
    POST "/api/v1/devices?bulk", Writer Lab Nobody => Now(bulk_refused);
    POST "/api/v1/devices", Writer Lab Queue(Devices) => Now(|c| crud::create::<DeviceRow>(c.db(), c.ctx, c.caller()?));
    GET "/api/v1/devices/{id}", Member Lab Nobody => Now(|c| crud::get::<DeviceRow>(c.db(), c.at(0)));
    PATCH "/api/v1/devices/{id}", Writer Lab Queue(Devices) => Now(|c| crud::edit::<DeviceRow>(c.db(), c.ctx, c.caller()?, c.at(0)));
    PUT "/api/v1/devices/{id}", Writer Lab Queue(Devices) => Now(|c| crud::edit::<DeviceRow>(c.db(), c.ctx, c.caller()?, c.at(0)));
    DELETE "/api/v1/devices/{id}", Writer Lab Queue(Devices) => Now(|c| crud::delete::<DeviceRow>(c.db(), c.caller()?, c.at(0)));
    POST "/api/v1/devices/{id}/lock", Writer Lab Queue(Devices) => Now(|c| crud::set_locked::<DeviceRow>(c.db(), c.caller()?, c.at(0), true));
    POST "/api/v1/devices/{id}/unlock", Writer Lab Queue(Devices) => Now(|c| crud::set_locked::<DeviceRow>(c.db(), c.caller()?, c.at(0), false));
    // Results (owners change their own; `results.rs` checks).
    GET "/api/v1/results", Member Lab Nobody => Now(|c| results::list(c.db(), c.ctx));
    GET "/api/v1/results/{id}", Member Lab Nobody => Now(|c| results::get(c.db(), c.id(0, "result")?));
    PATCH "/api/v1/results/{id}", Member Lab View(Results) => Now(|c| results::edit(c.db(), c.ctx, c.caller()?, c.at(0)));
    PUT "/api/v1/results/{id}", Member Lab View(Results) => Now(|c| results::edit(c.db(), c.ctx, c.caller()?, c.at(0)));
    DELETE "/api/v1/results/{id}", Member Lab View(Results) => Now(|c| results::delete(c.db(), c.caller()?, c.at(0)));
    POST "/api/v1/results/{id}/lock", Member Lab View(Results) => Now(|c| results::set_locked(c.db(), c.caller()?, c.at(0), true));
    POST "/api/v1/results/{id}/unlock", Member Lab View(Results) => Now(|c| results::set_locked(c.db(), c.caller()?, c.at(0), false));
    POST "/api/v1/results/{id}/stop", Writer Lab Queue(Jobs) => Now(|c| run_control::stop(c.db(), c.ctx, c.caller()?, c.at(0)));
    POST "/api/v1/results/{id}/pause", Writer Lab Nobody => Now(|c| run_control::pause(c.db(), c.caller()?, c.at(0)));
    POST "/api/v1/results/{id}/unpause", Writer Lab Nobody => Now(|c| run_control::pause(c.db(), c.caller()?, c.at(0)));
    GET "/api/v1/results/{id}/tests", Member Lab Nobody => Now(|c| results::tests(c.db(), c.ctx, c.id(0, "result")?));
    GET "/api/v1/results/{id}/tests/{seq}", Member Lab Nobody => Now(|c| results::test(c.db(), c.id(0, "result")?, c.at(1)));
    GET "/api/v1/results/{id}/tests/{seq}/captures", Member Lab Nobody => Now(|c| results::captures(c.db(), c.id(0, "result")?, c.at(1), None));
    GET "/api/v1/results/{id}/tests/{seq}/captures/{intf}", Member Lab Nobody => Now(|c| results::captures(c.db(), c.id(0, "result")?, c.at(1), Some(c.at(2))));
    GET "/api/v1/results/{id}/logdir", Member Lab Nobody => Now(|c| results::logdir(c.db(), c.ctx, c.id(0, "result")?));
    // Performance metrics, known by their files' names (`results/metrics.rs`); one metric's rows are the entry's.
    GET "/api/v1/results/{id}/metrics", Member Lab Nobody => Now(|c| results::metrics::list_result(c.db(), c.ctx, c.id(0, "result")?));
    GET "/api/v1/results/{id}/tests/{seq}/metrics", Member Lab Nobody => Now(|c| results::metrics::list_test(c.db(), c.ctx, c.at(0), c.at(1)));
    // Agents, as users see them (an agent or its pin changes what may run).
    GET "/api/v1/agents", Member Lab Nobody => Now(|c| agents::list(c.db(), c.ctx, &|id| c.store.polling(id)));
    POST "/api/v1/agents", Admin Lab Queue(Agents) => Now(|c| agents::register(c.db(), c.ctx, &|id| c.store.polling(id)));
    GET "/api/v1/agents/{id}", Member Lab Nobody => Now(|c| agents::get(c.db(), c.id(0, "agent")?, &|id| c.store.polling(id)));
    DELETE "/api/v1/agents/{id}", Admin Lab Queue(Agents) => Now(|c| agents::delete(c.db(), c.id(0, "agent")?));
    // Reservations: jobs may run now, or may not.
    GET "/api/v1/reservations", Member Lab Nobody => Now(|c| reservations::list(c.db()));
    POST "/api/v1/reservations", Writer Lab Queue(Reservations) => Now(|c| reservations::create(c.db(), c.ctx, c.caller()?));
    GET "/api/v1/reservations/{id}", Member Lab Nobody => Now(|c| reservations::get(c.db(), c.id(0, "reservation")?));
    PATCH "/api/v1/reservations/{id}", Member Lab Queue(Reservations) => Now(|c| reservations::renew(c.db(), c.ctx, c.caller()?, c.id(0, "reservation")?));
    PUT "/api/v1/reservations/{id}", Member Lab Queue(Reservations) => Now(|c| reservations::renew(c.db(), c.ctx, c.caller()?, c.id(0, "reservation")?));
    DELETE "/api/v1/reservations/{id}", Member Lab Queue(Reservations) => Now(|c| reservations::give_back(c.db(), c.caller()?, c.id(0, "reservation")?));
    // Users and labs: the directory's (a user reads itself; `users` checks).
    GET "/api/v1/users", Admin Directory Nobody => Now(|c| users::list(c.db(), c.ctx));
    GET "/api/v1/users/{id}", Member Directory Nobody => Now(|c| users::get(c.db(), c.caller()?, c.id(0, "user")?));
    PATCH "/api/v1/users/{id}", Admin Directory View(Users) => Now(|c| users::edit(c.db(), c.ctx, c.id(0, "user")?));
    PUT "/api/v1/users/{id}", Admin Directory View(Users) => Now(|c| users::edit(c.db(), c.ctx, c.id(0, "user")?));
    DELETE "/api/v1/users/{id}", Admin Directory View(Users) => Now(|c| users::delete(c.db(), c.caller()?, c.id(0, "user")?));
    GET "/api/v1/labs", Member Directory Nobody => Now(|c| labs::list(c.db(), c.ctx, c.caller()?));
    POST "/api/v1/labs", Admin Directory View(Labs) => Now(|c| labs::create(c.db(), c.ctx));
    GET "/api/v1/labs/{name}", Member Directory Nobody => Now(|c| labs::get(c.db(), c.caller()?, c.at(0)));
    PATCH "/api/v1/labs/{name}", Admin Directory View(Labs) => Now(|c| labs::edit(c.db(), c.ctx, c.at(0)));
    PUT "/api/v1/labs/{name}", Admin Directory View(Labs) => Now(|c| labs::edit(c.db(), c.ctx, c.at(0)));
    DELETE "/api/v1/labs/{name}", Admin Directory View(Labs) => Now(|c| labs::delete(c.db(), c.ctx, c.at(0)));
    POST "/api/v1/labs/{name}/restore", Admin Directory View(Labs) => Now(|c| labs::restore(c.db(), c.ctx, c.at(0)));
    // Agents at work (a claim that finds nothing, 204, wakes no one: `serve.rs`).
    POST "/api/v1/agent/claim", Agent Lab View(Jobs) => held(|c| Box::pin(async { c.store.claim(c.ctx, c.agent()?).await }));
    GET "/api/v1/agent/whoami", Agent Lab Nobody => Now(|c| agent_api::whoami(c.db(), c.agent()?));
    GET "/api/v1/agent/jobs/{id}/stop", Agent Lab Nobody => held(|c| Box::pin(async { c.store.stop_wait(c.ctx, c.agent()?, c.at(0)).await }));
    POST "/api/v1/agent/jobs/{id}/start", AgentAtWork Lab View(Jobs) => Now(|c| lease::start(c.db(), c.ctx, c.agent()?, c.id(0, "job")?));
    POST "/api/v1/agent/jobs/{id}/heartbeat", AgentAtWork Lab View(Jobs) => Now(|c| lease::heartbeat(c.db(), c.ctx, c.agent()?, c.id(0, "job")?));
    POST "/api/v1/agent/jobs/{id}/log", AgentAtWork Lab View(Log) => Now(|c| logs::append(c.db(), c.ctx, c.agent()?, c.id(0, "job")?));
    // A run that ends frees its interfaces: the queue may move.
    POST "/api/v1/agent/jobs/{id}/finish", AgentAtWork Lab Queue(Jobs) => Now(|c| lease::finish(c.db(), c.ctx, c.agent()?, c.id(0, "job")?));
    POST "/api/v1/agent/jobs/{id}/tests", AgentAtWork Lab View(Results) => Now(|c| results::upsert_tests(c.db(), c.ctx, c.agent()?, c.id(0, "job")?));
    // The entry's calls (`crate::internal`; the entry never forwards a client's `/internal/`).
    // A lab's life, from the directory (served even when the lab is closed: `serve.rs`).
    ANY i::LABS_KNOWN, Open Lab Nobody => Now(|c| labs::known(c.db()));
    ANY i::LAB_CLOSE, Open Lab Nobody => Now(|c| c.store.close_lab());
    ANY i::LAB_REOPEN, Open Lab Nobody => Now(|c| c.store.reopen_lab());
    ANY i::LAB_PURGE, Open Lab Nobody => held(|c| Box::pin(c.store.purge_step()));
    // Signing in: no caller yet (the entry only sends what the client sent).
    ANY i::SIGNIN_BEGIN, Open Lab Nobody => Now(|c| signin::begin(c.db(), c.ctx));
    ANY i::WHOIS, Open Lab Nobody => Now(|c| labs::whois(c.db(), c.ctx));
    ANY i::SIGNIN_FINISH, Open Lab Nobody => Now(|c| signin::finish(c.db(), c.ctx));
    ANY i::USER_CREATE, Member Lab Nobody => Now(|c| users::create(c.db(), c.ctx, c.caller()?));
    ANY i::USER_PASSWORD, Member Lab Nobody => Now(|c| users::password(c.db(), c.ctx, c.caller()?));
    ANY i::USER_TOKEN, Member Lab Nobody => Now(|c| users::token(c.db(), c.ctx, c.caller()?));
    // Result files: the agent's uploads (files change no job's dispatch: browsers only).
    ANY i::BEGIN, AgentAtWork Lab View(Results) => Now(|c| results::files::begin(c.db(), c.ctx, c.agent()?, c.store.result_max_bytes));
    ANY i::WHOLE, AgentAtWork Lab View(Results) => Now(|c| results::files::whole(c.db(), c.ctx, c.agent()?, c.store.result_max_bytes));
    ANY i::WHOLE_BATCH, AgentAtWork Lab View(Results) => Now(|c| results::files::whole_batch(c.db(), c.ctx, c.agent()?, c.store.result_max_bytes));
    ANY i::COMMIT, AgentAtWork Lab View(Results) => Now(|c| results::files::commit(c.db(), c.ctx, c.agent()?));
    ANY i::COMPLETE, AgentAtWork Lab View(Results) => Now(|c| results::files::complete(c.db(), c.ctx, c.agent()?));
    ANY i::HOLDS, AgentAtWork Lab Nobody => Now(|c| results::files::holds(c.db(), c.ctx, c.agent()?));
    ANY i::STATE, AgentAtWork Lab Nobody => Now(|c| results::files::state(c.db(), c.ctx, c.agent()?));
    // ... and users' downloads.
    ANY i::LOCATE, Member Lab Nobody => Now(|c| results::files::locate(c.db(), c.ctx));
    ANY i::ARCHIVE, Member Lab Nobody => Now(|c| results::files::archive(c.db(), c.ctx));
    ANY i::JUNIT, Member Lab Nobody => Now(|c| results::junit::source(c.db(), c.ctx));
    ANY i::METRIC, Member Lab Nobody => Now(|c| results::metrics::locate(c.db(), c.ctx));
};

#[cfg(test)]
mod tests {
    use super::super::effects::{Change, Effect, Kind};
    use super::super::http::Ctx;
    use super::super::route::{find, Found, Who};
    use super::*;
    use labrelay_api::Id;
    use worker::Method;

    fn ctx(method: Method, url: &str) -> Ctx {
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        Ctx {
            method,
            query: query
                .split('&')
                .filter(|q| !q.is_empty())
                .map(|q| {
                    let (k, v) = q.split_once('=').unwrap_or((q, ""));
                    (k.to_string(), v.to_string())
                })
                .collect(),
            body: Vec::new(),
            bearer: None,
            path: path.to_string(),
            lab: labrelay_api::labs::LabRef {
                name: "default".into(),
                incarnation: 0,
            },
            origin: "http://127.0.0.1".into(),
            trusted: None,
        }
    }

    /// The row for a request, and the effect of its success.
    fn row(method: Method, url: &str) -> (&'static Route, Effect) {
        let c = ctx(method, url);
        let segs = c.segments();
        match find(ROUTES, &c, &segs) {
            Found::Row(row, params) => (row, row.wakes.effect(params.first().copied())),
            _ => panic!("no route for {url}"),
        }
    }

    fn queue(kind: Kind, id: Option<u64>) -> Effect {
        Effect::Queue(Change {
            kind,
            id: id.map(Id),
        })
    }

    fn view(kind: Kind, id: Option<u64>) -> Effect {
        Effect::View(Change {
            kind,
            id: id.map(Id),
        })
    }

    #[test]
    fn only_queue_changes_wake_claims() {
        let e = |m: Method, p: &str| row(m, p).1;
        assert_eq!(e(Method::Get, "/api/v1/jobs/5"), Effect::Nothing);
        let preview = "/api/v1/jobs?process=interfaces&bulk=launch";
        assert_eq!(e(Method::Post, preview), Effect::Nothing);
        assert_eq!(e(Method::Post, "/api/v1/jobs/"), queue(Jobs, None));
        assert_eq!(e(Method::Post, "/api/v1/jobs/7/stop"), queue(Jobs, Some(7)));
        let finish = "/api/v1/agent/jobs/7/finish";
        assert_eq!(e(Method::Post, finish), queue(Jobs, Some(7)));
        // Heartbeats and log lines never wake a claim.
        let beat = "/api/v1/agent/jobs/7/heartbeat";
        assert_eq!(e(Method::Post, beat), view(Jobs, Some(7)));
        assert_eq!(
            e(Method::Post, "/api/v1/agent/jobs/7/log"),
            view(Log, Some(7))
        );
        assert_eq!(
            e(Method::Post, "/api/v1/agent/jobs/7/tests"),
            view(Results, Some(7))
        );
        assert_eq!(
            e(Method::Patch, "/api/v1/configs/3"),
            view(Configs, Some(3))
        );
        assert_eq!(e(Method::Delete, "/api/v1/labs/x"), view(Labs, None));
    }

    #[test]
    fn a_query_switch_selects_its_row_and_the_first_row_wins() {
        assert_eq!(
            row(Method::Post, "/api/v1/jobs?bulk=launch").0.path,
            "/api/v1/jobs?bulk=launch"
        );
        assert_eq!(
            row(Method::Post, "/api/v1/jobs?bulk=copy").0.path,
            "/api/v1/jobs?bulk"
        );
        // A reader may preview: the `?process=` rows come before the writers' rows.
        assert_eq!(
            row(Method::Post, "/api/v1/jobs?process=x&bulk=launch")
                .0
                .who,
            Who::Member
        );
        assert_eq!(
            row(Method::Get, "/api/v1/results/4?updates=1").0.path,
            "/api/v1/results/{id}?updates"
        );
        assert_eq!(
            row(Method::Patch, "/api/v1/results/4?updates=1").0.path,
            "/api/v1/results/{id}"
        );
    }

    #[test]
    fn a_served_path_with_another_method_is_told_so() {
        let c = ctx(Method::Delete, "/api/v1/jobs/5/log");
        let segs = c.segments();
        assert!(matches!(find(ROUTES, &c, &segs), Found::WrongMethod(_)));
        let c = ctx(Method::Get, "/api/v1/jobs/5/nothing");
        let segs = c.segments();
        assert!(matches!(find(ROUTES, &c, &segs), Found::Nothing));
    }

    #[test]
    fn every_route_is_named_once() {
        let mut seen = std::collections::BTreeSet::new();
        for r in ROUTES {
            assert!(
                seen.insert((format!("{:?}", r.method), r.path)),
                "{:?} {} twice",
                r.method,
                r.path
            );
        }
    }
}
