//! The synopsis at the end of `final.txt`, in the exact layout real CDRouter writes (see
//! `fixtures/cdrouter-exports/*/final.txt`; `labrelay_api::cdrouter::parse_synopsis` reads it
//! back and is tested on the real ones).

/// One test that ran: its CDRouter number, whether it passed, its description.
pub struct Ran {
    pub number: u64,
    pub passed: bool,
    pub description: String,
}

pub fn synopsis(ran: &[Ran], started: &str, stopped: &str, total_secs: u64) -> String {
    let mut s = String::from(
        "\n\nTest          Result Synopsis\n\
         -------------+------+-----------------------------------------------------------\n",
    );
    for r in ran {
        let verdict = if r.passed { "Pass" } else { "+FAIL" };
        s.push_str(&format!(
            "{:<13}{verdict:>7}| {}\n",
            format!("cdrouter-{}", r.number),
            r.description
        ));
    }
    let failures: Vec<&Ran> = ran.iter().filter(|r| !r.passed).collect();
    s.push_str(&format!(
        "\n{} test(s) run\n{} failure(s)\n\n",
        ran.len(),
        failures.len()
    ));
    for r in &failures {
        s.push_str(&format!("{:<6}+FAIL {}\n", r.number, r.description));
    }
    if !failures.is_empty() {
        s.push('\n');
    }
    s.push_str(&format!(
        "--- end of test run ---\nTest run started at {started}\nTest run stopped at {stopped}, total time {:02}:{:02}:{:02}\n\n\n",
        total_secs / 3600,
        (total_secs / 60) % 60,
        total_secs % 60
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_as_the_real_synopsis() {
        let text = synopsis(
            &[
                Ran {
                    number: 183,
                    passed: false,
                    description:
                        "Verify router closes public ports opened with the FTP PORT command".into(),
                },
                Ran {
                    number: 490,
                    passed: true,
                    description: "Verify DNS failover".into(),
                },
            ],
            "Sun Aug 21 22:23:12 EDT 2022",
            "Sun Aug 21 22:27:03 EDT 2022",
            231,
        );
        assert!(
            text.contains("cdrouter-183   +FAIL| Verify router closes"),
            "{text}"
        );
        assert!(
            text.contains("cdrouter-490    Pass| Verify DNS failover"),
            "{text}"
        );
        assert!(text.contains("183   +FAIL Verify router closes"), "{text}");
        let s = labrelay_api::cdrouter::parse_synopsis(&text).expect("a synopsis");
        assert_eq!(s.rows.len(), 2);
        assert_eq!((s.tests_run, s.failures), (Some(2), Some(1)));
        assert_eq!(s.total_time.as_deref(), Some("00:03:51"));
    }
}
