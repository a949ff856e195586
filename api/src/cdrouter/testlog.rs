//! A test's own log (`dns_45.txt`, `perf_5.3.txt`): the header CDRouter writes first
//! ```text
//! ------------------------------------------------------------------------------
//! Test cdrouter-490: Verify DNS failover when ...
//! Module: dns.tcl
//! Name: dns_45
//! Description: ...
//! ```
//! then timestamped lines, and last the verdict line (see [`super::verdict`]).

use super::line::{parse_line, LogTime};
use super::verdict::{parse_verdict, Verdict};

/// How far into a file the header may start: it is the first thing a test writes.
const HEADER_LINES: usize = 8;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TestHeader {
    pub number: u64,
    pub description: String,
    pub module: String,
    pub name: String,
}

impl TestHeader {
    /// The header at the top of `text`, if it starts like a test log.
    pub fn parse(text: &str) -> Option<TestHeader> {
        let mut header = TestHeader::default();
        let mut seen_test = false;
        for line in text.lines().take(HEADER_LINES) {
            let line = line.trim_end();
            if let Some(rest) = line.strip_prefix("Test cdrouter-") {
                let (number, description) = rest.split_once(':')?;
                header.number = number.trim().parse().ok()?;
                header.description = description.trim().to_string();
                seen_test = true;
            } else if let Some(m) = line.strip_prefix("Module:") {
                header.module = m.trim().to_string();
            } else if let Some(n) = line.strip_prefix("Name:") {
                header.name = n.trim().to_string();
            }
        }
        (seen_test && !header.name.is_empty()).then_some(header)
    }
}

/// What a test's log says about the test once read whole (or as far as it was written).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TestLogSummary {
    pub header: Option<TestHeader>,
    /// The first and last timestamped lines: when the test ran.
    pub first: Option<LogTime>,
    pub last: Option<LogTime>,
    /// The verdict line, when the log has one (the test ended).
    pub verdict: Option<Verdict>,
    /// Lines in the log, and how many are `PASS:`/`FAIL:`/`WARNING` lines (assertions
    /// included: CDRouter's per-line summary counts them all).
    pub lines: u64,
    pub passes: u64,
    pub fails: u64,
    pub warnings: u64,
}

impl TestLogSummary {
    /// Whole seconds between the first and last lines, rounded (CDRouter's `duration`).
    pub fn duration_secs(&self) -> u64 {
        match (self.first, self.last) {
            (Some(a), Some(b)) if b.wall_micros > a.wall_micros => {
                ((b.wall_micros - a.wall_micros + 500_000) / 1_000_000) as u64
            }
            _ => 0,
        }
    }
}

pub fn summarize(text: &str) -> TestLogSummary {
    let mut s = TestLogSummary {
        header: TestHeader::parse(text),
        ..TestLogSummary::default()
    };
    for raw in text.lines() {
        s.lines += 1;
        let line = parse_line(raw);
        if let Some(t) = line.timestamp.and_then(LogTime::parse) {
            s.first.get_or_insert(t);
            s.last = Some(t);
        }
        match line.prefix {
            Some("PASS") => s.passes += 1,
            Some("FAIL") => s.fails += 1,
            Some("WARNING") => s.warnings += 1,
            _ => {}
        }
        if let Some(v) = parse_verdict(raw) {
            s.verdict = Some(v.verdict);
        }
    }
    s
}
