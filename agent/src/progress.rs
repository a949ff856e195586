//! Live progress from cdrouter-cli's output: `PASS: <test>` and `FAIL: <test>` lines, at the
//! start of a line or after a leading timestamp (`12:00:01.250 PASS: x`,
//! `2026-01-02 12:00:01 | FAIL: y`). Everything else is just log text.

use labrelay_api::agents::{Progress, Summary};
use labrelay_api::jobs::JobOptions;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
}

/// The verdict and test name of a result line, if `line` is one.
pub fn parse_line(line: &str) -> Option<(Verdict, &str)> {
    let rest = skip_timestamp(line.trim_start());
    let (verdict, rest) = if let Some(r) = rest.strip_prefix("PASS:") {
        (Verdict::Pass, r)
    } else if let Some(r) = rest.strip_prefix("FAIL:") {
        (Verdict::Fail, r)
    } else {
        return None;
    };
    let name = rest.split_whitespace().next()?;
    Some((verdict, name))
}

/// Skips leading words made only of date/time characters (`2026-01-02`, `12:00:01.250`,
/// `2026-01-02T12:00:01Z`) and the separators after them (`|`, `-`, `]`, `[`).
fn skip_timestamp(mut s: &str) -> &str {
    loop {
        let word_len = s.find(char::is_whitespace).unwrap_or(s.len());
        let word = &s[..word_len];
        let is_time = word.starts_with(|c: char| c.is_ascii_digit() || c == '[')
            && word
                .chars()
                .all(|c| c.is_ascii_digit() || ":.-/TZ+[],".contains(c));
        let is_separator = !word.is_empty() && word.chars().all(|c| "|-[]".contains(c));
        if word.is_empty() || !(is_time || is_separator) {
            return s;
        }
        s = s[word_len..].trim_start();
    }
}

/// How many tests a run will execute: the testlist from `begin_at` (when found) through
/// `end_at` (when found), minus the skipped ones. With neither set that is the testlist's
/// length minus the skipped tests it contains.
pub fn planned_total(testlist: &[String], options: &JobOptions) -> u64 {
    let begin = testlist
        .iter()
        .position(|t| !options.begin_at.is_empty() && *t == options.begin_at)
        .unwrap_or(0);
    let end = testlist
        .iter()
        .position(|t| !options.end_at.is_empty() && *t == options.end_at)
        .filter(|&e| e >= begin)
        .map_or(testlist.len(), |e| e + 1);
    let planned = testlist[begin..end]
        .iter()
        .filter(|t| !options.skip_tests.contains(t))
        .count();
    planned as u64
}

/// Counts verdicts as lines go by.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    total: u64,
    passed: u64,
    failed: u64,
}

impl Tally {
    pub fn new(total: u64) -> Tally {
        Tally {
            total,
            ..Tally::default()
        }
    }

    /// Looks at one output line; returns its verdict when it was a result line.
    pub fn observe(&mut self, line: &str) -> Option<Verdict> {
        let (verdict, _) = parse_line(line)?;
        match verdict {
            Verdict::Pass => self.passed += 1,
            Verdict::Fail => self.failed += 1,
        }
        Some(verdict)
    }

    pub fn progress(&self) -> Progress {
        let done = self.passed + self.failed;
        Progress {
            done,
            // A test run twice (or a list we counted wrong) must not show 7 of 5.
            total: self.total.max(done),
            passed: self.passed,
            failed: self.failed,
        }
    }

    /// The tests that ran, as the finish reports them.
    pub fn summary(&self) -> Summary {
        Summary {
            tests: self.passed + self.failed,
            passed: self.passed,
            failed: self.failed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_lines_with_and_without_timestamps() {
        for (line, want) in [
            (
                "PASS: cdrouter_basic_1",
                Some((Verdict::Pass, "cdrouter_basic_1")),
            ),
            ("FAIL: dhcp_5 (12.3 s)", Some((Verdict::Fail, "dhcp_5"))),
            ("  PASS:   ipv6_1", Some((Verdict::Pass, "ipv6_1"))),
            ("12:00:01.250 PASS: a", Some((Verdict::Pass, "a"))),
            ("2026-01-02 12:00:01 | FAIL: b", Some((Verdict::Fail, "b"))),
            ("2026-01-02T12:00:01.5Z PASS: c", Some((Verdict::Pass, "c"))),
            ("[12:00:01] FAIL: d", Some((Verdict::Fail, "d"))),
        ] {
            assert_eq!(parse_line(line), want, "{line}");
        }
    }

    #[test]
    fn other_lines_are_not_results() {
        for line in [
            "",
            "Starting test PASS: x",
            "INFO PASS: x",
            "PASS:",
            "PASS x",
            "pass: x",
            "12:00:01 Starting test a",
            "Tests: 3  Pass: 2  Fail: 1",
            "XFAIL: y",
        ] {
            assert_eq!(parse_line(line), None, "{line:?}");
        }
    }

    fn opts(begin: &str, end: &str, skip: &[&str]) -> JobOptions {
        JobOptions {
            begin_at: begin.into(),
            end_at: end.into(),
            skip_tests: skip.iter().map(|s| s.to_string()).collect(),
            ..JobOptions::default()
        }
    }

    #[test]
    fn the_total_leaves_out_skipped_and_out_of_range_tests() {
        let list: Vec<String> = ["a", "b", "c", "d", "e"].map(String::from).into();
        assert_eq!(planned_total(&list, &opts("", "", &[])), 5);
        assert_eq!(planned_total(&list, &opts("", "", &["b", "zz"])), 4);
        assert_eq!(planned_total(&list, &opts("b", "", &[])), 4);
        assert_eq!(planned_total(&list, &opts("b", "d", &["c"])), 2);
        assert_eq!(planned_total(&list, &opts("", "b", &[])), 2);
        assert_eq!(planned_total(&list, &opts("nope", "nope", &[])), 5);
        assert_eq!(planned_total(&list, &opts("d", "b", &[])), 2);
    }

    #[test]
    fn the_tally_counts_and_never_overshoots() {
        let mut t = Tally::new(2);
        for line in ["Starting test a", "PASS: a", "FAIL: b", "noise", "PASS: a"] {
            t.observe(line);
        }
        let p = t.progress();
        assert_eq!((p.done, p.total, p.passed, p.failed), (3, 3, 2, 1));
        let s = t.summary();
        assert_eq!((s.tests, s.passed, s.failed), (3, 2, 1));
    }
}
