//! What the compare page shows, worked out apart from the page (plain data, tested natively):
//! the ids from `?ids=`, and each test's records per result, grouped by how it changed.

use labrelay_api::stats::{DiffStats, TestResultSummary};
use labrelay_api::Id;

/// Results one comparison takes at most (the server's cap, `stats=diff`).
pub const MAX: usize = 20;

/// How a test went across the results, in the order the page lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    /// The verdicts differ between the results that ran it.
    Changed,
    /// Not run in every result (new in a later one, or missing from one), the same elsewhere.
    NewOrMissing,
    Unchanged,
}

impl Change {
    pub fn words(self) -> &'static str {
        match self {
            Change::Changed => "changed",
            Change::NewOrMissing => "new or missing",
            Change::Unchanged => "unchanged",
        }
    }
}

/// One test: its records in each result, in the columns' order (none where it did not
/// run; more than one where it ran in several loops or repeats).
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub name: String,
    pub change: Change,
    pub cells: Vec<Vec<TestResultSummary>>,
}

/// Every test, changed ones first, then new or missing, then unchanged (each group in the
/// order the tests first ran), and how many of each.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Compared {
    pub rows: Vec<Row>,
    pub changed: usize,
    pub new_or_missing: usize,
    pub unchanged: usize,
}

/// `?ids=3,1,2`: the results in the order given, each once; a word that is not an id is an
/// error in words.
pub fn parse_ids(param: &str) -> Result<Vec<Id>, String> {
    let mut ids: Vec<Id> = Vec::new();
    for word in param.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        let id = word
            .parse::<u64>()
            .ok()
            .filter(|n| *n > 0)
            .map(Id)
            .ok_or_else(|| format!("\"{word}\" is not a result id."))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// Why these ids cannot be compared, if they cannot.
pub fn refuse(ids: &[Id]) -> Option<String> {
    match ids.len() {
        0 | 1 => Some(
            "Pick two or more results to compare: select jobs with results on the jobs \
             list, then \"Compare results\"."
                .into(),
        ),
        n if n > MAX => Some(format!(
            "At most {MAX} results can be compared at once; {n} were given."
        )),
        _ => None,
    }
}

/// The server's answer for `ids`, grouped.
pub fn compare(ids: &[Id], diff: DiffStats) -> Compared {
    let mut rows: Vec<Row> = diff
        .tests
        .into_iter()
        .map(|t| {
            let mut cells: Vec<Vec<TestResultSummary>> = vec![Vec::new(); ids.len()];
            for s in t.summaries {
                if let Some(at) = ids.iter().position(|id| *id == s.id) {
                    cells[at].push(s);
                }
            }
            Row {
                change: change_of(&cells),
                name: t.name,
                cells,
            }
        })
        .collect();
    // A stable sort: each group keeps the order the tests first ran.
    rows.sort_by_key(|r| r.change);
    let count = |c: Change| rows.iter().filter(|r| r.change == c).count();
    Compared {
        changed: count(Change::Changed),
        new_or_missing: count(Change::NewOrMissing),
        unchanged: count(Change::Unchanged),
        rows,
    }
}

fn change_of(cells: &[Vec<TestResultSummary>]) -> Change {
    let verdicts: Vec<Vec<&str>> = cells
        .iter()
        .filter(|c| !c.is_empty())
        .map(|c| c.iter().map(|s| s.result.as_str()).collect())
        .collect();
    if verdicts.windows(2).any(|w| w[0] != w[1]) {
        Change::Changed
    } else if verdicts.len() < cells.len() {
        Change::NewOrMissing
    } else {
        Change::Unchanged
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use labrelay_api::stats::TestResultDiff;

    fn run(id: u64, seq: u64, name: &str, result: &str) -> TestResultSummary {
        TestResultSummary {
            id: Id(id),
            seq: Id(seq),
            result: result.into(),
            name: name.into(),
            ..TestResultSummary::default()
        }
    }

    fn test(name: &str, runs: &[(u64, &str)]) -> TestResultDiff {
        TestResultDiff {
            name: name.into(),
            summaries: runs
                .iter()
                .enumerate()
                .map(|(i, (id, r))| run(*id, i as u64 + 2, name, r))
                .collect(),
        }
    }

    #[test]
    fn changed_first_then_new_or_missing_then_unchanged() {
        let diff = DiffStats {
            tests: vec![
                test("same", &[(1, "pass"), (2, "pass")]),
                test("gone", &[(1, "pass")]),
                test("broke", &[(1, "pass"), (2, "fail")]),
                test("new", &[(2, "pass")]),
                test("fixed", &[(1, "fail"), (2, "pass")]),
            ],
        };
        let c = compare(&[Id(1), Id(2)], diff);
        let order: Vec<(&str, Change)> =
            c.rows.iter().map(|r| (r.name.as_str(), r.change)).collect();
        assert_eq!(
            order,
            [
                ("broke", Change::Changed),
                ("fixed", Change::Changed),
                ("gone", Change::NewOrMissing),
                ("new", Change::NewOrMissing),
                ("same", Change::Unchanged),
            ]
        );
        assert_eq!((c.changed, c.new_or_missing, c.unchanged), (2, 2, 1));
        let gone = &c.rows[2];
        assert_eq!((gone.cells[0].len(), gone.cells[1].len()), (1, 0));
    }

    #[test]
    fn a_test_missing_from_one_result_and_different_in_two_is_changed() {
        let diff = DiffStats {
            tests: vec![test("t", &[(1, "pass"), (3, "fail")])],
        };
        let c = compare(&[Id(1), Id(2), Id(3)], diff);
        assert_eq!(c.rows[0].change, Change::Changed);
    }

    #[test]
    fn repeats_compare_as_their_verdicts_in_order() {
        let diff = DiffStats {
            tests: vec![
                test("r", &[(1, "pass"), (1, "pass"), (2, "pass"), (2, "fail")]),
                test("s", &[(1, "pass"), (1, "fail"), (2, "pass"), (2, "fail")]),
            ],
        };
        let c = compare(&[Id(1), Id(2)], diff);
        assert_eq!(c.rows[0].change, Change::Changed);
        assert_eq!(c.rows[1].change, Change::Unchanged);
        assert_eq!(c.rows[1].cells[0].len(), 2);
    }

    #[test]
    fn records_of_results_not_asked_for_are_left_out() {
        let diff = DiffStats {
            tests: vec![test("t", &[(1, "pass"), (9, "fail")])],
        };
        let c = compare(&[Id(1), Id(2)], diff);
        assert_eq!(c.rows[0].change, Change::NewOrMissing);
    }

    #[test]
    fn ids_from_the_query() {
        assert_eq!(parse_ids("3,1, 2,3,"), Ok(vec![Id(3), Id(1), Id(2)]));
        assert_eq!(parse_ids(""), Ok(vec![]));
        assert!(parse_ids("1,x").is_err());
        assert!(parse_ids("1,0").is_err());
        assert!(refuse(&[Id(1)]).is_some());
        assert!(refuse(&[Id(1), Id(2)]).is_none());
        let many: Vec<Id> = (1..=21).map(Id).collect();
        assert!(refuse(&many).is_some_and(|m| m.contains("21")));
    }
}
