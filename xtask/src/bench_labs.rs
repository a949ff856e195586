//! `cargo xtask bench labs`: what labs cost and what they buy, against the real worker under
//! `wrangler dev`. With 50 labs of 10,000 jobs each, one lab's `GET /jobs/?limit=25` as a
//! ratio to the same request in a single-lab deployment (goal ≥ 0.9), and the cost of the
//! entry's token check for a lab (the directory's answer cached in the isolate) as a ratio to
//! a bare object hello. Not a test: it prints tables for BENCHMARKS.md and asserts nothing.

use crate::bench::{measure_all, print_table, Case, Client};
use crate::server::{free_port, fresh_dir, Options, Server};
use crate::{build, tools, Result};
use serde_json::json;
use std::path::Path;

const LABS: usize = 50;

fn start(root: &Path, name: &str) -> Result<Server> {
    Server::start(
        root,
        Options {
            port: free_port()?,
            state: fresh_dir(root, name)?,
            admin_password: "bench-password".into(),
            admin_token: "bench-token".into(),
            background: true,
            dev: true,
        },
    )
}

pub fn run(root: &Path, jobs: u64) -> Result {
    tools::ensure_all(root)?;
    build::all(root)?;

    // First a single-lab deployment: 10,000 jobs in the default lab, nothing else.
    let server = start(root, "bench-labs")?;
    let client = Client::new(&server.url, &server.admin_token);
    let (a, b) = (
        client.create_package("nat-basic")?,
        client.create_package("dhcp-basic")?,
    );
    client.seed_jobs(jobs, a, b)?;
    let one = measure_all(
        &client,
        &[
            Case::get("(e) Durable Object hello (baseline)", "/healthz/store"),
            Case::get(
                "(s) single lab: GET /jobs/?limit=25",
                "/api/v1/jobs/?limit=25",
            ),
        ],
    );
    print_table(&format!("a single-lab deployment, {jobs} jobs"), &one);

    // Then 50 more labs of as many jobs each, in the same deployment.
    let root_client = Client::new(&server.url, &server.admin_token);
    let started = std::time::Instant::now();
    for i in 0..LABS {
        let name = format!("lab-{i:02}");
        root_client.post("/api/v1/labs/", json!({"name": name}))?;
        let lab = Client::new(&format!("{}/labs/{name}", server.url), &server.admin_token);
        let (a, b) = (
            lab.create_package("nat-basic")?,
            lab.create_package("dhcp-basic")?,
        );
        lab.seed_jobs(jobs, a, b)?;
    }
    println!(
        "seeded {LABS} labs of {jobs} jobs in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    let cases = [
        Case::get("(e) Durable Object hello (baseline)", "/healthz/store"),
        Case::get(
            "(l) lab-25 of 50: GET /labs/lab-25/api/v1/jobs/?limit=25",
            "/labs/lab-25/api/v1/jobs/?limit=25",
        ),
        Case::get(
            "(d) default lab beside 50 others: GET /api/v1/jobs/?limit=25",
            "/api/v1/jobs/?limit=25",
        ),
        Case::get(
            "(a) a lab's token check + hostname: GET /labs/lab-25/api/v1/system/hostname",
            "/labs/lab-25/api/v1/system/hostname",
        ),
        Case::get(
            "(h) the default lab's hostname (checked in its own object)",
            "/api/v1/system/hostname",
        ),
    ];
    let measured = measure_all(&root_client, &cases);
    print_table(&format!("{LABS} labs of {jobs} jobs each"), &measured);
    let find = |set: &[crate::bench::Measured], p: &str| {
        set.iter()
            .find(|m| m.label.starts_with(p))
            .map(|m| (m.rps, m.p50))
    };
    if let (Some((s_rps, _)), Some((l_rps, _)), Some((e1, _)), Some((e2, _))) = (
        find(&one, "(s)"),
        find(&measured, "(l)"),
        find(&one, "(e)"),
        find(&measured, "(e)"),
    ) {
        // Each round's requests/s relative to its own hello, then lab over single (goal ≥ 0.9).
        println!(
            "\none lab of {LABS} vs a single-lab deployment, GET /jobs/?limit=25: {:.2} (req/s, each normalised by its run's hello)",
            (l_rps / e2) / (s_rps / e1)
        );
    }
    if let (Some((a_rps, _)), Some((h_rps, _)), Some((e_rps, _))) = (
        find(&measured, "(a)"),
        find(&measured, "(h)"),
        find(&measured, "(e)"),
    ) {
        println!(
            "token check for a lab: {:.2} of a bare object hello's req/s ({:.2} for the default lab's own check)",
            a_rps / e_rps,
            h_rps / e_rps
        );
    }
    drop(server);
    Ok(())
}
