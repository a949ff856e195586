//! A row of the entry's route table (`entry/table.rs`), what its handler is given and
//! what it gives back (an answer, or the request for the store); `find` picks a request's row.
//! A row names a method, a path pattern (`{x}` matches one segment, `?k` / `?k=v` a query
//! switch that selects the row) and what it needs (nothing, or the lab the request is for).

use crate::labs::Target;
use crate::path_pattern::{captures, switched};
use labrelay_api::error::ApiError;
use std::future::Future;
use std::pin::Pin;
use worker::{Env, Method, Request, Response, Result};

/// Handled by an entry handler, or the request back for the store.
pub enum Routed {
    Done(Result<Response>),
    Store(Request),
}

/// A handler's answer, once it has run.
pub type Pending<'a> = Pin<Box<dyn Future<Output = Routed> + 'a>>;

/// What a row needs, which is when the entry looks for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    /// Nothing: looked for first, on the request's own path (no secret, no lab).
    Nothing,
    /// The lab the request is for (`crate::labs::route`): looked for after the secrets check,
    /// the lab's routing and the relabel, on the path after any `/labs/{lab}`.
    Lab,
}

pub struct Route {
    /// `None`: any method, one the worker cannot read (QUERY, PROPFIND...) too.
    pub method: Option<Method>,
    pub path: &'static str,
    pub needs: Needs,
    pub run: for<'a> fn(Request, Call<'a>) -> Pending<'a>,
}

/// What a handler is given besides the request: the worker's environment, the lab (rows
/// that need it) and the path's `{x}` values.
#[derive(Clone, Copy)]
pub struct Call<'a> {
    pub env: &'a Env,
    lab: Option<&'a Target>,
    segs: &'a [&'a str],
    /// Which of `segs` are the `{x}` values.
    at: &'a [usize],
}

impl<'a> Call<'a> {
    pub fn new(
        env: &'a Env,
        lab: Option<&'a Target>,
        segs: &'a [&'a str],
        at: &'a [usize],
    ) -> Self {
        Call { env, lab, segs, at }
    }

    /// The lab the request is for (rows that need `Lab`).
    pub fn lab(&self) -> std::result::Result<&'a Target, ApiError> {
        self.lab
            .ok_or_else(|| ApiError::Internal("entry route table: this route has no lab".into()))
    }

    /// The path's `n`th `{x}` value as sent ("" past the last: the pattern decides how many).
    pub fn at(&self, n: usize) -> &'a str {
        self.at
            .get(n)
            .and_then(|i| self.segs.get(*i))
            .copied()
            .unwrap_or_default()
    }

    /// The path's `n`th `{x}` value, percent-decoded (a file's name).
    pub fn decoded(&self, n: usize) -> String {
        percent_encoding::percent_decode_str(self.at(n))
            .decode_utf8_lossy()
            .into_owned()
    }
}

/// The request's query as (key, value) pairs, percent-decoded.
pub fn query(req: &Request) -> Vec<(String, String)> {
    req.url()
        .map(|u| {
            u.query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// The first row that `needs` this, for the method (`None`: one the worker cannot read, which
/// only `ANY` rows take), the path's non-empty segments and the query's pairs; with the
/// indexes of its `{x}` values. A path served with other methods only has no row here.
pub fn find<'r>(
    table: &'r [Route],
    needs: Needs,
    method: Option<&Method>,
    segs: &[&str],
    query: &[(String, String)],
) -> Option<(&'r Route, Vec<usize>)> {
    table
        .iter()
        .filter(|row| row.needs == needs)
        .filter(|row| row.method.is_none() || row.method.as_ref() == method)
        .filter(|row| {
            let value = |k: &str| {
                query
                    .iter()
                    .find(|(key, _)| key == k)
                    .map(|(_, v)| v.as_str())
            };
            switched(row.path, value)
        })
        .find_map(|row| captures(row.path, segs).map(|at| (row, at)))
}
