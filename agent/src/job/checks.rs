//! What the server sent is checked again before any of it reaches cdrouter-cli, by the
//! server's own rules (`labrelay_api::limits`): a test list that writes one test a line, testvar
//! names and groups that cannot change a config's structure, extra arguments that leave the
//! agent's own flags alone (`-config`, `-logdir`, `-execute`, `-testpath`), a bounded config.
//! A server that was bypassed, outdated or compromised gets its job refused, not run.

use labrelay_api::agents::Claim;
use labrelay_api::limits;

/// Why the job may not run, in words for its finish.
pub fn check_claim(claim: &Claim) -> Result<(), String> {
    limits::check_testlist(&claim.testlist)?;
    limits::check_testvars(&claim.job.options.testvars)?;
    limits::check_extra_cli_args(&claim.package_extra_cli_args)
        .map_err(|e| format!("the package's {e}"))?;
    limits::check_extra_cli_args(&claim.job.options.extra_cli_args)
        .map_err(|e| format!("the job's {e}"))?;
    limits::check_config_contents(&claim.config).map_err(|e| format!("config {e}"))
}

/// The config as the agent writes it, with the job's group edits: the same rule.
pub fn check_written_config(text: &str) -> Result<(), String> {
    limits::check_config_contents(text).map_err(|e| format!("the edited config's {e}"))
}

#[cfg(test)]
mod tests {
    use super::super::fixture;
    use super::*;
    use labrelay_api::interfaces::{Testvar, TestvarAction};

    fn claim() -> Claim {
        fixture::claim(
            &["cdrouter_basic_1", "dns_45"],
            "-noclean",
            "testvar lanInterface eth1\n",
        )
    }

    fn testvar(group: &str, name: &str, value: &str) -> Testvar {
        Testvar {
            group: group.into(),
            name: name.into(),
            value: value.into(),
            action: TestvarAction::SetTestvar,
        }
    }

    #[test]
    fn a_sound_claim_passes() {
        let mut c = claim();
        c.job.options.testvars = vec![testvar("lan2", "lanInterface", "eth3")];
        c.job.options.extra_cli_args = "-testvar wanMode=static -trace".into();
        assert_eq!(check_claim(&c), Ok(()));
    }

    #[test]
    fn what_the_server_would_refuse_is_refused_here_too() {
        type Spoil = Box<dyn Fn(&mut Claim)>;
        let cases: Vec<(Spoil, &str)> = vec![
            (
                Box::new(|c| {
                    c.job.options.testvars = vec![testvar("a}\ntestvar_group evil {", "x", "1")]
                }),
                "testvar group",
            ),
            (
                Box::new(|c| c.job.options.testvars = vec![testvar("", "lan Interface", "x")]),
                "testvar name",
            ),
            (
                Box::new(|c| {
                    c.job.options.testvars = vec![testvar(
                        "",
                        "lanInterface",
                        "eth1\ntestvar wanInterface eth9",
                    )]
                }),
                "line breaks",
            ),
            (
                Box::new(|c| c.job.options.extra_cli_args = "-trace -logdir /tmp/x".into()),
                "the job's extra_cli_args cannot set -logdir",
            ),
            (
                Box::new(|c| c.package_extra_cli_args = "--config=/etc/other.conf".into()),
                "the package's extra_cli_args cannot set --config=/etc/other.conf",
            ),
            (
                Box::new(|c| c.job.options.extra_cli_args = "-EXECUTE all".into()),
                "cannot set -EXECUTE",
            ),
            (
                Box::new(|c| c.testlist.push("dns_1\ncdrouter_evil_1".into())),
                "is not a test name",
            ),
            (
                Box::new(|c| c.config.push('\0')),
                "config contents may not hold NUL",
            ),
            (
                Box::new(|c| c.config = "x".repeat(limits::MAX_CONFIG_BYTES + 1)),
                "config contents is at most",
            ),
        ];
        for (spoil, says) in cases {
            let mut c = claim();
            spoil(&mut c);
            let err = check_claim(&c).expect_err(says);
            assert!(err.contains(says), "{err:?} should say {says:?}");
        }
    }

    #[test]
    fn the_written_config_is_bounded_too() {
        assert!(check_written_config("testvar a b\n").is_ok());
        let err = check_written_config(&"#\n".repeat(limits::MAX_CONFIG_LINES + 1))
            .expect_err("too many lines");
        assert!(err.contains("lines"), "{err}");
    }
}
