//! The cdrouter-cli command line of a job, and the config file it reads.
//!
//! Testvars: `set-testvar` becomes `-testvar name=value` (`-testvar group.name=value` inside a
//! group; `main` is the top level). The other actions have no command-line form, so they
//! edit the config file the run reads: `delete-testvar` removes the testvar's line (CDRouter
//! then uses its default, as `-testvar name=` could not: that would set it empty),
//! `delete-group` removes the `testvar_group` block and `create-group` adds an empty one.

use super::JobError;
use crate::config::RunSettings;
use labrelay_api::agents::Claim;
use labrelay_api::interfaces::{Testvar, TestvarAction};
use std::path::Path;
/// `config_name` made safe as a file name, ending in `.conf`.
pub fn config_file_name(config_name: &str) -> String {
    let mut name: String = config_name
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    name = name.trim_start_matches('.').to_string();
    if let Some(stem) = name.strip_suffix(".conf") {
        name = stem.to_string();
    }
    if name.is_empty() {
        name = "config".into();
    }
    format!("{name}.conf")
}

fn is_top_level(group: &str) -> bool {
    group.is_empty() || group == "main"
}

/// The `-testvar` arguments of the job's `set-testvar` entries, in order.
pub fn testvar_args(testvars: &[Testvar]) -> Vec<String> {
    let mut args = Vec::new();
    for tv in testvars {
        if tv.action != TestvarAction::SetTestvar || tv.name.is_empty() {
            continue;
        }
        args.push("-testvar".to_string());
        if is_top_level(&tv.group) {
            args.push(format!("{}={}", tv.name, tv.value));
        } else {
            args.push(format!("{}.{}={}", tv.group, tv.name, tv.value));
        }
    }
    args
}

/// The config text with the job's delete-testvar, delete-group and create-group applied.
pub fn edit_config(config: &str, testvars: &[Testvar]) -> String {
    let mut text = config.to_string();
    for tv in testvars {
        let group = if is_top_level(&tv.group) {
            ""
        } else {
            tv.group.as_str()
        };
        match tv.action {
            TestvarAction::SetTestvar => {}
            TestvarAction::DeleteTestvar => text = remove_lines(&text, group, Some(&tv.name)),
            TestvarAction::DeleteGroup if !group.is_empty() => {
                text = remove_lines(&text, group, None)
            }
            TestvarAction::DeleteGroup => {}
            TestvarAction::CreateGroup => {
                if !group.is_empty() && !has_group(&text, group) {
                    if !text.is_empty() && !text.ends_with('\n') {
                        text.push('\n');
                    }
                    text.push_str(&format!("testvar_group {group} {{\n}}\n"));
                }
            }
        }
    }
    text
}

/// The group a `testvar_group <name> {` line opens.
fn opens_group(line: &str) -> Option<&str> {
    let mut words = line.split_whitespace();
    match (words.next(), words.next()) {
        (Some("testvar_group"), Some(name)) => Some(name.trim_end_matches('{')),
        _ => None,
    }
}

fn has_group(text: &str, group: &str) -> bool {
    text.lines().any(|l| opens_group(l.trim()) == Some(group))
}

/// Drops the lines of testvar `name` in `group` ("" = top level), or with `name` `None` the
/// whole `testvar_group` block.
fn remove_lines(text: &str, group: &str, name: Option<&str>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut current = String::new();
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        let drop = if let Some(g) = opens_group(trimmed) {
            current = g.to_string();
            name.is_none() && current == group
        } else if trimmed == "}" {
            let closing = name.is_none() && current == group;
            current.clear();
            closing
        } else if current == group {
            match name {
                None => true,
                Some(name) => {
                    let mut words = trimmed.split_whitespace();
                    words.next() == Some("testvar") && words.next() == Some(name)
                }
            }
        } else {
            false
        };
        if !drop {
            out.push_str(line);
        }
    }
    out
}

/// The full cdrouter-cli command line (without the program).
pub fn command_args(
    run: &RunSettings,
    claim: &Claim,
    dir: &Path,
    config_file: &Path,
) -> Result<Vec<String>, JobError> {
    let opts = &claim.job.options;
    let mut args = vec![
        "-execute".to_string(),
        format!("@{}", dir.join("testlist.log").display()),
        "-config".into(),
        config_file.display().to_string(),
        "-logdir".into(),
        dir.join(crate::outbox::RESULT_DIR).display().to_string(),
        "-testpath".into(),
        run.testpath.display().to_string(),
    ];
    args.extend(testvar_args(&opts.testvars));
    if !opts.begin_at.is_empty() {
        args.extend([run.flags.begin.clone(), opts.begin_at.clone()]);
    }
    if !opts.end_at.is_empty() {
        args.extend([run.flags.end.clone(), opts.end_at.clone()]);
    }
    for test in opts.skip_tests.iter().filter(|t| !t.is_empty()) {
        args.extend([run.flags.skip.clone(), test.clone()]);
    }
    for (what, extra) in [
        ("package extra_cli_args", &claim.package_extra_cli_args),
        ("job extra_cli_args", &opts.extra_cli_args),
    ] {
        let words = shell_words::split(extra).map_err(|e| JobError::CliArgs {
            what,
            message: format!("{e} in {extra:?}"),
        })?;
        args.extend(words);
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::super::fixture;
    use super::*;
    use crate::config::Flags;
    use labrelay_api::jobs::JobOptions;

    fn claim(options: JobOptions, package_args: &str) -> Claim {
        let mut claim = fixture::claim(&["a", "b"], package_args, "");
        claim.job.options = options;
        claim
    }

    fn tv(group: &str, name: &str, value: &str, action: TestvarAction) -> Testvar {
        Testvar {
            group: group.into(),
            name: name.into(),
            value: value.into(),
            action,
        }
    }

    /// Options of every kind, the extra arguments with quoted words.
    fn full_options() -> JobOptions {
        JobOptions {
            begin_at: "b1".into(),
            end_at: "e1".into(),
            skip_tests: vec!["s1".into(), "s 2".into()],
            extra_cli_args: r#"-testvar 'wanMode=DHCP client' -trace "two words""#.into(),
            testvars: vec![
                tv("", "lanIp", "192.168.1.1", TestvarAction::SetTestvar),
                tv("main", "wanMode", "static", TestvarAction::SetTestvar),
                tv("lan2", "lanInterface", "eth3", TestvarAction::SetTestvar),
                tv("", "gone", "", TestvarAction::DeleteTestvar),
                tv("g", "", "", TestvarAction::CreateGroup),
            ],
            ..JobOptions::default()
        }
    }

    #[test]
    fn the_command_line_has_files_testvars_flags_and_extra_args_in_order() {
        let options = full_options();
        let run = RunSettings {
            testpath: "/t".into(),
            flags: Flags {
                begin: "-begin".into(),
                end: "-end".into(),
                skip: "-skip".into(),
            },
            ..RunSettings::default()
        };
        let c = claim(options, "-noclean -testvar x=1");
        let args = command_args(
            &run,
            &c,
            Path::new("/w/job-42"),
            Path::new("/w/job-42/cfg.conf"),
        )
        .expect("args");
        assert_eq!(
            args,
            [
                "-execute",
                "@/w/job-42/testlist.log",
                "-config",
                "/w/job-42/cfg.conf",
                "-logdir",
                "/w/job-42/result",
                "-testpath",
                "/t",
                "-testvar",
                "lanIp=192.168.1.1",
                "-testvar",
                "wanMode=static",
                "-testvar",
                "lan2.lanInterface=eth3",
                "-begin",
                "b1",
                "-end",
                "e1",
                "-skip",
                "s1",
                "-skip",
                "s 2",
                "-noclean",
                "-testvar",
                "x=1",
                "-testvar",
                "wanMode=DHCP client",
                "-trace",
                "two words",
            ]
        );
    }

    #[test]
    fn empty_options_add_nothing() {
        let c = claim(JobOptions::default(), "  ");
        let args = command_args(
            &RunSettings::default(),
            &c,
            Path::new("/w"),
            Path::new("/w/c.conf"),
        )
        .expect("args");
        assert_eq!(args.len(), 8);
        assert_eq!(args[7], "/usr/cdrouter/tests");
    }

    #[test]
    fn unbalanced_quotes_in_extra_args_are_an_error() {
        let options = JobOptions {
            extra_cli_args: "-testvar 'open".into(),
            ..JobOptions::default()
        };
        let err = command_args(
            &RunSettings::default(),
            &claim(options, ""),
            Path::new("/w"),
            Path::new("/c"),
        )
        .expect_err("bad quoting");
        assert!(err.to_string().contains("job extra_cli_args"), "{err}");
        let err = command_args(
            &RunSettings::default(),
            &claim(JobOptions::default(), "\"x"),
            Path::new("/w"),
            Path::new("/c"),
        )
        .expect_err("bad quoting");
        assert!(err.to_string().contains("package extra_cli_args"), "{err}");
    }

    #[test]
    fn config_names_become_safe_file_names() {
        assert_eq!(config_file_name("lab 1/main"), "lab_1_main.conf");
        assert_eq!(config_file_name("basic.conf"), "basic.conf");
        assert_eq!(config_file_name("../../etc/passwd"), "_.._etc_passwd.conf");
        assert_eq!(config_file_name("..."), "config.conf");
        assert_eq!(config_file_name(""), "config.conf");
        assert_eq!(config_file_name("Ünï"), "_n_.conf");
    }

    #[test]
    fn delete_and_group_actions_edit_the_config() {
        let config = "testvar lanIp 1.1.1.1\n\
                      testvar wanMode DHCP\n\
                      testvar_group lan2 {\n  testvar lanIp 2.2.2.2\n  testvar wanMode x\n}\n\
                      testvar_group old {\n  testvar a b\n}\n";
        let edited = edit_config(
            config,
            &[
                tv("", "lanIp", "", TestvarAction::DeleteTestvar),
                tv("lan2", "wanMode", "", TestvarAction::DeleteTestvar),
                tv("old", "", "", TestvarAction::DeleteGroup),
                tv("new", "", "", TestvarAction::CreateGroup),
                tv("lan2", "", "", TestvarAction::CreateGroup),
                tv("", "ignored", "v", TestvarAction::SetTestvar),
            ],
        );
        assert_eq!(
            edited,
            "testvar wanMode DHCP\n\
             testvar_group lan2 {\n  testvar lanIp 2.2.2.2\n}\n\
             testvar_group new {\n}\n"
        );
    }
}
