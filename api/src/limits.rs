//! How big any one thing a request stores may be, and which values may never reach the lab
//! machine. One place, so the store, the agent and the app agree; every bound is far above
//! what real CDRouter data needs (the real exports: configs ~100 KB, names < 80 characters,
//! test lists of a few hundred) and far below what would let one request make the store do
//! unbounded work.

use crate::interfaces::{Testvar, TestvarAction};
use crate::jobs::{JobInput, JobOptionsInput};
use crate::resources::{ConfigInput, DeviceInput, PackageInput};

pub const MAX_NAME: usize = 200;
pub const MAX_DESCRIPTION: usize = 2_000;
pub const MAX_NOTE: usize = 10_000;
pub const MAX_TAGS: usize = 100;
pub const MAX_TAG: usize = 200;
/// Tests in a package's list (CDRouter's whole catalogue is a few thousand).
pub const MAX_TESTLIST: usize = 10_000;
pub const MAX_TEST_NAME: usize = 200;
/// A config's text (real ones: ~100 KB).
pub const MAX_CONFIG_BYTES: usize = 512 << 10;
/// Lines of a config (real ones: ~3,000).
pub const MAX_CONFIG_LINES: usize = 50_000;
pub const MAX_EXTRA_CLI_ARGS: usize = 4_096;
/// Testvar overrides of one job.
pub const MAX_TESTVARS: usize = 200;
pub const MAX_TESTVAR_NAME: usize = 128;
pub const MAX_TESTVAR_VALUE: usize = 2_048;
/// Jobs one bulk request may launch or delete.
pub const MAX_BULK: usize = 1_000;

/// cdrouter-cli flags the agent sets itself: a job's extra arguments may not set them (the
/// run would read another config, write elsewhere, or run other tests than the server
/// dispatched and reserved interfaces for).
pub const OWNED_FLAGS: &[&str] = &["config", "logdir", "execute", "testpath"];

fn text(field: &str, v: &Option<String>, max: usize) -> Result<(), String> {
    match v {
        Some(s) if s.len() > max => Err(format!("{field} is at most {max} bytes")),
        Some(s) if s.chars().any(|c| c == '\0') => Err(format!("{field} may not hold NUL")),
        _ => Ok(()),
    }
}

fn tags(v: &Option<Vec<String>>) -> Result<(), String> {
    match v {
        Some(t) if t.len() > MAX_TAGS => Err(format!("at most {MAX_TAGS} tags")),
        Some(t) if t.iter().any(|x| x.len() > MAX_TAG) => {
            Err(format!("a tag is at most {MAX_TAG} bytes"))
        }
        _ => Ok(()),
    }
}

fn single_line(field: &str, v: &Option<String>, max: usize) -> Result<(), String> {
    text(field, v, max)?;
    match v {
        Some(s) if s.chars().any(char::is_control) => {
            Err(format!("{field} may not hold control characters"))
        }
        _ => Ok(()),
    }
}

/// The first flag of `args` (split as a shell would) the agent owns, if any.
pub fn owned_flag(args: &str) -> Option<String> {
    let words = shell_words::split(args).ok()?;
    words.into_iter().find(|w| {
        let flag = w.trim_start_matches('-');
        let flag = flag.split_once('=').map_or(flag, |(f, _)| f);
        w.starts_with('-') && OWNED_FLAGS.contains(&flag.to_ascii_lowercase().as_str())
    })
}

/// Extra cdrouter-cli arguments: bounded, and none of the agent's own flags.
pub fn check_extra_cli_args(v: &str) -> Result<(), String> {
    if v.len() > MAX_EXTRA_CLI_ARGS {
        return Err(format!(
            "extra_cli_args is at most {MAX_EXTRA_CLI_ARGS} bytes"
        ));
    }
    if v.chars().any(|c| c == '\0' || c == '\n' || c == '\r') {
        return Err("extra_cli_args may not hold NUL or line breaks".into());
    }
    match owned_flag(v) {
        Some(flag) => Err(format!(
            "extra_cli_args cannot set {flag}: the agent sets -config, -logdir, -execute and -testpath itself"
        )),
        None => Ok(()),
    }
}

/// A testvar name or group as a CDRouter config spells them: letters, digits, `_`, `.`, `-`.
/// Anything else (a newline, a brace, a space) would change the config's structure when the
/// agent writes it.
fn config_word(field: &str, s: &str, allow_empty: bool) -> Result<(), String> {
    if s.is_empty() {
        return if allow_empty {
            Ok(())
        } else {
            Err(format!("{field} is required"))
        };
    }
    if s.len() > MAX_TESTVAR_NAME {
        return Err(format!("{field} is at most {MAX_TESTVAR_NAME} bytes"));
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
    {
        return Err(format!(
            "{field} \"{}\" may hold only letters, digits, '_', '.' and '-'",
            s.escape_debug()
        ));
    }
    Ok(())
}

/// One testvar override, as the server accepts it and the agent checks it again.
pub fn check_testvar(tv: &Testvar) -> Result<(), String> {
    config_word("testvar group", &tv.group, true)?;
    let name_needed = matches!(
        tv.action,
        TestvarAction::SetTestvar | TestvarAction::DeleteTestvar
    );
    config_word("testvar name", &tv.name, !name_needed)?;
    if matches!(
        tv.action,
        TestvarAction::CreateGroup | TestvarAction::DeleteGroup
    ) && (tv.group.is_empty() || tv.group == "main")
    {
        return Err("create-group and delete-group need a group".into());
    }
    if tv.value.len() > MAX_TESTVAR_VALUE {
        return Err(format!(
            "a testvar value is at most {MAX_TESTVAR_VALUE} bytes"
        ));
    }
    if tv.value.chars().any(char::is_control) {
        return Err("a testvar value may not hold control characters or line breaks".into());
    }
    Ok(())
}

pub fn check_testvars(tvs: &[Testvar]) -> Result<(), String> {
    if tvs.len() > MAX_TESTVARS {
        return Err(format!("at most {MAX_TESTVARS} testvars"));
    }
    for (i, tv) in tvs.iter().enumerate() {
        check_testvar(tv).map_err(|e| format!("options.testvars[{i}]: {e}"))?;
    }
    Ok(())
}

pub fn check_job_options(o: &JobOptionsInput) -> Result<(), String> {
    tags(&o.tags)?;
    if let Some(l) = &o.skip_tests {
        if l.len() > MAX_TESTLIST || l.iter().any(|t| t.len() > MAX_TEST_NAME) {
            return Err("skip_tests: too many or too long".into());
        }
    }
    single_line("options.begin_at", &o.begin_at, MAX_TEST_NAME)?;
    single_line("options.end_at", &o.end_at, MAX_TEST_NAME)?;
    if let Some(a) = &o.extra_cli_args {
        check_extra_cli_args(a)?;
    }
    if let Some(t) = &o.testvars {
        check_testvars(t)?;
    }
    Ok(())
}

pub fn check_job(j: &JobInput) -> Result<(), String> {
    if j.priority.is_some_and(|p| p > crate::queue::MAX_PRIORITY) {
        return Err(format!("priority is 0 to {}", crate::queue::MAX_PRIORITY));
    }
    match &j.options {
        Some(o) => check_job_options(o),
        None => Ok(()),
    }
}

/// A package's test list: bounded, each name one word (the agent writes one a line into the
/// run's `testlist.log`, and checks the list again before it does).
pub fn check_testlist(l: &[String]) -> Result<(), String> {
    if l.len() > MAX_TESTLIST {
        return Err(format!("testlist holds at most {MAX_TESTLIST} tests"));
    }
    for t in l {
        if t.is_empty()
            || t.len() > MAX_TEST_NAME
            || t.chars().any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(format!(
                "testlist: \"{}\" is not a test name",
                t.escape_debug()
            ));
        }
    }
    Ok(())
}

pub fn check_package(p: &PackageInput) -> Result<(), String> {
    if p.priority.is_some_and(|v| v > crate::queue::MAX_PRIORITY) {
        return Err(format!("priority is 0 to {}", crate::queue::MAX_PRIORITY));
    }
    single_line("name", &p.name, MAX_NAME)?;
    text("description", &p.description, MAX_DESCRIPTION)?;
    text("note", &p.note, MAX_NOTE)?;
    tags(&p.tags)?;
    if let Some(l) = &p.testlist {
        check_testlist(l)?;
    }
    if let Some(a) = &p.extra_cli_args {
        check_extra_cli_args(a)?;
    }
    if let Some(s) = &p.schedule {
        if let Some(spec) = &s.spec {
            // An empty spec is "none yet"; a spec given is checked whether enabled or not.
            if !spec.trim().is_empty() {
                crate::cron::Spec::parse(spec).map_err(|e| e.to_string())?;
            }
        }
        if let Some(o) = &s.options {
            check_job_options(o)?;
        }
    }
    Ok(())
}

pub fn check_config(c: &ConfigInput) -> Result<(), String> {
    single_line("name", &c.name, MAX_NAME)?;
    text("description", &c.description, MAX_DESCRIPTION)?;
    text("note", &c.note, MAX_NOTE)?;
    tags(&c.tags)?;
    if let Some(t) = &c.contents {
        check_config_contents(t)?;
    }
    Ok(())
}

/// A config's text: bounded in bytes and lines, no NUL. The agent checks the text it is
/// about to hand cdrouter-cli with it too.
pub fn check_config_contents(t: &str) -> Result<(), String> {
    if t.len() > MAX_CONFIG_BYTES {
        return Err(format!("contents is at most {MAX_CONFIG_BYTES} bytes"));
    }
    if t.lines().count() > MAX_CONFIG_LINES {
        return Err(format!("contents is at most {MAX_CONFIG_LINES} lines"));
    }
    if t.contains('\0') {
        return Err("contents may not hold NUL".into());
    }
    Ok(())
}

pub fn check_device(d: &DeviceInput) -> Result<(), String> {
    if d.health_every_hours
        .is_some_and(|h| h > crate::device_state::MAX_HEALTH_EVERY_HOURS)
    {
        return Err(format!(
            "health_every_hours is 0 to {}",
            crate::device_state::MAX_HEALTH_EVERY_HOURS
        ));
    }
    text("state_note", &d.state_note, MAX_NOTE)?;
    single_line("name", &d.name, MAX_NAME)?;
    text("description", &d.description, MAX_DESCRIPTION)?;
    text("note", &d.note, MAX_NOTE)?;
    tags(&d.tags)?;
    for (field, v) in [
        ("manufacturer", &d.manufacturer),
        ("model_name", &d.model_name),
        ("serial_number", &d.serial_number),
        ("software_version", &d.software_version),
    ] {
        single_line(field, v, MAX_NAME)?;
    }
    Ok(())
}

pub fn check_user(u: &crate::users::UserInput) -> Result<(), String> {
    single_line("name", &u.name, MAX_NAME)?;
    text("description", &u.description, MAX_DESCRIPTION)
}

/// A reservation: for 1 minute to a week, a short note.
pub fn check_reservation(r: &crate::reservations::ReservationInput) -> Result<(), String> {
    let max = crate::reservations::MAX_RESERVATION_MINUTES;
    if r.minutes.is_some_and(|m| m == 0 || m > max) {
        return Err(format!("minutes is 1 to {max} (a week)"));
    }
    single_line("note", &r.note, MAX_DESCRIPTION)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owned_flags_are_found_however_written() {
        for args in [
            "-config /x",
            "--config=/x",
            "-noclean -LOGDIR /tmp",
            "-execute 'a b'",
            "-testpath=/t",
        ] {
            assert!(check_extra_cli_args(args).is_err(), "{args}");
        }
        for args in ["-noclean", "-testvar a=b -trace", "'-configure-me'", ""] {
            assert!(check_extra_cli_args(args).is_ok(), "{args}");
        }
        assert!(check_extra_cli_args("-x\n-config y").is_err());
    }

    #[test]
    fn testvars_cannot_change_a_configs_structure() {
        let tv = |group: &str, name: &str, value: &str, action| Testvar {
            group: group.into(),
            name: name.into(),
            value: value.into(),
            action,
        };
        use TestvarAction::*;
        assert!(check_testvar(&tv("", "lanInterface", "eth1", SetTestvar)).is_ok());
        assert!(check_testvar(&tv("lan2", "lanInterface", "eth3", SetTestvar)).is_ok());
        assert!(check_testvar(&tv("g1", "", "", CreateGroup)).is_ok());
        for bad in [
            tv("a}\ntestvar_group evil {", "x", "1", SetTestvar),
            tv("", "lan Interface", "eth1", SetTestvar),
            tv(
                "",
                "lanInterface",
                "eth1\ntestvar wanInterface eth9",
                SetTestvar,
            ),
            tv("", "", "x", SetTestvar),
            tv("main", "", "", DeleteGroup),
            tv("{", "", "", CreateGroup),
        ] {
            assert!(check_testvar(&bad).is_err(), "{bad:?}");
        }
    }
}
