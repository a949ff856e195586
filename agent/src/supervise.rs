//! `labrelay-agent supervise --grace-ms N -- PROGRAM ARGS...` (not in `--help`): how the
//! agent starts cdrouter-cli, so that nothing a run starts outlives the agent, even an agent
//! killed with SIGKILL.
//!
//! The agent starts the supervisor as the leader of a new process group, SIGTERM ignored,
//! with one end of a socket pair as its stdin: the lifeline. The supervisor starts PROGRAM
//! in its group (SIGTERM back to its default, stdin from /dev/null, stdout and stderr the
//! agent's pipes), says on the lifeline whether it could ([`Hello`]), and then:
//! - when PROGRAM exits, it exits the same way (the same status, or the same signal, raised
//!   on itself), so the agent sees what it would have seen of PROGRAM; the agent then kills
//!   whatever is left in the group;
//! - when the lifeline reaches end of file, the agent is gone (the kernel closes a dead
//!   process's files, whatever killed it): SIGTERM to the group, up to N ms for PROGRAM to
//!   end, then SIGKILL to the group, the supervisor included.
//!
//! The agent's own stop is a signal to the group: SIGTERM reaches PROGRAM and everything it
//! started (the supervisor ignores it), SIGKILL ends them all.

use nix::sys::resource::{setrlimit, Resource};
use nix::sys::signal::{killpg, raise, signal, SigHandler, SigSet, Signal};
use nix::unistd::getpgrp;
use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitCode, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The hidden subcommand's name.
pub const SUBCOMMAND: &str = "supervise";
const USAGE: &str = "usage: labrelay-agent supervise --grace-ms N -- PROGRAM [ARGS...]";

/// The supervisor's one line to the agent, on the lifeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hello {
    /// PROGRAM runs, with this pid.
    Started(u32),
    /// PROGRAM could not be started: why, in the system's words.
    Failed(String),
}

impl Hello {
    pub fn line(&self) -> String {
        match self {
            Hello::Started(pid) => format!("started {pid}\n"),
            Hello::Failed(why) => format!("failed {}\n", why.replace('\n', " ")),
        }
    }

    pub fn parse(line: &str) -> Option<Hello> {
        match line.split_once(' ') {
            Some(("started", pid)) => pid.trim().parse().ok().map(Hello::Started),
            Some(("failed", why)) => Some(Hello::Failed(why.to_string())),
            _ => None,
        }
    }
}

/// The supervisor's arguments before PROGRAM.
pub fn args(grace: Duration) -> [String; 3] {
    [
        SUBCOMMAND.to_string(),
        format!("--grace-ms={}", grace.as_millis()),
        "--".to_string(),
    ]
}

#[derive(Debug, PartialEq)]
struct Args {
    grace: Duration,
    program: OsString,
    args: Vec<OsString>,
}

/// `--grace-ms=N -- PROGRAM ARGS...` (what follows the subcommand).
fn parse(words: &[OsString]) -> Result<Args, String> {
    let mut grace = None;
    let mut rest = words.iter();
    for word in rest.by_ref() {
        if word == "--" {
            break;
        }
        let text = word.to_string_lossy();
        match text.strip_prefix("--grace-ms=") {
            Some(ms) => {
                let ms: u64 = ms.parse().map_err(|_| format!("bad --grace-ms: {ms}"))?;
                grace = Some(Duration::from_millis(ms));
            }
            None => return Err(format!("unknown option {text}")),
        }
    }
    let program = rest.next().ok_or("no program given")?.clone();
    Ok(Args {
        grace: grace.ok_or("--grace-ms is required")?,
        program,
        args: rest.cloned().collect(),
    })
}

/// Tells the agent on the lifeline (stdin, a socket); an agent already gone is no error.
fn say(hello: &Hello) {
    let _ = nix::unistd::write(std::io::stdin(), hello.line().as_bytes());
}

/// The supervisor's `main`: `words` are the arguments after the subcommand.
pub fn main(words: &[OsString]) -> ExitCode {
    let args = match parse(words) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("labrelay-agent supervise: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    // SAFETY: no handler is installed, SIGTERM is only ignored (the agent did so already).
    let _ = unsafe { signal(Signal::SIGTERM, SigHandler::SigIgn) };
    let mut cmd = Command::new(&args.program);
    cmd.args(&args.args).stdin(Stdio::null());
    // SAFETY: sigaction and prctl are async-signal-safe and touch no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            signal(Signal::SIGTERM, SigHandler::SigDfl).map_err(std::io::Error::from)?;
            nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).map_err(std::io::Error::from)
        });
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            say(&Hello::Failed(e.to_string()));
            return ExitCode::from(127);
        }
    };
    say(&Hello::Started(child.id()));
    let (ended, ended_rx) = mpsc::channel::<()>();
    let grace = args.grace;
    std::thread::spawn(move || {
        wait_for_end_of_file();
        // The agent is gone: the run goes with it.
        let group = getpgrp();
        let _ = killpg(group, Signal::SIGTERM);
        let _ = ended_rx.recv_timeout(grace);
        let _ = killpg(group, Signal::SIGKILL);
    });
    match child.wait() {
        Ok(status) => {
            let _ = ended.send(());
            exit_like(status)
        }
        Err(e) => {
            eprintln!(
                "labrelay-agent supervise: lost track of {:?}: {e}",
                args.program
            );
            let _ = killpg(getpgrp(), Signal::SIGKILL);
            ExitCode::FAILURE
        }
    }
}

/// Reads the lifeline until the agent's end is closed (or unreadable).
fn wait_for_end_of_file() {
    let mut stdin = std::io::stdin();
    let mut buf = [0u8; 64];
    loop {
        match stdin.read(&mut buf) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

/// Exits as PROGRAM did: its status, or its signal raised here (no core file of ours).
fn exit_like(status: ExitStatus) -> ExitCode {
    if let Some(code) = status.code() {
        return ExitCode::from(u8::try_from(code & 0xff).unwrap_or(1));
    }
    let Some(raw) = status.signal() else {
        return ExitCode::FAILURE;
    };
    if let Ok(sig) = Signal::try_from(raw) {
        let _ = setrlimit(Resource::RLIMIT_CORE, 0, 0);
        // SAFETY: back to the default action, no handler.
        let _ = unsafe { signal(sig, SigHandler::SigDfl) };
        let mut set = SigSet::empty();
        set.add(sig);
        let _ = set.thread_unblock();
        let _ = raise(sig);
    }
    ExitCode::from(u8::try_from(128 + raw).unwrap_or(1))
}

/// Whether the agent was started as the supervisor (`labrelay-agent supervise ...`).
pub fn is_invoked(first_arg: Option<&OsStr>) -> bool {
    first_arg == Some(OsStr::new(SUBCOMMAND))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(w: &[&str]) -> Vec<OsString> {
        w.iter().map(OsString::from).collect()
    }

    #[test]
    fn arguments_round_trip() {
        let mut all: Vec<String> = args(Duration::from_millis(2500)).into();
        all.extend(["/bin/cdrouter-cli".into(), "-execute".into(), "--".into()]);
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        assert!(is_invoked(Some(OsStr::new(all[0]))));
        assert_eq!(
            parse(&words(&all[1..])),
            Ok(Args {
                grace: Duration::from_millis(2500),
                program: "/bin/cdrouter-cli".into(),
                args: words(&["-execute", "--"]),
            })
        );
        assert!(parse(&words(&["--", "x"])).is_err(), "no grace");
        assert!(
            parse(&words(&["--grace-ms=1", "--"])).is_err(),
            "no program"
        );
        assert!(parse(&words(&["--grace=1", "--", "x"])).is_err());
    }

    #[test]
    fn hello_lines_round_trip() {
        for h in [
            Hello::Started(42),
            Hello::Failed("No such file or directory (os error 2)".into()),
        ] {
            let line = h.line();
            assert!(line.ends_with('\n'));
            assert_eq!(Hello::parse(line.trim_end_matches('\n')), Some(h));
        }
        assert_eq!(Hello::parse("hello"), None);
    }
}
