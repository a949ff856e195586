//! The real runs the simulator replays: CDRouter export bundles (`fixtures/cdrouter-exports/`
//! by default, or `CDROUTER_SIM_EXPORTS`). Only the header and JSON body of each bundle are
//! read up front; a bundle's result files are unpacked the first time a test of it is needed,
//! so a run of two small tests does not unpack the 26 MB repeated run.

use labrelay_api::cdrouter::{classify, summarize, FileKind};
use labrelay_export::{bundle_paths, Bundle, ResultDir};
use std::path::{Path, PathBuf};

/// A test log the fixtures hold: its text and the files that go with it.
#[derive(Clone, Debug)]
pub struct TestSource {
    /// The real log (`dns_45.txt`).
    pub log: String,
    /// Its captures, CDRouter's `-m` copies included: (suffix after the log base, bytes),
    /// e.g. ("-lan-eth1.cap", ...).
    pub captures: Vec<(String, Vec<u8>)>,
    /// Other files named after the test (`perf_1_bandwidth_graph.csv`): (suffix after the
    /// test name, bytes).
    pub extras: Vec<(String, Vec<u8>)>,
    /// The real verdict was a pass (the log ends with `PASS: Test ... passed`).
    pub passed: Option<bool>,
}

/// A real run's tests in order: (name, log file, result).
pub type RunOrder = Vec<(String, String, String)>;

struct Entry {
    path: PathBuf,
    testcases: Vec<String>,
    result_ids: Vec<String>,
    /// The real run's tests in order, `start`/`final` left out.
    run: RunOrder,
    dir: Option<ResultDir>,
}

pub struct Library {
    entries: Vec<Entry>,
}

impl Library {
    pub fn open(dir: &Path) -> Result<Library, String> {
        let mut entries = Vec::new();
        for (_, path) in bundle_paths(dir).map_err(|e| e.to_string())? {
            let meta = Bundle::read_meta(&path).map_err(|e| e.to_string())?;
            let result_ids = meta.result_ids();
            if result_ids.is_empty() {
                continue;
            }
            // Smallest first: a test found in a small bundle never unpacks a big one.
            entries.push((
                std::fs::metadata(&path)
                    .map(|m| m.len())
                    .unwrap_or(u64::MAX),
                Entry {
                    run: run_order(&meta),
                    testcases: meta.testcases(),
                    result_ids,
                    path,
                    dir: None,
                },
            ));
        }
        entries.sort_by_key(|(size, _)| *size);
        if entries.is_empty() {
            return Err(format!(
                "no CDRouter export with a result in {}",
                dir.display()
            ));
        }
        Ok(Library {
            entries: entries.into_iter().map(|(_, e)| e).collect(),
        })
    }

    fn unpack(&mut self, i: usize) -> Result<&ResultDir, String> {
        let entry = &mut self.entries[i];
        if entry.dir.is_none() {
            let bundle = Bundle::read(&entry.path).map_err(|e| e.to_string())?;
            entry.dir = bundle.results.into_iter().next();
        }
        entry
            .dir
            .as_ref()
            .ok_or_else(|| format!("{}: no result directory", entry.path.display()))
    }

    /// The first result that ran `test` (smallest bundle first).
    pub fn result_with(&mut self, test: &str) -> Result<Option<&ResultDir>, String> {
        match self
            .entries
            .iter()
            .position(|e| e.testcases.iter().any(|t| t == test))
        {
            Some(i) => self.unpack(i).map(Some),
            None => Ok(None),
        }
    }

    /// The result with this id and its tests in the order they ran (for replaying a run).
    pub fn result(&mut self, id: &str) -> Result<(RunOrder, &ResultDir), String> {
        let i = self
            .entries
            .iter()
            .position(|e| e.result_ids.iter().any(|r| r == id))
            .ok_or_else(|| format!("no result {id} in the exports"))?;
        let run = self.entries[i].run.clone();
        Ok((run, self.unpack(i)?))
    }

    /// A real test whose verdict was `result` (`pass` or `fail`), from the smallest bundle
    /// that has one: the log replayed for a test the exports do not hold.
    pub fn template(&mut self, result: &str) -> Result<(String, TestSource), String> {
        let found = self.entries.iter().enumerate().find_map(|(i, e)| {
            e.run
                .iter()
                .find(|(_, _, r)| r == result)
                .map(|(name, log, _)| (i, name.clone(), log.trim_end_matches(".txt").to_string()))
        });
        let (i, name, base) =
            found.ok_or_else(|| format!("no test with result {result} in the exports"))?;
        let dir = self.unpack(i)?;
        let source = test_source(dir, &base).ok_or_else(|| format!("no log {base}.txt"))?;
        Ok((name, source))
    }

    /// The smallest result that finished (has `final.txt`): where start/final come from.
    pub fn finished_result(&mut self) -> Result<&ResultDir, String> {
        for i in 0..self.entries.len() {
            if self.unpack(i)?.files.contains_key("final.txt") {
                return self.unpack(i);
            }
        }
        Err("no finished result in the exports".into())
    }
}

/// The tests of the bundle's first result by `seq`, as (name, log, result): what ran, in
/// order.
fn run_order(meta: &Bundle) -> RunOrder {
    let mut tests: Vec<(u64, String, String, String)> = meta.body["results"][0]["tests"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| {
            let t = &t["test"];
            let seq = t["seq"].as_str()?.parse().ok()?;
            let name = t["name"].as_str()?.to_string();
            let log = t["log"].as_str()?.to_string();
            let result = t["result"].as_str()?.to_string();
            (!log.is_empty() && name != "start" && name != "final")
                .then_some((seq, name, log, result))
        })
        .collect();
    tests.sort();
    tests.into_iter().map(|(_, n, l, r)| (n, l, r)).collect()
}

/// The test whose log base (file name without `.txt`) is `base` in `dir`.
pub fn test_source(dir: &ResultDir, base: &str) -> Option<TestSource> {
    let log = dir.text(&format!("{base}.txt"))?;
    let test = match classify(&format!("{base}.txt")) {
        FileKind::MaybeTestLog { test, .. } => test.to_string(),
        _ => base.to_string(),
    };
    let mut captures = Vec::new();
    let mut extras = Vec::new();
    for (name, bytes) in &dir.files {
        if let Some(rest) = name.strip_prefix(base) {
            if rest.starts_with('-') && rest.ends_with(".cap") {
                captures.push((rest.to_string(), bytes.clone()));
                continue;
            }
        }
        if name.starts_with(&format!("{test}_")) && !name.ends_with(".txt") {
            extras.push((name[test.len()..].to_string(), bytes.clone()));
        }
    }
    let passed = summarize(&log)
        .verdict
        .map(|v| v == labrelay_api::cdrouter::Verdict::Pass);
    Some(TestSource {
        log,
        captures,
        extras,
        passed,
    })
}

/// Every `-m.cap` and capture of `start`/`final` as (file suffix after `start`, bytes).
pub fn phase_captures(dir: &ResultDir, phase: &str) -> Vec<(String, Vec<u8>)> {
    dir.files
        .iter()
        .filter_map(|(name, bytes)| {
            let rest = name.strip_prefix(phase)?;
            (rest.starts_with('-') && rest.ends_with(".cap"))
                .then(|| (rest.to_string(), bytes.clone()))
        })
        .collect()
}
