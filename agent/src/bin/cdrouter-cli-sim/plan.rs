//! What a simulated run writes, decided before it starts: the start phase, each test with the
//! real log it replays, and the final phase (see `main.rs` for the rules).

use crate::library::{phase_captures, test_source, Library, TestSource};
use crate::synopsis::{synopsis, Ran};
use crate::writer::{self, restamp, say, Writer};
use crate::{Args, Stop};
use labrelay_api::cdrouter::{parse_verdict, TestHeader, Verdict};
use labrelay_export::ResultDir;
use std::path::Path;
use std::time::Duration;

pub struct PlannedTest {
    /// The log base in the log directory: the test's name, `name.N` for its N-th run.
    pub base: String,
    pub source: TestSource,
}

pub struct Plan {
    pub tests: Vec<PlannedTest>,
    start: String,
    start_captures: Vec<(String, Vec<u8>)>,
    finale: String,
    final_captures: Vec<(String, Vec<u8>)>,
    /// Files a run writes once: `keylog.txt`, `CDROUTER-INSTALL`.
    files: Vec<(String, Vec<u8>)>,
}

/// The tests to run: from `-start` through `-stop`, without the skipped ones.
pub fn select(all: &[String], args: &Args) -> Vec<String> {
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

type Files = Vec<(String, Vec<u8>)>;

/// What a run writes before its first test and after its last, from a real run.
struct Phases {
    start: String,
    finale: String,
    start_captures: Files,
    final_captures: Files,
    files: Files,
}

fn phases(dir: &ResultDir) -> Result<Phases, String> {
    let start = dir
        .text("start.txt")
        .ok_or("the exports' run has no start.txt")?;
    let finale = dir.text("final.txt").unwrap_or_default();
    let files = ["keylog.txt", "CDROUTER-INSTALL"]
        .iter()
        .filter_map(|n| dir.files.get(*n).map(|b| (n.to_string(), b.clone())))
        .collect();
    Ok(Phases {
        start,
        finale,
        start_captures: phase_captures(dir, "start"),
        final_captures: phase_captures(dir, "final"),
        files,
    })
}

/// Each requested test replays its own real log when the exports have one.
pub fn from_testlist(
    lib: &mut Library,
    tests: &[String],
    failing: &[String],
) -> Result<Plan, String> {
    let mut planned: Vec<PlannedTest> = Vec::new();
    for name in tests {
        let n = planned
            .iter()
            .filter(|p| p.base == *name || p.base.starts_with(&format!("{name}.")))
            .count()
            + 1;
        let base = if n == 1 {
            name.clone()
        } else {
            format!("{name}.{n}")
        };
        let want_fail = failing.contains(name);
        let real = match lib.result_with(name)? {
            Some(dir) => test_source(dir, &base).or_else(|| test_source(dir, name)),
            None => None,
        };
        // A test the exports ran replays with its real verdict, unless asked to fail.
        let source = match real {
            Some(s) if !want_fail || s.passed == Some(false) => s,
            _ => {
                let (template, source) = lib.template(if want_fail { "fail" } else { "pass" })?;
                rename(&source, &template, name)
            }
        };
        planned.push(PlannedTest { base, source });
    }
    // Start and shutdown from the run of the first test, when that run finished.
    let first_run = match tests.first() {
        Some(name) => lib
            .result_with(name)?
            .filter(|d| d.files.contains_key("final.txt"))
            .map(|d| d.id.clone()),
        None => None,
    };
    let dir = match first_run {
        Some(id) => lib.result(&id)?.1,
        None => lib.finished_result()?,
    };
    let p = phases(dir)?;
    Ok(Plan {
        tests: planned,
        start: p.start,
        start_captures: p.start_captures,
        finale: p.finale,
        final_captures: p.final_captures,
        files: p.files,
    })
}

/// A whole real run, test by test in its order (repeats keep their `name.N` logs).
pub fn replay(lib: &mut Library, id: &str, args: &Args) -> Result<Plan, String> {
    let (run, dir) = lib.result(id)?;
    let names: Vec<String> = run.iter().map(|(n, _, _)| n.clone()).collect();
    let keep = select(&names, args);
    let mut tests = Vec::new();
    let mut skip_left = keep.clone();
    for (name, log, _) in &run {
        // `select` keeps a contiguous stretch minus skips: take each kept name in order.
        let Some(i) = skip_left.iter().position(|k| k == name) else {
            continue;
        };
        skip_left.remove(i);
        let base = log.trim_end_matches(".txt").to_string();
        let source = test_source(dir, &base).ok_or_else(|| format!("no log {log}"))?;
        tests.push(PlannedTest { base, source });
    }
    let own = phases(dir)?;
    // A run cut off has no final.txt: its shutdown comes from a run that finished.
    let (finale, final_captures) = if own.finale.is_empty() {
        let done = phases(lib.finished_result()?)?;
        (done.finale, done.final_captures)
    } else {
        (own.finale, own.final_captures)
    };
    Ok(Plan {
        tests,
        start: own.start,
        start_captures: own.start_captures,
        finale,
        final_captures,
        files: own.files,
    })
}

/// A real log of `template` with `name` put in: header, name, number and verdict line.
fn rename(source: &TestSource, template: &str, name: &str) -> TestSource {
    let header = TestHeader::parse(&source.log).unwrap_or_default();
    let number = number_of(name);
    let old_no = header.number;
    let mut log = source
        .log
        .replace(
            &format!("Test cdrouter-{old_no}: {}", header.description),
            &format!(
                "Test cdrouter-{number}: {} (simulated: the real log of {template})",
                header.description
            ),
        )
        .replace(&format!("Name: {template}"), &format!("Name: {name}"))
        .replace(
            &format!("Test {template} ({old_no})"),
            &format!("Test {name} ({number})"),
        )
        .replace(
            &format!("cdrouter-{old_no})"),
            &format!("cdrouter-{number})"),
        );
    if !log.ends_with('\n') {
        log.push('\n');
    }
    TestSource {
        log,
        captures: source.captures.clone(),
        extras: source.extras.clone(),
        passed: source.passed,
    }
}

/// A stable CDRouter-like test number for a name the exports do not know.
fn number_of(name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    10_000 + h % 90_000
}

pub fn write_start(
    out: &Writer,
    plan: &Plan,
    config: Option<&Path>,
    per_test: Duration,
) -> Result<(), Stop> {
    let names: Vec<String> = plan
        .tests
        .iter()
        .map(|t| {
            TestHeader::parse(&t.source.log)
                .map(|h| h.name)
                .unwrap_or_else(|| t.base.clone())
        })
        .collect();
    let mut testlist = names.join("\n");
    testlist.push('\n');
    out.write_file("testlist.log", testlist.as_bytes())?;
    out.write_file(
        "skip.log",
        b"#\n# CDRouter Skip Log\n# 0 tests were skipped automatically\n#\n",
    )?;
    if let Some(path) = config {
        if let Ok(text) = std::fs::read(path) {
            out.write_file(&writer::config_copy_name(path), &text)?;
        }
    }
    for (name, bytes) in &plan.files {
        out.write_file(name, bytes)?;
    }
    out.write_log("start.txt", &plan.start, per_test)?;
    for (suffix, bytes) in &plan.start_captures {
        out.write_file(&format!("start{suffix}"), bytes)?;
    }
    Ok(())
}

pub struct TestOutcome {
    pub ran: Ran,
    /// The real log ends without a verdict: the real run was cut off in this test.
    pub cut_off: bool,
}

/// The test's log without its verdict over its time, then its captures, then the verdict
/// (so whoever sees the verdict finds the captures there).
pub fn write_test(
    out: &Writer,
    test: &PlannedTest,
    per_test: Duration,
) -> Result<TestOutcome, Stop> {
    let text = &test.source.log;
    let trimmed = text.trim_end_matches('\n');
    let (body, verdict_line) = match trimmed.rsplit_once('\n') {
        Some((body, last)) if parse_verdict(last).is_some() => (body, Some(last)),
        _ => (trimmed, None),
    };
    let log_name = format!("{}.txt", test.base);
    out.write_log(&log_name, &format!("{body}\n"), per_test)?;
    let header = TestHeader::parse(text).unwrap_or_default();
    let Some(verdict_line) = verdict_line else {
        return Ok(TestOutcome {
            ran: Ran {
                number: header.number,
                passed: false,
                description: header.description,
            },
            cut_off: true,
        });
    };
    for (suffix, bytes) in &test.source.captures {
        out.write_file(&format!("{}{suffix}", test.base), bytes)?;
    }
    for (suffix, bytes) in &test.source.extras {
        let test_name = header.name.as_str();
        out.write_file(&format!("{test_name}{suffix}"), bytes)?;
    }
    let line = format!("{}\n", restamp(verdict_line, &writer::log_now()));
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .open(out.path(&log_name))
        .and_then(|mut f| f.write_all(line.as_bytes()))
        .map_err(|e| Stop::Failed(format!("cannot write {log_name}: {e}")))?;
    say(&line);
    let passed = parse_verdict(verdict_line).is_some_and(|v| v.verdict == Verdict::Pass);
    Ok(TestOutcome {
        ran: Ran {
            number: header.number,
            passed,
            description: header.description,
        },
        cut_off: false,
    })
}

pub fn write_final(
    out: &Writer,
    plan: &Plan,
    ran: &[Ran],
    started: &str,
    total_secs: u64,
    per_test: Duration,
) -> Result<(), Stop> {
    // The real shutdown log up to its synopsis, the synopsis of this run, the real tail.
    let lines: Vec<&str> = plan.finale.lines().collect();
    let head_end = lines
        .iter()
        .position(|l| l.starts_with("Test") && l.contains("Result Synopsis"))
        .unwrap_or(lines.len());
    let tail_start = lines
        .iter()
        .position(|l| l.starts_with("Test run stopped at"))
        .map_or(lines.len(), |i| i + 1);
    let head = lines[..head_end]
        .iter()
        .rev()
        .skip_while(|l| l.trim().is_empty())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    out.write_log("final.txt", &format!("{head}\n"), per_test / 4)?;
    let now = writer::log_now();
    let mut rest = synopsis(ran, started, &writer::date_now(), total_secs);
    for l in lines[tail_start..]
        .iter()
        .skip_while(|l| l.trim().is_empty())
    {
        rest.push_str(&restamp(l, &now));
        rest.push('\n');
    }
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .open(out.path("final.txt"))
        .and_then(|mut f| f.write_all(rest.as_bytes()))
        .map_err(|e| Stop::Failed(format!("cannot write final.txt: {e}")))?;
    say(&rest);
    for (suffix, bytes) in &plan.final_captures {
        out.write_file(&format!("final{suffix}"), bytes)?;
    }
    let failed = ran.iter().any(|r| !r.passed);
    out.write_file("error.log", if failed { b"exit status 1\n" } else { b"" })?;
    Ok(())
}
