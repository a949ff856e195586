//! Reservations (as labgrid's): a user holds a device, or an agent with its interfaces, for a
//! time box; only that user's jobs run on it meanwhile (dispatch skips the others, which say
//! why they wait). Renewed by `PATCH` (`minutes` from now), given back by `DELETE`, and over
//! by itself when `until` passes (the alarm wakes the queue then).

use super::auth::require_writer;
use super::db::{from_micros, us, Db};
use super::http::{self, Caller, Ctx, Reply};
use crate::error::now;
use labrelay_api::error::ApiError;
use labrelay_api::reservations::{Reservation, ReservationInput};
use labrelay_api::Id;
use serde::Deserialize;

/// Reservations listed at most (live ones, then the latest that ran out).
const LIST_MAX: i64 = 500;
/// Live reservations a lab holds at most (each is a row dispatch looks at).
const LIVE_MAX: i64 = 1_000;
/// Reservations that ran out are kept this long, then dropped (µs: a week).
const KEEP_US: i64 = 7 * 24 * 3_600_000_000;

#[derive(Deserialize)]
struct Row {
    id: i64,
    device_id: i64,
    agent_id: i64,
    user_id: i64,
    note: String,
    created: i64,
    until: i64,
    name: Option<String>,
    user_name: Option<String>,
}

const SELECT: &str = "SELECT r.id, r.device_id, r.agent_id, r.user_id, r.note, r.created, r.until,
        CASE WHEN r.device_id != 0 THEN d.name ELSE a.name END AS name, u.name AS user_name
   FROM reservations r
   LEFT JOIN devices d ON d.id = r.device_id
   LEFT JOIN agents a ON a.id = r.agent_id
   LEFT JOIN users u ON u.id = r.user_id";

impl Row {
    fn wire(self, now_us: i64) -> Reservation {
        Reservation {
            id: Id(self.id as u64),
            device_id: Id(self.device_id as u64),
            agent_id: Id(self.agent_id as u64),
            name: self.name.unwrap_or_default(),
            user_id: Id(self.user_id as u64),
            user_name: self.user_name.unwrap_or_default(),
            note: self.note,
            created: from_micros(self.created),
            until: from_micros(self.until),
            active: self.until > now_us,
        }
    }
}

fn find(db: &Db, id: Id) -> Result<Row, ApiError> {
    db.first(
        &format!("{SELECT} WHERE r.id = ?"),
        vec![id.as_i64().into()],
    )?
    .ok_or(ApiError::NotFound("reservation"))
}

/// `GET /reservations/`: the current ones first, then those that ended lately (kept
/// `KEEP_US`, so the list shows who had a device).
pub fn list(db: &Db) -> Result<Reply, ApiError> {
    let t = us(now());
    db.exec(
        "DELETE FROM reservations WHERE until < ?",
        vec![(t - KEEP_US).into()],
    )?;
    let rows: Vec<Row> = db.rows(
        &format!("{SELECT} ORDER BY r.until > ? DESC, r.until DESC, r.id DESC LIMIT ?"),
        vec![t.into(), LIST_MAX.into()],
    )?;
    let out: Vec<Reservation> = rows.into_iter().map(|r| r.wire(t)).collect();
    http::data(&out)
}

pub fn get(db: &Db, id: Id) -> Result<Reply, ApiError> {
    http::data(&find(db, id)?.wire(us(now())))
}

/// Given back: it ends now (kept a while, so the list shows who had it).
pub fn give_back(db: &Db, caller: &Caller, id: Id) -> Result<Reply, ApiError> {
    let r = find(db, id)?;
    holder_only(caller, &r)?;
    db.exec(
        "UPDATE reservations SET until = min(until, ?) WHERE id = ?",
        vec![us(now()).into(), r.id.into()],
    )?;
    Ok(Reply::NoContent)
}

fn holder_only(caller: &Caller, r: &Row) -> Result<(), ApiError> {
    require_writer(caller)?;
    if caller.admin || caller.user_id.as_i64() == r.user_id {
        Ok(())
    } else {
        Err(ApiError::NotOwner(
            "only its holder or an admin may renew or end a reservation".into(),
        ))
    }
}

fn minutes(input: &ReservationInput) -> Result<i64, ApiError> {
    let m = input
        .minutes
        .ok_or_else(|| ApiError::invalid("minutes is required"))?;
    Ok(i64::from(m) * 60_000_000)
}

/// What a reservation holds: a device or an agent that exists (its noun for messages).
fn target(db: &Db, device: i64, agent: i64) -> Result<&'static str, ApiError> {
    let (table, target, noun) = match (device, agent) {
        (d, 0) if d > 0 => ("devices", d, "device"),
        (0, a) if a > 0 => ("agents", a, "agent"),
        _ => {
            return Err(ApiError::invalid(
                "reserve either a device (device_id) or an agent (agent_id)",
            ))
        }
    };
    if !super::crud::exists(db, table, Id(target as u64))? {
        return Err(ApiError::NotFound(noun));
    }
    Ok(noun)
}

pub fn create(db: &Db, ctx: &Ctx, caller: &Caller) -> Result<Reply, ApiError> {
    let t = us(now());
    let input: ReservationInput = ctx.json()?;
    labrelay_api::limits::check_reservation(&input).map_err(ApiError::Invalid)?;
    let device = input.device_id.unwrap_or(Id::NONE).as_i64();
    let agent = input.agent_id.unwrap_or(Id::NONE).as_i64();
    let noun = target(db, device, agent)?;
    let until = t + minutes(&input)?;
    let holder: Option<Row> = db.first(
        &format!(
            "{SELECT} WHERE r.until > ? AND r.device_id = ? AND r.agent_id = ?
             ORDER BY r.id LIMIT 1"
        ),
        vec![t.into(), device.into(), agent.into()],
    )?;
    if let Some(h) = holder {
        if h.user_id != caller.user_id.as_i64() {
            return Err(ApiError::Conflict(format!(
                "{noun} is reserved by {} until {}",
                h.user_name.unwrap_or_else(|| format!("user {}", h.user_id)),
                from_micros(h.until)
            )));
        }
        // The holder reserving again: the same reservation, renewed.
        db.exec(
            "UPDATE reservations SET until = ?, note = coalesce(?, note) WHERE id = ?",
            vec![until.into(), input.note.into(), h.id.into()],
        )?;
        return http::data(&find(db, Id(h.id as u64))?.wire(t));
    }
    if db.int(
        "SELECT count(*) FROM reservations WHERE until > ?",
        vec![t.into()],
    )? >= LIVE_MAX
    {
        return Err(ApiError::invalid(format!(
            "at most {LIVE_MAX} reservations at a time"
        )));
    }
    db.exec(
        "INSERT INTO reservations (device_id, agent_id, user_id, note, created, until)
         VALUES (?, ?, ?, ?, ?, ?)",
        vec![
            device.into(),
            agent.into(),
            caller.user_id.as_i64().into(),
            input.note.unwrap_or_default().into(),
            t.into(),
            until.into(),
        ],
    )?;
    http::data(&find(db, Id(db.last_id()? as u64))?.wire(t))
}

pub fn renew(db: &Db, ctx: &Ctx, caller: &Caller, id: Id) -> Result<Reply, ApiError> {
    let t = us(now());
    let r = find(db, id)?;
    holder_only(caller, &r)?;
    let input: ReservationInput = ctx.json()?;
    labrelay_api::limits::check_reservation(&input).map_err(ApiError::Invalid)?;
    if r.until <= t {
        return Err(ApiError::Conflict(
            "this reservation is over: reserve again".into(),
        ));
    }
    let until = match input.minutes {
        Some(_) => t + minutes(&input)?,
        None => r.until,
    };
    db.exec(
        "UPDATE reservations SET until = ?, note = coalesce(?, note) WHERE id = ?",
        vec![until.into(), input.note.into(), r.id.into()],
    )?;
    http::data(&find(db, id)?.wire(t))
}

/// The next reservation to run out (µs), for the alarm: the queue moves then.
pub fn next_end(db: &Db) -> Result<Option<i64>, ApiError> {
    let at = db.int(
        "SELECT coalesce(min(until), 0) FROM reservations WHERE until > ?",
        vec![us(now()).into()],
    )?;
    Ok((at > 0).then_some(at))
}
