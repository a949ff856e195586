//! A filter's regular expression, matched at a bounded cost. It runs on a lazy DFA
//! (regex-automata's hybrid engine), linear in the bytes it reads; on patterns whose
//! automaton explodes (`(?s:.){100}zz`) the DFA gives up instead of slowing to a crawl, and the
//! request gets a 400. [`ScanBudget`] caps how many rows and bytes one request may match.

use super::error::{FilterError, QueryError};
use regex_automata::hybrid::{dfa, regex::Cache, regex::Regex};
use regex_automata::nfa::thompson;
use regex_automata::{util::syntax, Input};
use std::cell::RefCell;
use std::sync::Arc;

/// A compiled pattern's budget: enough for any pattern a person types.
pub const REGEX_SIZE_LIMIT: usize = 256 << 10;
/// The lazy DFA's memory; past [`CACHE_CLEARS`] refills of it (with too few bytes read per
/// state built) the search gives up.
const CACHE_BYTES: usize = 512 << 10;
const CACHE_CLEARS: usize = 3;
/// Rows one request's regular expressions may examine (what SQL cannot narrow first).
pub const MAX_REGEX_ROWS: u64 = 20_000;
/// Bytes they may read, all rows together.
pub const MAX_REGEX_BYTES: u64 = 8 << 20;

pub struct Pattern {
    source: String,
    case_insensitive: bool,
    re: Arc<Regex>,
    cache: RefCell<Cache>,
}

impl Pattern {
    pub fn new(text: &str, case_insensitive: bool) -> Result<Pattern, FilterError> {
        // Parsed on its own first, for the same one-line syntax errors as everywhere else.
        regex_syntax::ParserBuilder::new()
            .case_insensitive(case_insensitive)
            .build()
            .parse(text)
            .map_err(|e| FilterError::BadRegex(syntax_reason(&e.to_string())))?;
        let re = Regex::builder()
            .syntax(syntax::Config::new().case_insensitive(case_insensitive))
            .thompson(thompson::Config::new().nfa_size_limit(Some(REGEX_SIZE_LIMIT)))
            .dfa(
                dfa::Config::new()
                    .cache_capacity(CACHE_BYTES)
                    .minimum_cache_clear_count(Some(CACHE_CLEARS))
                    .minimum_bytes_per_state(Some(10))
                    // `\b` is Unicode-aware; on non-ASCII text the DFA stops (a 400, below).
                    .unicode_word_boundary(true),
            )
            .build(text)
            .map_err(|e| FilterError::BadRegex(build_reason(&e)))?;
        let cache = RefCell::new(re.create_cache());
        let re = Arc::new(re);
        Ok(Pattern {
            source: text.to_string(),
            case_insensitive,
            re,
            cache,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether `text` contains a match; an error when the pattern is too costly on it.
    pub fn is_match(&self, text: &str, budget: &mut ScanBudget) -> Result<bool, QueryError> {
        budget.spend_bytes(text.len() as u64)?;
        // One cache for all the rows of a request: its refills count across them, so the
        // whole request's matching is what is bounded. After giving up it starts afresh.
        let mut cache = self.cache.borrow_mut();
        let found = self
            .re
            .try_search(&mut cache, &Input::new(text).earliest(true));
        found.map(|m| m.is_some()).map_err(|_| {
            *cache = self.re.create_cache();
            QueryError::TooCostly(format!(
                "the regular expression \"{}\" is too costly to match here; simplify it",
                self.source
            ))
        })
    }
}

/// The last line of a syntax error report (`error: unclosed group`).
fn syntax_reason(report: &str) -> String {
    match report.rsplit_once("error: ") {
        Some((_, reason)) => reason.trim().to_string(),
        None => report.lines().last().unwrap_or_default().trim().to_string(),
    }
}

/// Why the automaton could not be built, from the innermost cause.
fn build_reason(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    let text = cause.to_string();
    if text.contains("exceeded limit") {
        format!("compiled regex exceeds the size limit of {REGEX_SIZE_LIMIT} bytes")
    } else {
        syntax_reason(&text)
    }
}

impl Clone for Pattern {
    fn clone(&self) -> Pattern {
        Pattern {
            source: self.source.clone(),
            case_insensitive: self.case_insensitive,
            re: Arc::clone(&self.re),
            cache: RefCell::new(self.re.create_cache()),
        }
    }
}

impl std::fmt::Debug for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Pattern({:?}, ci={})",
            self.source, self.case_insensitive
        )
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Pattern) -> bool {
        self.source == other.source && self.case_insensitive == other.case_insensitive
    }
}

/// What one request's regular expressions may still read.
#[derive(Debug, Clone)]
pub struct ScanBudget {
    bytes_left: u64,
}

impl ScanBudget {
    /// A request's budget.
    pub fn request() -> ScanBudget {
        ScanBudget {
            bytes_left: MAX_REGEX_BYTES,
        }
    }

    /// No limit (tests, trusted callers).
    pub fn unlimited() -> ScanBudget {
        ScanBudget {
            bytes_left: u64::MAX,
        }
    }

    fn spend_bytes(&mut self, n: u64) -> Result<(), QueryError> {
        self.bytes_left = self.bytes_left.checked_sub(n).ok_or_else(|| {
            QueryError::TooCostly(format!(
                "regular expressions may read at most {} MiB in one request; narrow the list with another filter first",
                MAX_REGEX_BYTES >> 20
            ))
        })?;
        Ok(())
    }

    /// Before reading `rows` candidate rows for the regular expressions.
    pub fn check_rows(rows: u64) -> Result<(), QueryError> {
        if rows > MAX_REGEX_ROWS {
            return Err(QueryError::TooCostly(format!(
                "a regular expression would have to examine {rows} rows; at most {MAX_REGEX_ROWS}: narrow the list with another filter (status, created, tags...) or anchor it (name~^abc)"
            )));
        }
        Ok(())
    }
}
