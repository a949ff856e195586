//! The one pane over every lab: the labs the user may use, and per lab what runs, what
//! waits, which agents are online and the last failures (a few small requests per lab, each
//! to that lab's own object).

use super::{get, list, Result};
use labrelay_api::agents::Agent;
use labrelay_api::jobs::Job;
use labrelay_api::labs::Lab;

/// The labs the signed-in user may use (the default lab first).
pub async fn labs() -> Result<Vec<Lab>> {
    get("/api/v1/labs/").await
}

/// One lab at a glance.
#[derive(Clone, Debug, PartialEq)]
pub struct LabSummary {
    pub running: u64,
    pub queued: u64,
    pub agents_online: usize,
    pub agents: usize,
    /// The last finished jobs with failed tests, newest first.
    pub failures: Vec<Job>,
}

/// `lab`'s summary (`default` included: `/labs/default/...` is the bare API).
pub async fn lab_summary(lab: &str) -> Result<LabSummary> {
    let at = |p: &str| format!("/labs/{lab}{p}");
    let running = list::<Job>(&at("/api/v1/jobs/"), "filter=status=running&limit=1").await?;
    let queued = list::<Job>(&at("/api/v1/jobs/"), "filter=status=pending&limit=1").await?;
    let agents = list::<Agent>(&at("/api/v1/agents/"), "limit=1000").await?;
    let failures = list::<Job>(&at("/api/v1/jobs/"), "filter=failed>0&sort=-id&limit=3").await?;
    Ok(LabSummary {
        running: running.links.total,
        queued: queued.links.total,
        agents_online: agents.data.iter().filter(|a| a.online).count(),
        agents: agents.data.len(),
        failures: failures.data,
    })
}
