//! The launch form's state and the request bodies it becomes: one job (`POST /jobs/`), the
//! interface preview (same body), or the shared fields of a bulk launch.

use super::filters::split_list;
use labrelay_api::interfaces::{Testvar, TestvarAction};
use labrelay_api::jobs::{Job, JobInput, JobOptionsInput};
use labrelay_api::{Id, Timestamp};

#[derive(Clone, Debug, Default, PartialEq)]
pub struct LaunchForm {
    pub package_id: Id,
    /// `Id::NONE`: the package's own.
    pub device_id: Id,
    pub config_id: Id,
    /// As typed: `a, b`.
    pub tags: String,
    pub skip_tests: Vec<String>,
    pub begin_at: String,
    pub end_at: String,
    pub extra_cli_args: String,
    pub testvars: Vec<Testvar>,
    /// Empty: now. Otherwise a `datetime-local` value (`2026-05-02T14:30`), local time.
    pub run_at: String,
    /// As typed; empty: the package's.
    pub priority: String,
}

/// A priority as typed: empty is "not said" (`None`); otherwise 0-100.
pub fn parse_priority(s: &str) -> Result<Option<u8>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<u8>() {
        Ok(n) if n <= labrelay_api::queue::MAX_PRIORITY => Ok(Some(n)),
        _ => Err("Priority: a whole number from 0 to 100.".to_string()),
    }
}

/// A testvar row with nothing typed in it: left out of the request.
fn blank(tv: &Testvar) -> bool {
    tv.group.trim().is_empty() && tv.name.trim().is_empty() && tv.value.trim().is_empty()
}

impl LaunchForm {
    /// "Launch again": the same package, device, config and options, to run now.
    pub fn from_job(job: &Job) -> LaunchForm {
        LaunchForm {
            package_id: job.package_id,
            device_id: job.device_id,
            config_id: job.config_id,
            tags: job.options.tags.join(", "),
            skip_tests: job.options.skip_tests.clone(),
            begin_at: job.options.begin_at.clone(),
            end_at: job.options.end_at.clone(),
            extra_cli_args: job.options.extra_cli_args.clone(),
            testvars: job.options.testvars.clone(),
            run_at: String::new(),
            priority: job.priority.to_string(),
        }
    }

    /// Whether the run time is valid datetime-local syntax (or empty).
    pub fn run_at_is_valid(&self) -> bool {
        let s = self.run_at.trim();
        s.is_empty() || looks_like_local_datetime(s)
    }

    fn check_testvars(&self) -> Result<Vec<Testvar>, String> {
        let mut out = Vec::new();
        for (i, tv) in self.testvars.iter().filter(|tv| !blank(tv)).enumerate() {
            let row = i + 1;
            let needs_name = matches!(
                tv.action,
                TestvarAction::SetTestvar | TestvarAction::DeleteTestvar
            );
            if needs_name && tv.name.trim().is_empty() {
                return Err(format!("Testvar row {row}: give the testvar a name."));
            }
            if !needs_name && tv.group.trim().is_empty() {
                return Err(format!("Testvar row {row}: give the group a name."));
            }
            out.push(Testvar {
                group: tv.group.trim().to_string(),
                name: tv.name.trim().to_string(),
                value: tv.value.clone(),
                action: tv.action,
            });
        }
        Ok(out)
    }

    fn options(&self) -> Result<JobOptionsInput, String> {
        Ok(JobOptionsInput {
            tags: Some(split_list(&self.tags)),
            skip_tests: Some(self.skip_tests.clone()),
            begin_at: Some(self.begin_at.clone()),
            end_at: Some(self.end_at.clone()),
            extra_cli_args: Some(self.extra_cli_args.trim().to_string()),
            testvars: Some(self.check_testvars()?),
        })
    }

    /// The body for one package. `run_at` is the form's time already converted by the
    /// browser (`None` = now).
    pub fn to_input(&self, run_at: Option<Timestamp>) -> Result<JobInput, String> {
        if self.package_id.is_none() {
            return Err("Pick a package to launch.".to_string());
        }
        Ok(JobInput {
            package_id: Some(self.package_id),
            ..self.shared_fields(run_at)?
        })
    }

    /// The `fields` of a bulk launch: everything but the package.
    pub fn shared_fields(&self, run_at: Option<Timestamp>) -> Result<JobInput, String> {
        if !self.run_at_is_valid() {
            return Err("Run at: pick a date and a time, or run now.".to_string());
        }
        Ok(JobInput {
            package_id: None,
            device_id: Some(self.device_id),
            config_id: Some(self.config_id),
            run_at,
            options: Some(self.options()?),
            priority: parse_priority(&self.priority)?,
        })
    }

    /// A new package's testlist makes skips and begin/end points that it lacks meaningless.
    pub fn keep_tests_in(&mut self, testlist: &[String]) {
        self.skip_tests.retain(|t| testlist.contains(t));
        if !testlist.contains(&self.begin_at) {
            self.begin_at.clear();
        }
        if !testlist.contains(&self.end_at) {
            self.end_at.clear();
        }
    }
}

/// `YYYY-MM-DDTHH:MM` with optional `:SS` (what `<input type=datetime-local>` gives).
pub fn looks_like_local_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    (b.len() == 16 || b.len() == 19)
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && (b.len() == 16 || (b[16] == b':' && digits(17..19)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> LaunchForm {
        LaunchForm {
            package_id: Id(3),
            tags: "nightly, lab2 nightly".into(),
            extra_cli_args: " -testvar x=1 ".into(),
            ..LaunchForm::default()
        }
    }

    #[test]
    fn builds_the_launch_body() {
        let input = form().to_input(None).expect("valid");
        assert_eq!(input.package_id, Some(Id(3)));
        assert_eq!(input.device_id, Some(Id::NONE));
        let opts = input.options.expect("options");
        assert_eq!(opts.tags, Some(vec!["nightly".into(), "lab2".into()]));
        assert_eq!(opts.extra_cli_args.as_deref(), Some("-testvar x=1"));
        let json = serde_json::to_value(JobInput {
            options: None,
            ..form().to_input(Some(Timestamp(0))).expect("valid")
        })
        .expect("json");
        assert_eq!(json["package_id"], "3");
        assert_eq!(json["run_at"], "1970-01-01T00:00:00.000000000Z");
    }

    #[test]
    fn needs_a_package_and_a_valid_time() {
        let mut f = form();
        f.package_id = Id::NONE;
        assert_eq!(
            f.to_input(None).expect_err("the form is incomplete"),
            "Pick a package to launch."
        );
        assert!(f.shared_fields(None).is_ok());
        f.run_at = "tomorrow".into();
        assert!(f.shared_fields(None).is_err());
        f.run_at = "2026-05-02T14:30".into();
        assert!(f.run_at_is_valid());
        f.run_at = "2026-05-02T14:30:15".into();
        assert!(f.run_at_is_valid());
    }

    #[test]
    fn testvar_rows_are_checked_and_blank_ones_dropped() {
        let mut f = form();
        f.testvars = vec![
            Testvar::default(),
            Testvar {
                name: " lanInterface ".into(),
                value: "eth3".into(),
                ..Testvar::default()
            },
        ];
        let tvs = f
            .to_input(None)
            .expect("valid")
            .options
            .expect("o")
            .testvars;
        assert_eq!(tvs.map(|t| t.len()), Some(1));
        f.testvars.push(Testvar {
            value: "x".into(),
            ..Testvar::default()
        });
        assert_eq!(
            f.to_input(None).expect_err("the form is incomplete"),
            "Testvar row 2: give the testvar a name."
        );
        f.testvars.pop();
        f.testvars.push(Testvar {
            action: TestvarAction::DeleteGroup,
            name: "x".into(),
            ..Testvar::default()
        });
        assert_eq!(
            f.to_input(None).expect_err("the form is incomplete"),
            "Testvar row 2: give the group a name."
        );
    }

    #[test]
    fn keeps_only_tests_of_the_new_testlist() {
        let mut f = form();
        f.skip_tests = vec!["a".into(), "b".into()];
        f.begin_at = "b".into();
        f.end_at = "z".into();
        f.keep_tests_in(&["b".into(), "c".into()]);
        assert_eq!(f.skip_tests, ["b"]);
        assert_eq!(f.begin_at, "b");
        assert_eq!(f.end_at, "");
    }

    #[test]
    fn datetime_local_syntax() {
        assert!(looks_like_local_datetime("2026-01-02T03:04"));
        assert!(!looks_like_local_datetime("2026-01-02 03:04"));
        assert!(!looks_like_local_datetime("2026-01-02T03:04Z"));
        assert!(!looks_like_local_datetime(""));
    }
}
