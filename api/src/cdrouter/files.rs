//! What each file of a CDRouter result directory is, from its name (see the fixtures'
//! README): `start.txt` / `final.txt`, a test's log `<test>.txt` or `<test>.<n>.txt` (a
//! repeat), its captures `<log base>-<role>-<ifname>.cap` and `<log base>-ics.cap` (the
//! `-m.cap` copies are CDRouter's own and not listed as captures), and everything else
//! (`testlist.log`, `skip.log`, `error.log`, `keylog.txt`, the config, perf `*_graph.csv`).
//!
//! Whether a `.txt` is a test's log is decided by its header ([`super::TestHeader`]), not
//! its name: `keylog.txt` is not a test.

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileKind<'a> {
    Start,
    Final,
    /// A `.txt` that may be a test's log: `base` is the name without `.txt`, `test` the test
    /// name and `repeat` the `n` of `<test>.<n>.txt` (1 without one).
    MaybeTestLog {
        base: &'a str,
        test: &'a str,
        repeat: u32,
    },
    /// A capture of the test (or start/final) whose log base is `base`, on `interface`
    /// (`lan-eth1`, `wan-eth2`, `ics`).
    Capture {
        base: &'a str,
        interface: &'a str,
    },
    Other,
}

pub fn classify(name: &str) -> FileKind<'_> {
    match name {
        "start.txt" => return FileKind::Start,
        "final.txt" => return FileKind::Final,
        _ => {}
    }
    if let Some(stem) = name.strip_suffix(".cap") {
        if stem.ends_with("-m") {
            return FileKind::Other;
        }
        if let Some(base) = stem.strip_suffix("-ics") {
            return FileKind::Capture {
                base,
                interface: "ics",
            };
        }
        // `<base>-<role>-<ifname>`: the base never holds `-` (test names do not), the
        // interface may (`lan-eth1`, `lan.2-wlan0`).
        if let Some((base, interface)) = stem.split_once('-') {
            if !base.is_empty() && interface.contains('-') {
                return FileKind::Capture { base, interface };
            }
        }
        return FileKind::Other;
    }
    if let Some(base) = name.strip_suffix(".txt") {
        let (test, repeat) = match base.rsplit_once('.') {
            Some((t, n))
                if !t.is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) =>
            {
                (t, n.parse().unwrap_or(1))
            }
            _ => (base, 1),
        };
        if !test.is_empty() {
            return FileKind::MaybeTestLog { base, test, repeat };
        }
    }
    FileKind::Other
}
