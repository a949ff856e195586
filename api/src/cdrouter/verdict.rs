//! A test's verdict line, the last line of its log: `... PASS: Test dns_45 (490) passed` or
//! `... FAIL: Test cdrouter_app_14 (183) failed`. A log holds many more `PASS:`/`FAIL:`
//! lines — the assertions inside a test (`PASS: WAN side IP address is NAT address
//! 192.168.1.2`) — which are not verdicts: only `Test <name> (<number>) passed|failed` is.

use super::line::parse_line;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
}

impl Verdict {
    /// The CDRouter `result` of a test with this verdict.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerdictLine<'a> {
    pub verdict: Verdict,
    /// The test's name (`dns_45`; a repeated run may carry `.N`, which is kept).
    pub name: &'a str,
    /// The test's CDRouter number (`490` of `cdrouter-490`).
    pub number: u64,
    pub timestamp: Option<&'a str>,
}

pub fn parse_verdict(raw: &str) -> Option<VerdictLine<'_>> {
    let line = parse_line(raw);
    let verdict = match line.prefix? {
        "PASS" => Verdict::Pass,
        "FAIL" => Verdict::Fail,
        _ => return None,
    };
    if line.name.is_some() {
        return None;
    }
    let rest = line.message.strip_prefix("Test ")?;
    let (name, rest) = rest.split_once(" (")?;
    let (number, tail) = rest.split_once(") ")?;
    let expected = match verdict {
        Verdict::Pass => "passed",
        Verdict::Fail => "failed",
    };
    let name_ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-');
    (name_ok && tail.trim_end() == expected).then_some(())?;
    Some(VerdictLine {
        verdict,
        name,
        number: number.parse().ok()?,
        timestamp: line.timestamp,
    })
}
