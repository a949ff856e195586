//! cdrouter-cli runs in a process group of its own, so a stop reaches everything it started:
//! SIGTERM to the group, a grace period, then SIGKILL to the group ([`ProcessGroup::stop`]).
//!
//! No exit path leaves processes behind: a [`ProcessGroup`] kills its group when it is dropped
//! (normal returns, `?`, unwinding panics), the panic hook from [`install_panic_hook`] kills
//! every live group first (release builds abort on panic, so drops never run there), and a
//! run started through the supervisor ([`ProcessGroup::spawn_supervised`], see
//! [`crate::supervise`]) has its whole group stopped when the agent dies, even by SIGKILL.
//! Started directly ([`ProcessGroup::spawn`]), only the direct child gets SIGKILL from the
//! kernel then (`PR_SET_PDEATHSIG`).
//!
//! Runs get the agent's environment without its own settings: no `LABRELAY_*` variable (the
//! token among them) reaches cdrouter-cli ([`scrub_env`]).

use crate::supervise::{self, Hello};
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use std::future::Future;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::Mutex;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::UnixStream;
use tokio::process::{Child, ChildStderr, ChildStdout, Command};

/// How long the supervisor may take to say whether cdrouter-cli started.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// The environment variables of the agent's own settings, kept from every run.
const OWN_ENV_PREFIX: &str = "LABRELAY_";

/// Process groups alive now, for the panic hook.
static LIVE_GROUPS: Mutex<Vec<i32>> = Mutex::new(Vec::new());

/// With `panic = "abort"` (release builds), makes a panic anywhere kill every process group
/// this agent started before the process dies. Unwinding builds need no hook: a panicking
/// job's [`ProcessGroup`] is dropped, and other jobs go on.
pub fn install_panic_hook() {
    if !cfg!(panic = "abort") {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // try_lock: a panic while the list is locked must not deadlock; a poisoned lock
        // still holds the list.
        let groups = match LIVE_GROUPS.try_lock() {
            Ok(g) => g.clone(),
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner().clone(),
            Err(std::sync::TryLockError::WouldBlock) => Vec::new(),
        };
        for pgid in groups {
            let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
        }
        previous(info);
    }));
}

fn live_groups() -> std::sync::MutexGuard<'static, Vec<i32>> {
    LIVE_GROUPS.lock().unwrap_or_else(|p| p.into_inner())
}

/// Kills the group when dropped.
struct GroupGuard {
    pgid: i32,
}

impl GroupGuard {
    fn new(pgid: i32) -> GroupGuard {
        live_groups().push(pgid);
        GroupGuard { pgid }
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        let _ = killpg(Pid::from_raw(self.pgid), Signal::SIGKILL);
        live_groups().retain(|&g| g != self.pgid);
    }
}

/// A child process leading its own process group.
pub struct ProcessGroup {
    child: Child,
    guard: GroupGuard,
    /// The agent's end of the supervisor's lifeline: closed when the agent dies.
    _lifeline: Option<UnixStream>,
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ended {
    pub status: ExitStatus,
    /// It was still running when the grace period after SIGTERM ran out: SIGKILL ended it.
    pub killed: bool,
}

/// Removes the agent's own settings (`LABRELAY_*`, the token among them) from what `cmd`
/// passes on.
pub fn scrub_env(cmd: &mut Command) {
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with(OWN_ENV_PREFIX) {
            cmd.env_remove(name);
        }
    }
}

/// The agent's own binary, to start the supervisor with: `/proc/self/exe` (the running
/// binary, even after an upgrade replaced the file), else the path it was started by (a
/// root without `/proc`), else `None`.
pub fn own_binary() -> Option<PathBuf> {
    let proc_exe = Path::new("/proc/self/exe");
    if std::fs::symlink_metadata(proc_exe).is_ok() {
        return Some(proc_exe.to_path_buf());
    }
    let argv0 = PathBuf::from(std::env::args_os().next()?);
    let found = if argv0.is_absolute() {
        argv0
    } else if argv0.components().count() > 1 {
        std::env::current_dir().ok()?.join(argv0)
    } else {
        std::env::split_paths(&std::env::var_os("PATH")?)
            .map(|dir| dir.join(&argv0))
            .find(|p| p.is_file())?
    };
    found.is_file().then_some(found)
}

/// The child's output streams, to be read by the caller.
pub struct Output {
    pub stdout: ChildStdout,
    pub stderr: ChildStderr,
}

impl ProcessGroup {
    /// Starts `program` with `args` in `cwd`: own process group, stdin from /dev/null,
    /// stdout and stderr piped.
    pub fn spawn(
        program: &Path,
        args: &[String],
        cwd: &Path,
    ) -> io::Result<(ProcessGroup, Output)> {
        let mut cmd = Command::new(program);
        cmd.args(args).current_dir(cwd).stdin(Stdio::null());
        // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
        unsafe {
            cmd.pre_exec(|| {
                nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).map_err(io::Error::from)
            });
        }
        Self::start(cmd)
    }

    /// Starts `program` with `args` in `cwd` through the supervisor (`supervisor` is the
    /// agent's own binary, see [`crate::supervise`]), which leads the group: the whole group
    /// gets SIGTERM, `grace`, then SIGKILL if the agent dies, however it dies. The
    /// supervisor exits as `program` does, so [`ProcessGroup::wait`] sees what it would have
    /// seen of `program` itself. An error when `program` could not be started, in the words
    /// of the system (`No such file or directory`).
    pub async fn spawn_supervised(
        supervisor: &Path,
        grace: Duration,
        program: &Path,
        args: &[String],
        cwd: &Path,
    ) -> io::Result<(ProcessGroup, Output)> {
        let (ours, theirs) = std::os::unix::net::UnixStream::pair()?;
        let mut cmd = Command::new(supervisor);
        cmd.arg0("labrelay-agent")
            .args(supervise::args(grace))
            .arg(program)
            .args(args)
            .current_dir(cwd)
            .stdin(Stdio::from(std::os::fd::OwnedFd::from(theirs)));
        // SAFETY: sigaction is async-signal-safe. The supervisor ignores SIGTERM from its
        // first instruction on, so a stop sent at once still finds it there.
        unsafe {
            cmd.pre_exec(|| {
                nix::sys::signal::signal(Signal::SIGTERM, nix::sys::signal::SigHandler::SigIgn)
                    .map(drop)
                    .map_err(io::Error::from)
            });
        }
        ours.set_nonblocking(true)?;
        let mut lifeline = UnixStream::from_std(ours)?;
        let (mut group, output) = Self::start(cmd)?;
        match tokio::time::timeout(HELLO_TIMEOUT, read_hello(&mut lifeline)).await {
            Ok(Some(Hello::Started(_))) => {
                group._lifeline = Some(lifeline);
                Ok((group, output))
            }
            Ok(Some(Hello::Failed(why))) => {
                let _ = group.child.wait().await;
                Err(io::Error::other(why))
            }
            Ok(None) => Err(io::Error::other(
                "the supervisor ended before it started the program",
            )),
            Err(_) => Err(io::Error::other(format!(
                "the supervisor did not start the program within {} s",
                HELLO_TIMEOUT.as_secs()
            ))),
        }
    }

    /// Spawns `cmd` leading its own group, output piped, the agent's settings left out.
    fn start(mut cmd: Command) -> io::Result<(ProcessGroup, Output)> {
        cmd.stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        scrub_env(&mut cmd);
        let mut child = cmd.spawn()?;
        let pid = child
            .id()
            .and_then(|p| i32::try_from(p).ok())
            .ok_or_else(|| io::Error::other("the child has no pid"))?;
        let guard = GroupGuard::new(pid);
        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            return Err(io::Error::other("the child's output is not piped"));
        };
        let group = ProcessGroup {
            child,
            guard,
            _lifeline: None,
        };
        Ok((group, Output { stdout, stderr }))
    }

    /// The group id (the leader's pid).
    pub fn pgid(&self) -> i32 {
        self.guard.pgid
    }

    /// Sends `sig` to the whole group; a group already gone is not an error.
    pub fn signal(&self, sig: Signal) {
        match killpg(Pid::from_raw(self.guard.pgid), sig) {
            Ok(()) | Err(nix::errno::Errno::ESRCH) => {}
            Err(e) => tracing::warn!(
                pgid = self.guard.pgid,
                "cannot send {sig} to the group: {e}"
            ),
        }
    }

    /// Waits for the leader to exit, then kills whatever it left behind in the group.
    /// Cancel-safe: may be used in `select!`.
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        let status = self.child.wait().await?;
        self.signal(Signal::SIGKILL);
        Ok(status)
    }

    /// The stop sequence: SIGTERM to the group, up to `grace` for the leader to exit, then
    /// SIGKILL to the group (also when the leader exited: nothing of the run stays).
    pub async fn stop(&mut self, grace: Duration) -> io::Result<Ended> {
        self.signal(Signal::SIGTERM);
        match tokio::time::timeout(grace, self.child.wait()).await {
            Ok(status) => {
                self.signal(Signal::SIGKILL);
                Ok(Ended {
                    status: status?,
                    killed: false,
                })
            }
            Err(_) => {
                self.signal(Signal::SIGKILL);
                Ok(Ended {
                    status: self.child.wait().await?,
                    killed: true,
                })
            }
        }
    }

    /// Waits for the run to end by itself, or, once `stop` resolves, runs the stop sequence
    /// ([`ProcessGroup::stop`]).
    pub async fn wait_or_stop(
        &mut self,
        stop: impl Future<Output = ()>,
        grace: Duration,
    ) -> io::Result<Ended> {
        tokio::select! {
            status = self.wait() => status.map(|status| Ended { status, killed: false }),
            () = stop => self.stop(grace).await,
        }
    }
}

/// The supervisor's first line on the lifeline (at most a few hundred bytes); `None` when it
/// ended without one.
async fn read_hello(lifeline: &mut UnixStream) -> Option<Hello> {
    let mut line = Vec::new();
    let mut buf = [0u8; 512];
    while !line.contains(&b'\n') && line.len() < 4096 {
        match lifeline.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => line.extend_from_slice(&buf[..n]),
        }
    }
    let end = line.iter().position(|&b| b == b'\n').unwrap_or(line.len());
    Hello::parse(&String::from_utf8_lossy(&line[..end]))
}

/// "exited with status 3" / "was killed by signal 9 (SIGKILL)".
pub fn describe(status: &ExitStatus) -> String {
    if let Some(code) = status.code() {
        format!("exited with status {code}")
    } else if let Some(sig) = status.signal() {
        match Signal::try_from(sig) {
            Ok(s) => format!("was killed by signal {sig} ({s})"),
            Err(_) => format!("was killed by signal {sig}"),
        }
    } else {
        format!("ended ({status})")
    }
}
