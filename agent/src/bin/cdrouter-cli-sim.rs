//! cdrouter-cli-sim: a SIMULATOR of cdrouter-cli for tests and demos, never a real CDRouter.
//! The agent runs it only when `--cdrouter-cli` names it.
//!
//! Flags as cdrouter-cli: `-execute @FILE` (or `a,b,c`), `-config FILE`, `-logdir DIR`,
//! `-testpath DIR`, `-testvar NAME=VALUE` (repeatable), `-start TEST` (alias `-begin`),
//! `-stop TEST` (alias `-end`), `-skip TEST` (repeatable); other flags are ignored (with their
//! value, when the next word is not a flag).
//!
//! Output: a header, per test `Starting test NAME (i of n)` then `PASS: NAME` or `FAIL: NAME`
//! (after a time of day), then `Tests: N  Pass: P  Fail: F`. Writes `sim-result.json` into
//! the log directory. Exit 1 when a test failed, else 0; 2 on bad usage.
//!
//! Environment:
//! - `CDROUTER_SIM_TEST_MS`: time per test in milliseconds (default 200);
//! - `CDROUTER_SIM_FAIL`: comma-separated tests that fail;
//! - `CDROUTER_SIM_HANG=1`: after the first test, wait forever (SIGTERM still ends it);
//! - `CDROUTER_SIM_IGNORE_TERM=1`: ignore SIGTERM (only SIGKILL ends it);
//! - `CDROUTER_SIM_CRASH=1`: exit with status 139 after the first test;
//! - `CDROUTER_SIM_SPAWN_CHILD=1`: start a helper process in the same process group (it
//!   prints `helper pid N` and sleeps): for checking that stops reach the whole group.

use nix::sys::signal::{signal, SigHandler, Signal};
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Default, Debug)]
struct Args {
    execute: Option<String>,
    config: Option<PathBuf>,
    logdir: Option<PathBuf>,
    testpath: Option<PathBuf>,
    testvars: Vec<String>,
    start: Option<String>,
    stop: Option<String>,
    skip: Vec<String>,
}

fn parse_args(mut words: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut args = Args::default();
    let mut words = std::iter::from_fn(move || words.next()).peekable();
    while let Some(word) = words.next() {
        let flag = word.trim_start_matches('-');
        let known = [
            "execute", "config", "logdir", "testpath", "testvar", "start", "begin", "stop", "end",
            "skip",
        ];
        if !word.starts_with('-') || !known.contains(&flag) {
            // Unknown: skip it, and its value when it seems to have one.
            if word.starts_with('-') && words.peek().is_some_and(|w| !w.starts_with('-')) {
                words.next();
            }
            continue;
        }
        let value = words
            .next()
            .ok_or_else(|| format!("{word} needs a value"))?;
        match flag {
            "execute" => args.execute = Some(value),
            "config" => args.config = Some(value.into()),
            "logdir" => args.logdir = Some(value.into()),
            "testpath" => args.testpath = Some(value.into()),
            "testvar" => args.testvars.push(value),
            "start" | "begin" => args.start = Some(value),
            "stop" | "end" => args.stop = Some(value),
            _ => args.skip.push(value),
        }
    }
    Ok(args)
}

fn tests_of(execute: &str) -> Result<Vec<String>, String> {
    let list = match execute.strip_prefix('@') {
        Some(path) => {
            std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?
        }
        None => execute.replace(',', "\n"),
    };
    Ok(list
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect())
}

/// The tests to run: from `-start` through `-stop`, without the skipped ones.
fn select(all: &[String], args: &Args) -> Vec<String> {
    let begin = args
        .start
        .as_ref()
        .and_then(|s| all.iter().position(|t| t == s))
        .unwrap_or(0);
    let end = args
        .stop
        .as_ref()
        .and_then(|s| all.iter().position(|t| t == s))
        .filter(|&e| e >= begin)
        .map_or(all.len(), |e| e + 1);
    all[begin..end]
        .iter()
        .filter(|t| !args.skip.contains(t))
        .cloned()
        .collect()
}

fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}

fn clock() -> String {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let secs = ms / 1000;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        (secs / 3600) % 24,
        (secs / 60) % 60,
        secs % 60,
        ms % 1000
    )
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    // A closed pipe (the agent went away) must not panic the simulator.
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn main() {
    let mut words = std::env::args().skip(1).peekable();
    if words.peek().map(String::as_str) == Some("--sim-helper") {
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
    std::process::exit(run(words));
}

fn run(words: impl Iterator<Item = String>) -> i32 {
    if env_flag("CDROUTER_SIM_IGNORE_TERM") {
        // SAFETY: SIG_IGN installs no handler code; done before any thread starts.
        if let Err(e) = unsafe { signal(Signal::SIGTERM, SigHandler::SigIgn) } {
            eprintln!("cdrouter-cli-sim: cannot ignore SIGTERM: {e}");
        }
    }
    let args = match parse_args(words) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("cdrouter-cli-sim: {e}");
            return 2;
        }
    };
    let Some(execute) = args.execute.as_deref() else {
        eprintln!("cdrouter-cli-sim: -execute is required");
        return 2;
    };
    let all = match tests_of(execute) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("cdrouter-cli-sim: {e}");
            return 2;
        }
    };
    let tests = select(&all, &args);
    let per_test = Duration::from_millis(
        std::env::var("CDROUTER_SIM_TEST_MS")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(200),
    );
    let failing: Vec<String> = std::env::var("CDROUTER_SIM_FAIL")
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();

    say("CDRouter cli SIMULATOR (cdrouter-cli-sim): not a real CDRouter");
    say(&format!("{} INFO  pid {}", clock(), std::process::id()));
    let shown = |p: &Option<PathBuf>| {
        p.as_ref()
            .map_or("(none)".into(), |p| p.display().to_string())
    };
    say(&format!(
        "{} INFO  Config: {}",
        clock(),
        shown(&args.config)
    ));
    say(&format!(
        "{} INFO  Log directory: {}",
        clock(),
        shown(&args.logdir)
    ));
    say(&format!(
        "{} INFO  Test path: {}",
        clock(),
        shown(&args.testpath)
    ));
    for tv in &args.testvars {
        say(&format!("{} INFO  Testvar {tv}", clock()));
    }
    say(&format!(
        "{} INFO  {} of {} tests selected",
        clock(),
        tests.len(),
        all.len()
    ));

    let _helper = if env_flag("CDROUTER_SIM_SPAWN_CHILD") {
        match std::env::current_exe().and_then(|exe| {
            std::process::Command::new(exe)
                .arg("--sim-helper")
                .stdin(std::process::Stdio::null())
                .spawn()
        }) {
            Ok(child) => {
                say(&format!("{} INFO  helper pid {}", clock(), child.id()));
                Some(child)
            }
            Err(e) => {
                eprintln!("cdrouter-cli-sim: cannot start the helper: {e}");
                None
            }
        }
    } else {
        None
    };

    let mut results: Vec<(String, bool)> = Vec::new();
    for (i, test) in tests.iter().enumerate() {
        say(&format!(
            "{} SECTION Starting test {test} ({} of {})",
            clock(),
            i + 1,
            tests.len()
        ));
        std::thread::sleep(per_test);
        let passed = !failing.contains(test);
        let verdict = if passed { "PASS" } else { "FAIL" };
        say(&format!("{} {verdict}: {test}", clock()));
        results.push((test.clone(), passed));
        if i == 0 && env_flag("CDROUTER_SIM_CRASH") {
            eprintln!("cdrouter-cli-sim: simulated crash (segmentation fault)");
            return 139;
        }
        if i == 0 && env_flag("CDROUTER_SIM_HANG") {
            say(&format!("{} INFO  simulated hang", clock()));
            loop {
                std::thread::sleep(Duration::from_secs(3600));
            }
        }
    }
    let passed = results.iter().filter(|(_, p)| *p).count();
    let failed = results.len() - passed;
    say(&format!(
        "Tests: {}  Pass: {passed}  Fail: {failed}",
        results.len()
    ));
    if let Some(dir) = &args.logdir {
        let result = serde_json::json!({
            "simulator": true,
            "tests": results.len(),
            "pass": passed,
            "fail": failed,
            "results": results
                .iter()
                .map(|(name, p)| serde_json::json!({"name": name, "result": if *p { "pass" } else { "fail" }}))
                .collect::<Vec<_>>(),
        });
        if let Err(e) = std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(dir.join("sim-result.json"), result.to_string()))
        {
            eprintln!("cdrouter-cli-sim: cannot write the result file: {e}");
        }
    }
    i32::from(failed > 0)
}
