//! cdrouter-cli runs in a process group of its own, so a stop reaches everything it started:
//! SIGTERM to the group, a grace period, then SIGKILL to the group ([`ProcessGroup::stop`]).
//!
//! No exit path leaves processes behind: a [`ProcessGroup`] kills its group when it is dropped
//! (normal returns, `?`, unwinding panics), the panic hook from [`install_panic_hook`] kills
//! every live group first (release builds abort on panic, so drops never run there), and the
//! direct child gets SIGKILL from the kernel if the agent itself dies (`PR_SET_PDEATHSIG`).
//!
//! Runs get the agent's environment without its own settings: no `LABRELAY_*` variable (the
//! token among them) reaches cdrouter-cli ([`scrub_env`]).

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use std::future::Future;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::Mutex;
use std::time::Duration;
use tokio::process::{Child, ChildStderr, ChildStdout, Command};

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

/// The child's output streams, to be read by the caller.
pub struct Output {
    pub stdout: ChildStdout,
    pub stderr: ChildStderr,
}

impl ProcessGroup {
    /// Starts `program` with `args` in `cwd`: own process group, stdin from /dev/null,
    /// stdout and stderr piped, the agent's settings left out of its environment.
    pub fn spawn(
        program: &Path,
        args: &[String],
        cwd: &Path,
    ) -> io::Result<(ProcessGroup, Output)> {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .current_dir(cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        scrub_env(&mut cmd);
        // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
        unsafe {
            cmd.pre_exec(|| {
                nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).map_err(io::Error::from)
            });
        }
        let mut child = cmd.spawn()?;
        let pid = child
            .id()
            .and_then(|p| i32::try_from(p).ok())
            .ok_or_else(|| io::Error::other("the child has no pid"))?;
        let guard = GroupGuard::new(pid);
        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            return Err(io::Error::other("the child's output is not piped"));
        };
        Ok((ProcessGroup { child, guard }, Output { stdout, stderr }))
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
