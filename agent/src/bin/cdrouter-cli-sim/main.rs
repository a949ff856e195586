//! cdrouter-cli-sim: a SIMULATOR of cdrouter-cli for tests and demos, never a real CDRouter.
//! The agent runs it only when `--cdrouter-cli` names it.
//!
//! It replays real CDRouter runs — the result directories of the export bundles in
//! `fixtures/cdrouter-exports/` (or `CDROUTER_SIM_EXPORTS`) — and behaves like cdrouter-cli as
//! seen from outside: it writes the log directory as a real run does (`testlist.log`,
//! `skip.log`, the config, `start.txt` and its captures, then per test its log and captures
//! as the test runs, `final.txt` with the synopsis and `error.log` at the end), prints the log
//! to stdout as it goes, and exits 1 when a test failed, else 0 (2 on bad usage).
//!
//! Flags as cdrouter-cli: `-execute @FILE` (or `a,b,c`), `-config FILE`, `-logdir DIR`,
//! `-testpath DIR`, `-testvar NAME=VALUE` (repeatable), `-start TEST` (alias `-begin`),
//! `-stop TEST` (alias `-end`), `-skip TEST` (repeatable), `-version`; other flags are
//! ignored (with their value, when the next word is not a flag).
//!
//! Which real log each test replays: the test's own log when the exports ran it (its real
//! verdict), else a real log of the same verdict with the test's name put in (pass, or fail
//! for the tests in `CDROUTER_SIM_FAIL`). `CDROUTER_SIM_REPLAY=<result id>` replays that whole
//! run instead (its tests in their order, repeats and all; `-start`/`-stop`/`-skip` still
//! apply): a run that was cut off in the real world is cut off here too (SIGKILL, no
//! `final.txt`).
//!
//! SIGTERM stops the run mid-test: no `final.txt`, exit status 143.
//!
//! Environment:
//! - `CDROUTER_SIM_TEST_MS`: time per test in milliseconds (default 200);
//! - `CDROUTER_SIM_FAIL`: comma-separated tests that fail;
//! - `CDROUTER_SIM_REPLAY`: a result id of the exports to replay whole;
//! - `CDROUTER_SIM_EXPORTS`: the directory of export bundles;
//! - `CDROUTER_SIM_HANG=1`: after the first test, wait until SIGTERM;
//! - `CDROUTER_SIM_IGNORE_TERM=1`: ignore SIGTERM (only SIGKILL ends it);
//! - `CDROUTER_SIM_CRASH=1`: exit with status 139 after the first test;
//! - `CDROUTER_SIM_SPAWN_CHILD=1`: start a helper process in the same process group (it
//!   prints `helper pid N` on stderr and sleeps): for checking that stops reach the group;
//! - `CDROUTER_SIM_PRINT_ENV=1`: print its environment on stderr (`env NAME=VALUE` lines):
//!   for checking what the agent passes on;
//! - `CDROUTER_SIM_LATE_STAMP_MS`: in each test's log, wait this long after the untimed
//!   header lines before the first timed line (a real log's pacing when a test takes a
//!   while to set up): for checking what a test that has begun shows before its first stamp.

mod library;
mod plan;
mod synopsis;
mod writer;

use nix::sys::signal::{signal, SigHandler, Signal};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use writer::{pause, Interrupted, LogError, Writer};

#[derive(Default, Debug)]
pub struct Args {
    execute: Option<String>,
    config: Option<PathBuf>,
    logdir: Option<PathBuf>,
    testvars: Vec<String>,
    pub start: Option<String>,
    pub stop: Option<String>,
    pub skip: Vec<String>,
    version: bool,
}

fn parse_args(mut words: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut args = Args::default();
    let mut words = std::iter::from_fn(move || words.next()).peekable();
    while let Some(word) = words.next() {
        let flag = word.trim_start_matches('-');
        if word.starts_with('-') && flag == "version" {
            args.version = true;
            continue;
        }
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
            "testpath" => {}
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

pub fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}

/// A line on stderr; a closed pipe (the reader went away) must not panic the simulator.
fn note(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "cdrouter-cli-sim: {text}");
}

extern "C" fn on_term(_: nix::libc::c_int) {
    writer::TERMINATED.store(true, Ordering::SeqCst);
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
    let handler = if env_flag("CDROUTER_SIM_IGNORE_TERM") {
        SigHandler::SigIgn
    } else {
        SigHandler::Handler(on_term)
    };
    // SAFETY: the handler only stores to an atomic; installed before any thread starts.
    if let Err(e) = unsafe { signal(Signal::SIGTERM, handler) } {
        note(&format!("cannot set up SIGTERM: {e}"));
    }
    let args = match parse_args(words) {
        Ok(a) => a,
        Err(e) => {
            note(&e);
            return 2;
        }
    };
    if args.version {
        println!(
            "cdrouter-cli-sim {} (a SIMULATOR of cdrouter-cli replaying real CDRouter runs)",
            env!("CARGO_PKG_VERSION")
        );
        return 0;
    }
    if env_flag("CDROUTER_SIM_PRINT_ENV") {
        for (name, value) in std::env::vars_os() {
            note(&format!(
                "env {}={}",
                name.to_string_lossy(),
                value.to_string_lossy()
            ));
        }
    }
    let replay = std::env::var("CDROUTER_SIM_REPLAY")
        .ok()
        .filter(|v| !v.is_empty());
    let Some(requested) = requested(&args, replay.as_deref()) else {
        return 2;
    };
    let Some(logdir) = args.logdir.clone() else {
        note("-logdir is required (the simulator writes nowhere else)");
        return 2;
    };
    match simulate(&args, &requested, replay.as_deref(), logdir) {
        Ok(code) => code,
        Err(Stop::Interrupted) => {
            note("stopped by SIGTERM: the run ends without final.txt");
            143
        }
        Err(Stop::Failed(e)) => {
            note(&e);
            2
        }
    }
}

/// The tests `-execute` names (none when a whole run is replayed); `None`: a usage error,
/// said on stderr.
fn requested(args: &Args, replay: Option<&str>) -> Option<Vec<String>> {
    match (args.execute.as_deref(), replay) {
        (Some(execute), _) => match tests_of(execute) {
            Ok(t) => Some(t),
            Err(e) => {
                note(&e);
                None
            }
        },
        (None, Some(_)) => Some(Vec::new()),
        (None, None) => {
            note("-execute is required");
            None
        }
    }
}

pub enum Stop {
    Interrupted,
    Failed(String),
}

impl From<Interrupted> for Stop {
    fn from(_: Interrupted) -> Stop {
        Stop::Interrupted
    }
}

impl From<LogError> for Stop {
    fn from(e: LogError) -> Stop {
        match e {
            LogError::Interrupted => Stop::Interrupted,
            LogError::Io(m) => Stop::Failed(m),
        }
    }
}

impl From<String> for Stop {
    fn from(e: String) -> Stop {
        Stop::Failed(e)
    }
}

/// The simulator's knobs, from its environment (see above).
struct Knobs {
    per_test: Duration,
    failing: Vec<String>,
    exports: PathBuf,
    late_stamp: Duration,
}

impl Knobs {
    fn from_env() -> Knobs {
        Knobs {
            per_test: Duration::from_millis(
                std::env::var("CDROUTER_SIM_TEST_MS")
                    .ok()
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(200),
            ),
            failing: std::env::var("CDROUTER_SIM_FAIL")
                .unwrap_or_default()
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            exports: std::env::var_os("CDROUTER_SIM_EXPORTS")
                .map(PathBuf::from)
                .unwrap_or_else(labrelay_export::fixtures_dir),
            late_stamp: std::env::var("CDROUTER_SIM_LATE_STAMP_MS")
                .ok()
                .and_then(|v| v.parse().ok())
                .map_or(Duration::ZERO, Duration::from_millis),
        }
    }
}

fn simulate(
    args: &Args,
    requested: &[String],
    replay: Option<&str>,
    logdir: PathBuf,
) -> Result<i32, Stop> {
    let knobs = Knobs::from_env();
    let per_test = knobs.per_test;
    let mut library = library::Library::open(&knobs.exports)?;
    let plan = match replay {
        Some(id) => plan::replay(&mut library, id, args)?,
        None => plan::from_testlist(&mut library, &plan::select(requested, args), &knobs.failing)?,
    };
    std::fs::create_dir_all(&logdir)
        .map_err(|e| format!("cannot create {}: {e}", logdir.display()))?;
    let out = Writer {
        logdir,
        late_stamp: knobs.late_stamp,
    };
    note(&format!(
        "SIMULATOR, not a real CDRouter: pid {}, replaying {} test(s) from {}",
        std::process::id(),
        plan.tests.len(),
        knobs.exports.display()
    ));
    for tv in &args.testvars {
        note(&format!("testvar {tv}"));
    }
    let started = Instant::now();
    let started_date = writer::date_now();
    plan::write_start(&out, &plan, args.config.as_deref(), per_test)?;
    let _helper = env_flag("CDROUTER_SIM_SPAWN_CHILD")
        .then(spawn_helper)
        .flatten();
    let ran = match run_tests(&out, &plan, per_test)? {
        Ok(ran) => ran,
        Err(code) => return Ok(code),
    };
    let failed = ran.iter().any(|r| !r.passed);
    let total = started.elapsed().as_secs();
    plan::write_final(&out, &plan, &ran, &started_date, total, per_test)?;
    Ok(i32::from(failed))
}

/// The plan's tests, one after the other; Err: the run ended early with this exit status
/// (cut off, crashed).
fn run_tests(
    out: &Writer,
    plan: &plan::Plan,
    per_test: Duration,
) -> Result<Result<Vec<synopsis::Ran>, i32>, Stop> {
    let mut ran = Vec::new();
    for (i, test) in plan.tests.iter().enumerate() {
        let outcome = plan::write_test(out, test, per_test)?;
        if outcome.cut_off {
            note("the real run was cut off here: so is this one (SIGKILL, no final.txt)");
            let _ = nix::sys::signal::raise(Signal::SIGKILL);
            return Ok(Err(137));
        }
        ran.push(outcome.ran);
        if i == 0 && env_flag("CDROUTER_SIM_CRASH") {
            note("simulated crash (segmentation fault)");
            return Ok(Err(139));
        }
        if i == 0 && env_flag("CDROUTER_SIM_HANG") {
            note("simulated hang");
            pause(Duration::from_secs(u64::from(u32::MAX)))?;
        }
    }
    Ok(Ok(ran))
}

fn spawn_helper() -> Option<std::process::Child> {
    match std::env::current_exe().and_then(|exe| {
        std::process::Command::new(exe)
            .arg("--sim-helper")
            .stdin(std::process::Stdio::null())
            .spawn()
    }) {
        Ok(child) => {
            note(&format!("helper pid {}", child.id()));
            Some(child)
        }
        Err(e) => {
            note(&format!("cannot start the helper: {e}"));
            None
        }
    }
}
