//! One run of cdrouter-cli, in three steps: [`prepare`] (the job's files written after
//! [`checks`](super::checks), the command line), `run` (the process followed to its end)
//! and `outcome` (how it ended, as a finish).

use super::log::JobLog;
use super::outcome::{self, error_finish, Outcome};
use super::{checks, command, run, Prepared};
use crate::client::Client;
use crate::config::RunSettings;
use crate::progress::Tally;
use tokio::sync::watch;

/// Writes the job's files, runs cdrouter-cli and turns how it ended into a finish.
pub async fn execute(
    job: &Prepared,
    client: &Client,
    settings: &RunSettings,
    hard_stop: watch::Receiver<bool>,
    log: &mut JobLog,
) -> Outcome {
    let claim = &job.claim;
    let planned: Vec<String> = claim
        .job
        .options
        .planned(&claim.testlist)
        .into_iter()
        .cloned()
        .collect();
    let nothing_seen = Tally::new(planned.len() as u64).summary();
    let args = match prepare(job, settings, log) {
        Ok(args) => args,
        Err(reason) => return error_finish(reason, nothing_seen),
    };
    match run::run(job, client, settings, &args, planned, hard_stop, log).await {
        Ok(ran) => outcome::outcome(ran, settings, &job.wake, log),
        Err(reason) => error_finish(reason, nothing_seen),
    }
}

/// Checks what the server sent, writes the job's files (test list, config, result
/// directory) and says the command line in the log; Err: why the job cannot run, noted.
fn prepare(
    job: &Prepared,
    settings: &RunSettings,
    log: &mut JobLog,
) -> Result<Vec<String>, String> {
    let claim = &job.claim;
    let id = claim.job.id;
    let config_text = command::edit_config(&claim.config, &claim.job.options.testvars);
    let checked =
        checks::check_claim(claim).and_then(|()| checks::check_written_config(&config_text));
    if let Err(why) = checked {
        let reason = format!("the agent refused the job: {why}");
        tracing::error!(job = %id, "{reason}");
        log.note(&reason);
        return Err(reason);
    }
    let config_file = job.dir.join(command::config_file_name(&claim.config_name));
    let mut testlist = claim.testlist.join("\n");
    testlist.push('\n');
    let written = std::fs::write(job.dir.join("testlist.log"), testlist)
        .and_then(|()| std::fs::write(&config_file, &config_text))
        .and_then(|()| std::fs::create_dir_all(job.outbox.result_dir()));
    if let Err(e) = written {
        let reason = format!("cannot write the job's files in {}: {e}", job.dir.display());
        log.note(&reason);
        return Err(reason);
    }
    let args = command::command_args(settings, claim, &job.dir, &config_file).map_err(|e| {
        log.note(&e.to_string());
        e.to_string()
    })?;
    let program = settings.cdrouter_cli.display().to_string();
    log.note(&format!(
        "job {id}: {}",
        shell_words::join(std::iter::once(&program).chain(&args))
    ));
    Ok(args)
}
