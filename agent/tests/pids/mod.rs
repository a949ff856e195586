//! For the tests that stop runs: whether a process is gone (a zombie counts: only its parent
//! has yet to collect it), and waiting until it is.

use std::time::Duration;

pub fn is_gone(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

/// Waits up to 30 s for each of `pids` to be gone.
pub async fn until_gone(pids: &[i32]) {
    for &pid in pids {
        let wait = async {
            while !is_gone(pid) {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(30), wait)
            .await
            .unwrap_or_else(|_| panic!("process {pid} is still alive"));
    }
}
