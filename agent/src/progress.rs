//! Live progress from cdrouter-cli's output: a test is done when its verdict line goes by
//! (`PASS: Test dns_45 (490) passed`, `FAIL: Test cdrouter_app_14 (183) failed`; see
//! `labrelay_api::cdrouter::parse_verdict`). The many assertion lines inside a test
//! (`PASS: WAN side IP address is NAT address ...`) are not verdicts and are not counted.

use labrelay_api::agents::{Progress, Summary};
pub use labrelay_api::cdrouter::Verdict;

/// The verdict and test name of a verdict line, if `line` is one.
pub fn parse_line(line: &str) -> Option<(Verdict, &str)> {
    labrelay_api::cdrouter::parse_verdict(line).map(|v| (v.verdict, v.name))
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
    fn only_test_verdict_lines_count() {
        for (line, want) in [
            (
                "2022-08-21 22:26:57.422 PASS: Test dns_45 (490) passed",
                Some((Verdict::Pass, "dns_45")),
            ),
            (
                "2022-08-21 22:26:46.684 FAIL: Test cdrouter_app_14 (183) failed",
                Some((Verdict::Fail, "cdrouter_app_14")),
            ),
            (
                "2022-07-21 17:52:24.310 PASS: Test perf_5.24 (3886) passed",
                Some((Verdict::Pass, "perf_5.24")),
            ),
        ] {
            assert_eq!(parse_line(line), want, "{line}");
        }
        for line in [
            "",
            "2022-08-21 22:24:45.344 PASS: WAN side IP address is NAT address 192.168.1.2",
            "2022-08-21 22:26:46.454 FAIL: Inbound FTP data connection succeeded",
            "2022-07-21 17:30:08.567 FAIL: lan.5: not associated",
            "2022-08-21 22:26:57.422 INFO(cdrouter-490): Test dns_45 (490) passed",
            "PASS: cdrouter_basic_1",
            "Test cdrouter-490: Verify DNS failover",
        ] {
            assert_eq!(parse_line(line), None, "{line:?}");
        }
    }

    #[test]
    fn the_tally_counts_verdicts_and_never_overshoots() {
        let mut t = Tally::new(2);
        for line in [
            "2022-08-21 22:24:45.344 PASS: WAN side IP address is NAT address 192.168.1.2",
            "2022-08-21 22:26:46.684 FAIL: Test cdrouter_app_14 (183) failed",
            "2022-08-21 22:26:57.422 PASS: Test dns_45 (490) passed",
            "noise",
            "2022-08-21 22:26:58.422 PASS: Test dns_45.2 (490) passed",
        ] {
            t.observe(line);
        }
        let p = t.progress();
        assert_eq!((p.done, p.total, p.passed, p.failed), (3, 3, 2, 1));
        let s = t.summary();
        assert_eq!((s.tests, s.passed, s.failed), (3, 2, 1));
    }

    #[test]
    fn a_real_run_counts_one_verdict_per_test() {
        let bundles =
            labrelay_export::Bundle::read_dir(&labrelay_export::fixtures_dir()).expect("fixtures");
        let (_, b) = bundles
            .iter()
            .find(|(n, _)| n.ends_with("-repeats-unfinished"))
            .expect("the repeated run");
        let dir = &b.results[0];
        let mut t = Tally::new(0);
        for (name, bytes) in &dir.files {
            if name.ends_with(".txt") {
                for line in String::from_utf8_lossy(bytes).lines() {
                    t.observe(line);
                }
            }
        }
        // CDRouter's own record of this run: 120 passed, 2 failed (and one cut off).
        let s = t.summary();
        assert_eq!((s.tests, s.passed, s.failed), (122, 120, 2));
    }
}
