//! A row of the lab object's route table (`route_table.rs`) and what its handler is given.
//! A row names a method, a path pattern (`{x}` matches one segment, `?k` / `?k=v` a query
//! switch that selects the row), who may call it, where it is served and whom a success
//! wakes; `find` picks the row for a request, the first that matches.

use super::effects::Wakes;
use super::http::{parse_id, Caller, Ctx, Reply};
use super::object::Store;
use crate::path_pattern::{captures, switched};
use labrelay_api::error::ApiError;
use labrelay_api::Id;
use std::future::Future;
use std::pin::Pin;
use worker::Method;

pub type Answer = Result<Reply, ApiError>;
/// A handler that may wait (a long poll, a call to R2) before it answers.
pub type Pending<'a> = Pin<Box<dyn Future<Output = Answer> + 'a>>;

/// Who may call a route; checked before its handler runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    /// Anyone: sign-in and the directory's calls (the handler reads what it needs).
    Open,
    /// Any signed-in user of the lab.
    Member,
    /// A user who may change things (not read-only).
    Writer,
    Admin,
    /// An agent, by its token (a call that is not work: `whoami`, a claim, a stop poll).
    Agent,
    /// An agent at work: marked seen before the handler runs.
    AgentAtWork,
}

/// Which objects serve a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// Every lab's object (the default lab's too).
    Lab,
    /// Only the directory (the default lab's object): users, tokens and labs.
    Directory,
}

#[derive(Clone, Copy)]
pub enum Run {
    Now(fn(&Call) -> Answer),
    Held(for<'a> fn(&'a Call<'a>) -> Pending<'a>),
}

pub struct Route {
    /// `None`: any method (the entry's internal calls).
    pub method: Option<Method>,
    pub path: &'static str,
    pub who: Who,
    pub place: Place,
    pub wakes: Wakes,
    pub run: Run,
}

/// Who called, as the row's `who` established it.
pub enum Identity {
    Nobody,
    User(Caller),
    Agent(Id),
}

/// What a handler is given: the object, the request, the caller and the path's `{x}` values.
pub struct Call<'a> {
    pub store: &'a Store,
    pub ctx: &'a Ctx,
    pub identity: Identity,
    pub params: Vec<&'a str>,
}

impl Call<'_> {
    pub fn db(&self) -> &super::db::Db {
        &self.store.db
    }

    /// The signed-in user (rows with `who` Member, Writer or Admin).
    pub fn caller(&self) -> Result<&Caller, ApiError> {
        match &self.identity {
            Identity::User(c) => Ok(c),
            _ => Err(ApiError::Internal(
                "route table: this route has no user".into(),
            )),
        }
    }

    /// The calling agent (rows with `who` Agent or AgentAtWork).
    pub fn agent(&self) -> Result<Id, ApiError> {
        match self.identity {
            Identity::Agent(a) => Ok(a),
            _ => Err(ApiError::Internal(
                "route table: this route has no agent".into(),
            )),
        }
    }

    /// The path's `n`th `{x}` value ("" past the last: the pattern decides how many).
    pub fn at(&self, n: usize) -> &str {
        self.params.get(n).copied().unwrap_or_default()
    }

    /// The path's `n`th `{x}` value as the id of a `noun`.
    pub fn id(&self, n: usize, noun: &'static str) -> Result<Id, ApiError> {
        parse_id(self.at(n), noun)
    }
}

pub enum Found<'r, 's> {
    Row(&'r Route, Vec<&'s str>),
    /// The path is served, not with this method: the first such row (for who may know).
    WrongMethod(&'r Route),
    Nothing,
}

/// The first row for `ctx`'s method, path and query (`segs`: its path's non-empty segments).
pub fn find<'r, 's>(table: &'r [Route], ctx: &Ctx, segs: &[&'s str]) -> Found<'r, 's> {
    let mut other = None;
    for row in table {
        let Some(at) = captures(row.path, segs) else {
            continue;
        };
        let params: Vec<&str> = at.iter().filter_map(|i| segs.get(*i).copied()).collect();
        let method_fits = row.method.as_ref().is_none_or(|m| *m == ctx.method);
        if method_fits && switched(row.path, |k| ctx.param(k)) {
            return Found::Row(row, params);
        }
        if !method_fits {
            other.get_or_insert(row);
        }
    }
    match other {
        Some(row) => Found::WrongMethod(row),
        None => Found::Nothing,
    }
}
