//! For the tests that stop runs: waiting until a process is gone (a zombie counts: only its
//! parent has yet to collect it; `labrelay_itest::is_gone` says which).

use labrelay_itest::is_gone;
use std::time::Duration;

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
