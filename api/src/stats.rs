//! CDRouter's result statistics, as the official client reads them (`cdrouter/results.py`):
//! `POST results/?stats=all|set|diff` (`all_stats`, `set_stats`, `diff_stats`) and
//! `GET results/{id}/?stats=all|summary|progress` (`single_stats`, `summary_stats`,
//! `progress_stats`). The semantics are those the client's own tests check against a real
//! CDRouter on the run in `fixtures/cdrouter-exports/20220821222306-fail.gz`.

use crate::results::{RunProgress, TestResult};
use crate::Id;
use serde::{Deserialize, Serialize};

/// Results one `?stats=set` request may aggregate.
pub const MAX_SET: usize = 100;
/// Results one `?stats=diff` request may compare.
pub const MAX_DIFF: usize = 20;
/// Test records one stats request may read (across its results).
pub const MAX_TESTS: usize = 100_000;
/// Results `?stats=all` counts: the newest this many.
pub const MAX_ALL: usize = 100_000;
/// Rows of a "frequent" or "longest" list.
pub const TOP: usize = 10;

/// `?stats=set` and `?stats=diff`'s body: `[{"id": "..."}]`, as the client sends it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ResultRef {
    pub id: Id,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TestCount {
    pub name: String,
    pub count: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TestDuration {
    pub name: String,
    pub duration: u64,
}

/// Test verdicts counted (`start` and `final` included, as CDRouter counts them).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ResultBreakdown {
    pub passed: u64,
    pub failed: u64,
    pub skipped: u64,
    pub alerted: u64,
}

/// Seconds spent in passing and in failing tests.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TimeBreakdown {
    pub passed: u64,
    pub failed: u64,
}

/// `POST results/?stats=set`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SetStats {
    /// The tests that failed most often, most first.
    pub frequent_failures: Vec<TestCount>,
    /// The longest test runs, longest first.
    pub longest_tests: Vec<TestDuration>,
    pub result_breakdown: ResultBreakdown,
    pub time_breakdown: TimeBreakdown,
}

/// One test of one result, in a comparison.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TestResultSummary {
    /// The result's id.
    pub id: Id,
    pub seq: Id,
    pub result: String,
    pub alerts: u64,
    pub duration: u64,
    pub flagged: bool,
    pub name: String,
    pub description: String,
}

/// A test across the compared results: its record in each result that ran it, in the order
/// the results were asked for.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TestResultDiff {
    pub name: String,
    pub summaries: Vec<TestResultSummary>,
}

/// `POST results/?stats=diff`: every test (`start` and `final` left out) in the order it
/// first ran.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DiffStats {
    pub tests: Vec<TestResultDiff>,
}

/// A result's tests by how they went across its loops and repeats.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TestResultBreakdown {
    /// Tests that failed at least once, with how many times.
    pub failed_at_least_once: Vec<TestCount>,
    /// Tests that never failed, with how many times they passed.
    pub passed_every_time: Vec<TestCount>,
}

/// `GET results/{id}/?stats=all`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SingleStats {
    pub result_breakdown: TestResultBreakdown,
    pub progress: RunProgress,
}

/// `GET results/{id}/?stats=summary`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SummaryStats {
    pub result_breakdown: ResultBreakdown,
    pub test_summaries: Vec<TestResult>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PackageCount {
    pub package_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DeviceCount {
    pub device_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

/// `POST results/?stats=all`: the packages and devices of the lab's runs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AllStats {
    /// The packages run most often, most first.
    pub frequent_packages: Vec<PackageCount>,
    /// Every package name that has a result, by name.
    pub package_names: Vec<PackageCount>,
    pub frequent_devices: Vec<DeviceCount>,
    pub device_names: Vec<DeviceCount>,
}

fn is_bookend(t: &TestResult) -> bool {
    matches!(t.name.as_str(), "start" | "final")
}

fn failed(t: &TestResult) -> bool {
    matches!(t.result.as_str(), "fail" | "fatal")
}

/// How each verdict counts (CDRouter counts `start` and `final` as tests).
pub fn breakdown<'a>(tests: impl IntoIterator<Item = &'a TestResult>) -> ResultBreakdown {
    let mut b = ResultBreakdown::default();
    for t in tests {
        match t.result.as_str() {
            "pass" => b.passed += 1,
            "fail" | "fatal" => b.failed += 1,
            "skipped" => b.skipped += 1,
            _ => {}
        }
        b.alerted += u64::from(t.alerts > 0);
    }
    b
}

/// Names with their counts, most first, then by name; the first `TOP` when `top`.
fn ranked(counts: std::collections::HashMap<&str, u64>, top: bool) -> Vec<TestCount> {
    let mut v: Vec<TestCount> = counts
        .into_iter()
        .map(|(name, count)| TestCount {
            name: name.to_string(),
            count,
        })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    if top {
        v.truncate(TOP);
    }
    v
}

/// `?stats=set` over the tests of a set of results.
pub fn set_stats(tests: &[TestResult]) -> SetStats {
    let mut failures = std::collections::HashMap::new();
    let mut time = TimeBreakdown::default();
    for t in tests {
        if failed(t) {
            *failures.entry(t.name.as_str()).or_default() += 1;
            time.failed += t.duration;
        } else if t.result == "pass" {
            time.passed += t.duration;
        }
    }
    let mut longest: Vec<&TestResult> = tests.iter().collect();
    longest.sort_by(|a, b| b.duration.cmp(&a.duration).then_with(|| a.seq.cmp(&b.seq)));
    SetStats {
        frequent_failures: ranked(failures, true),
        longest_tests: longest
            .into_iter()
            .take(TOP)
            .map(|t| TestDuration {
                name: t.name.clone(),
                duration: t.duration,
            })
            .collect(),
        result_breakdown: breakdown(tests),
        time_breakdown: time,
    }
}

/// `?stats=diff`: each test of the results (`start` and `final` left out), in the order it
/// first ran, with its record in each result in `order` (a result asked for twice shows
/// twice). `tests` holds each result's tests in `seq` order.
pub fn diff_stats(order: &[Id], tests: &[TestResult]) -> DiffStats {
    let mut out: Vec<TestResultDiff> = Vec::new();
    let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for id in order {
        for t in tests.iter().filter(|t| t.id == *id && !is_bookend(t)) {
            let at = *index.entry(t.name.as_str()).or_insert_with(|| {
                out.push(TestResultDiff {
                    name: t.name.clone(),
                    summaries: Vec::new(),
                });
                out.len() - 1
            });
            out[at].summaries.push(TestResultSummary {
                id: t.id,
                seq: t.seq,
                result: t.result.clone(),
                alerts: t.alerts,
                duration: t.duration,
                flagged: t.flagged,
                name: t.name.clone(),
                description: t.description.clone(),
            });
        }
    }
    DiffStats { tests: out }
}

/// `GET results/{id}/?stats=all`: the result's tests (`start` and `final` left out) that
/// failed at least once and those that passed every time they ran.
pub fn single_stats(tests: &[TestResult], progress: RunProgress) -> SingleStats {
    let mut fails = std::collections::HashMap::new();
    let mut passes = std::collections::HashMap::new();
    for t in tests.iter().filter(|t| !is_bookend(t)) {
        if failed(t) {
            *fails.entry(t.name.as_str()).or_default() += 1;
        } else if t.result == "pass" {
            *passes.entry(t.name.as_str()).or_default() += 1;
        }
    }
    passes.retain(|name, _| !fails.contains_key(name));
    SingleStats {
        result_breakdown: TestResultBreakdown {
            failed_at_least_once: ranked(fails, false),
            passed_every_time: ranked(passes, false),
        },
        progress,
    }
}

/// `GET results/{id}/?stats=summary`.
pub fn summary_stats(tests: Vec<TestResult>) -> SummaryStats {
    SummaryStats {
        result_breakdown: breakdown(&tests),
        test_summaries: tests,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The run in fixtures/cdrouter-exports/20220821222306-fail.gz, as CDRouter recorded it.
    fn fixture_run(id: u64) -> Vec<TestResult> {
        [
            (1, "start", "pass", 53),
            (2, "cdrouter_app_14", "fail", 121),
            (3, "dns_45", "pass", 52),
            (4, "final", "pass", 3),
        ]
        .into_iter()
        .map(|(seq, name, result, duration)| TestResult {
            id: Id(id),
            seq: Id(seq),
            name: name.into(),
            description: format!("Verify {name}"),
            result: result.into(),
            duration,
            ..TestResult::default()
        })
        .collect()
    }

    #[test]
    fn set_stats_are_what_cdrouter_answers_for_the_fixture_run() {
        // cdrouter.py's tests/test_results.py::test_set_stats, against a real CDRouter.
        let s = set_stats(&fixture_run(20220821222306));
        assert_eq!(
            s.frequent_failures,
            [TestCount {
                name: "cdrouter_app_14".into(),
                count: 1
            }]
        );
        assert_eq!(s.longest_tests.len(), 4);
        assert_eq!(
            (
                s.longest_tests[0].name.as_str(),
                s.longest_tests[0].duration
            ),
            ("cdrouter_app_14", 121)
        );
        assert_eq!(
            s.result_breakdown,
            ResultBreakdown {
                passed: 3,
                failed: 1,
                skipped: 0,
                alerted: 0
            }
        );
        assert_eq!(
            s.time_breakdown,
            TimeBreakdown {
                passed: 108,
                failed: 121
            }
        );
    }

    #[test]
    fn diff_stats_pair_each_test_across_the_results_asked_for() {
        // test_diff_stats: the same result twice gives two tests, each summarised twice.
        let run = fixture_run(20220821222306);
        let d = diff_stats(&[Id(20220821222306), Id(20220821222306)], &run);
        assert_eq!(d.tests.len(), 2);
        assert_eq!(d.tests[0].name, "cdrouter_app_14");
        assert_eq!(d.tests[0].summaries.len(), 2);
        let s = &d.tests[0].summaries[0];
        assert_eq!(
            (s.id, s.seq, s.result.as_str(), s.duration),
            (Id(20220821222306), Id(2), "fail", 121)
        );
        // A test only one result ran has only that result's summary.
        let mut other = fixture_run(7);
        other[2].name = "dhcp_1".into();
        let mut both = run.clone();
        both.extend(other);
        let d = diff_stats(&[Id(20220821222306), Id(7)], &both);
        let names: Vec<_> = d
            .tests
            .iter()
            .map(|t| (t.name.as_str(), t.summaries.len()))
            .collect();
        assert_eq!(
            names,
            [("cdrouter_app_14", 2), ("dns_45", 1), ("dhcp_1", 1)]
        );
    }

    #[test]
    fn single_stats_split_failed_once_from_passed_every_time() {
        let mut run = fixture_run(1);
        // A loop: dns_45 passes again, cdrouter_app_14 passes the second time.
        run.push(TestResult {
            seq: Id(5),
            name: "cdrouter_app_14".into(),
            result: "pass".into(),
            ..run[1].clone()
        });
        run.push(TestResult {
            seq: Id(6),
            ..run[2].clone()
        });
        let s = single_stats(&run, RunProgress::of(4, 4));
        let b = s.result_breakdown;
        assert_eq!(
            b.failed_at_least_once,
            [TestCount {
                name: "cdrouter_app_14".into(),
                count: 1
            }]
        );
        assert_eq!(
            b.passed_every_time,
            [TestCount {
                name: "dns_45".into(),
                count: 2
            }]
        );
        assert_eq!(s.progress.progress, 100);
    }
}
