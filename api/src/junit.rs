//! A run's JUnit XML, built by the server (`GET /api/v1/results/{id}/junit`): the document
//! the official client's CI examples (`examples/gitlab.py`, `jenkins.py`) write from the same
//! run — one `<testsuite>`, a `<testcase>` per test but `start` and `final`, a `<failure>`
//! holding the test log's `FAIL` lines for a failed test, `<skipped/>` for one that did not
//! run — with every value XML-escaped (the examples write them raw).

use crate::cdrouter::parse_line;
use serde::{Deserialize, Serialize};

/// `FAIL` lines kept per failed test (the examples ask for up to 100,000; a log rarely has
/// more than a few dozen).
pub const MAX_FAIL_LINES: usize = 1_000;

/// The run, as the suite's attributes name it (the result's own counts, as the examples).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Suite {
    pub package_name: String,
    /// The result's `tests` (CDRouter counts `start` and `final` too).
    pub tests: u64,
    pub fail: u64,
    /// The web page of a test is `{base}/results/{id}/tests/{seq}`.
    pub result_id: u64,
}

/// A test of the run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub seq: u64,
    pub name: String,
    pub description: String,
    /// `pass`, `fail`, `fatal`, `skipped`, `pending` or `running`.
    pub result: String,
    /// Seconds.
    pub duration: u64,
}

impl Case {
    /// Whether the case is a `<failure>` (its log's `FAIL` lines are wanted).
    pub fn failed(&self) -> bool {
        matches!(self.result.as_str(), "fail" | "fatal")
    }

    /// CDRouter's own records of the run, not tests.
    pub fn is_bookend(&self) -> bool {
        matches!(self.name.as_str(), "start" | "final")
    }
}

/// What a failed case's `<failure>` holds.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// The log's `FAIL` lines (messages), as `list_log(filter=prefix=FAIL)` gives them.
    Lines(Vec<String>),
    /// The log could not be read (not uploaded, too large, too many failed tests): why.
    Unread(String),
}

/// The messages of a CDRouter test log's `FAIL` lines, in order, at most [`MAX_FAIL_LINES`].
pub fn fail_lines(log: &str) -> Vec<String> {
    log.lines()
        .map(parse_line)
        .filter(|l| l.prefix == Some("FAIL"))
        .map(|l| l.message.to_string())
        .take(MAX_FAIL_LINES)
        .collect()
}

/// Text for an XML attribute or element.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 has no place for other control characters.
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// The document. `failure(case)` gives a failed case's content; `base` is the web address a
/// test's page hangs below.
pub fn document(
    suite: &Suite,
    base: &str,
    cases: &[Case],
    mut failure: impl FnMut(&Case) -> Failure,
) -> String {
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str(&format!(
        "<testsuite name=\"CDRouter\" package=\"{}\" failures=\"{}\" tests=\"{}\">\n",
        escape(&suite.package_name),
        suite.fail,
        suite.tests
    ));
    for case in cases.iter().filter(|c| !c.is_bookend()) {
        x.push_str(&format!(
            "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" time=\"{}\">\n",
            escape(&format!("{}: {}", case.name, case.description)),
            escape(&suite.package_name),
            escape(&format!(
                "{base}/results/{}/tests/{}",
                suite.result_id, case.seq
            )),
            case.duration
        ));
        if case.failed() {
            x.push_str("        <failure message=\"test failures\">\n");
            match failure(case) {
                Failure::Lines(lines) => {
                    for l in lines {
                        x.push_str(&format!("FAIL: {}\n", escape(&l)));
                    }
                }
                Failure::Unread(why) => x.push_str(&format!("({})\n", escape(&why))),
            }
            x.push_str("        </failure>\n");
        } else if matches!(case.result.as_str(), "pending" | "skipped" | "running") {
            x.push_str("        <skipped/>\n");
        }
        x.push_str("    </testcase>\n");
    }
    x.push_str("</testsuite>\n");
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(seq: u64, name: &str, result: &str) -> Case {
        Case {
            seq,
            name: name.into(),
            description: format!("about {name}"),
            result: result.into(),
            duration: seq * 10,
        }
    }

    #[test]
    fn fail_lines_are_the_logs_fail_prefixed_messages() {
        let log = "Test cdrouter-183: ...\n\
            2022-08-21 22:23:40.123 INFO(app): starting\n\
            2022-08-21 22:23:41.456 FAIL(app): Inbound FTP data connection succeeded\n\
            2022-08-21 22:23:41.500 PASS(app): WAN side IP address is NAT address\n\
            2022-08-21 22:23:42.000 FAIL(app): Test cdrouter_app_14 (183) failed\n";
        assert_eq!(
            fail_lines(log),
            [
                "Inbound FTP data connection succeeded",
                "Test cdrouter_app_14 (183) failed"
            ]
        );
    }

    #[test]
    fn the_document_is_the_ci_examples_with_values_escaped() {
        let suite = Suite {
            package_name: "nightly <a&b>".into(),
            tests: 4,
            fail: 1,
            result_id: 7,
        };
        let cases = [
            case(1, "start", "pass"),
            case(2, "cdrouter_app_14", "fail"),
            case(3, "dns_45", "pass"),
            case(4, "dhcp_1", "skipped"),
            case(5, "final", "pass"),
        ];
        let doc = document(&suite, "https://lab.example/labs/a", &cases, |c| {
            assert_eq!(c.name, "cdrouter_app_14");
            Failure::Lines(vec!["x < y".into()])
        });
        let want = r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="CDRouter" package="nightly &lt;a&amp;b&gt;" failures="1" tests="4">
    <testcase name="cdrouter_app_14: about cdrouter_app_14" classname="nightly &lt;a&amp;b&gt;" file="https://lab.example/labs/a/results/7/tests/2" time="20">
        <failure message="test failures">
FAIL: x &lt; y
        </failure>
    </testcase>
    <testcase name="dns_45: about dns_45" classname="nightly &lt;a&amp;b&gt;" file="https://lab.example/labs/a/results/7/tests/3" time="30">
    </testcase>
    <testcase name="dhcp_1: about dhcp_1" classname="nightly &lt;a&amp;b&gt;" file="https://lab.example/labs/a/results/7/tests/4" time="40">
        <skipped/>
    </testcase>
</testsuite>
"#;
        assert_eq!(doc, want);
    }

    #[test]
    fn control_characters_cannot_break_the_document() {
        assert_eq!(escape("a\u{1b}[0m\"'"), "a\u{fffd}[0m&quot;&apos;");
    }
}
