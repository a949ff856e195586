//! The synopsis at the end of `final.txt`, the authority on a finished run's verdicts:
//! ```text
//! Test          Result Synopsis
//! -------------+------+-----------------------------------------------------------
//! cdrouter-183   +FAIL| Verify router closes public ports opened with the FTP PORT command
//! cdrouter-490    Pass| Verify DNS failover when non-zero error codes are received ...
//!
//! 2 test(s) run
//! 1 failure(s)
//! ...
//! Test run started at Sun Aug 21 22:23:12 EDT 2022
//! Test run stopped at Sun Aug 21 22:27:03 EDT 2022, total time 00:03:51
//! ```
//! A run that did not finish has no synopsis.

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SynopsisRow {
    pub number: u64,
    /// CDRouter's `result`: `pass`, `fail`, `fatal`, `skipped` (lower case, no `+`).
    pub result: String,
    pub description: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Synopsis {
    /// The tests in the order they ran.
    pub rows: Vec<SynopsisRow>,
    pub tests_run: Option<u64>,
    pub failures: Option<u64>,
    /// `00:03:51` of "total time".
    pub total_time: Option<String>,
}

/// The synopsis of a `final.txt`, if it has one.
pub fn parse_synopsis(text: &str) -> Option<Synopsis> {
    let mut lines = text.lines().map(str::trim_end);
    lines.by_ref().find(|l| {
        let mut w = l.split_whitespace();
        w.next() == Some("Test") && w.next() == Some("Result") && w.next() == Some("Synopsis")
    })?;
    let mut s = Synopsis::default();
    for line in lines {
        if let Some(row) = synopsis_row(line) {
            s.rows.push(row);
        } else if let Some(n) = line.strip_suffix(" test(s) run") {
            s.tests_run = n.trim().parse().ok();
        } else if let Some(n) = line.strip_suffix(" failure(s)") {
            s.failures = n.trim().parse().ok();
        } else if let Some((_, t)) = line.split_once(", total time ") {
            s.total_time = Some(t.trim().to_string());
        }
    }
    Some(s)
}

/// `cdrouter-183   +FAIL| Verify ...`
fn synopsis_row(line: &str) -> Option<SynopsisRow> {
    let rest = line.strip_prefix("cdrouter-")?;
    let (left, description) = rest.split_once('|')?;
    let mut words = left.split_whitespace();
    let number = words.next()?.parse().ok()?;
    let word = words.next()?;
    if words.next().is_some() {
        return None;
    }
    let result = match word.trim_start_matches('+').to_ascii_lowercase().as_str() {
        "skip" | "skipped" => "skipped".to_string(),
        other => other.to_string(),
    };
    Some(SynopsisRow {
        number,
        result,
        description: description.trim().to_string(),
    })
}
