//! `cargo xtask dev` and `serve`: build (skipped when nothing changed), then the real worker
//! under `wrangler dev` on local storage; with `dev`, the default lab and a demo lab, each with
//! demo data and a local agent on the cdrouter-cli simulator. The app they serve is its dev
//! build, in dist-dev/ (not optimized: build.rs), unless `--shipped-app`.

use crate::result::Result;
use crate::server::{Options, Server, DEV_ADMIN_PASSWORD, DEV_ADMIN_TOKEN};
use crate::{build, tools};
use std::path::{Path, PathBuf};

/// .dev.vars with the local defaults, unless the user has their own.
fn ensure_dev_vars(root: &Path) -> Result {
    let path = root.join(".dev.vars");
    if path.exists() {
        return Ok(());
    }
    std::fs::write(
        &path,
        format!("ADMIN_PASSWORD={DEV_ADMIN_PASSWORD}\nADMIN_TOKEN={DEV_ADMIN_TOKEN}\n"),
    )
    .map_err(|e| format!("cannot write .dev.vars: {e}"))
}

/// The local admin token (`.dev.vars`, else the default).
pub fn dev_token(root: &Path) -> String {
    read_dev_var(root, "ADMIN_TOKEN", DEV_ADMIN_TOKEN)
}

fn read_dev_var(root: &Path, key: &str, default: &str) -> String {
    std::fs::read_to_string(root.join(".dev.vars"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")).map(str::to_string))
        .unwrap_or_else(|| default.to_string())
}

/// The demo lab, made when missing (a lab of its own, as a second CDRouter box would be).
fn demo_lab(server: &Server) -> Result<&'static str> {
    let lab = crate::local_agent::DEMO_LAB;
    let answer = server.admin(std::time::Duration::from_secs(10)).answer(
        "POST",
        "/api/v1/labs/",
        Some(&serde_json::json!({
            "name": lab,
            "description": "a second lab, as a second CDRouter system would be (cargo xtask dev)"
        })),
    )?;
    match answer.status {
        s if s < 400 || s == 409 => Ok(lab),
        s => Err(format!("POST /api/v1/labs/: {s} {}", answer.body)),
    }
}

/// On an empty store (of the default lab, or `lab`), the demo configs, devices and packages
/// (a failure is only reported: the server runs without them).
fn first_run(root: &Path, server: &Server, lab: Option<&str>) {
    let url = match lab {
        Some(l) => format!("{}/labs/{l}", server.url),
        None => server.url.clone(),
    };
    match crate::demo::seed_if_empty(root, &url, &server.admin_token) {
        Ok(made) if made.is_empty() => {}
        Ok(made) => println!(
            "xtask: a first run: {} demo configs, devices and packages from the real CDRouter exports (tagged {})",
            made.len(),
            crate::demo::TAG
        ),
        Err(e) => eprintln!("xtask: could not add the demo data: {e}"),
    }
}

pub fn serve(root: &Path, port: u16, state: Option<PathBuf>, app: build::AppBuild) -> Result {
    run(root, port, state, false, app)
}

pub fn dev(root: &Path, app: build::AppBuild) -> Result {
    run(root, 8787, None, true, app)
}

fn run(
    root: &Path,
    port: u16,
    state: Option<PathBuf>,
    with_agent: bool,
    app: build::AppBuild,
) -> Result {
    tools::ensure_all(root)?;
    build::all_as(root, app)?;
    ensure_dev_vars(root)?;
    let state = state.unwrap_or_else(|| root.join(".state"));
    std::fs::create_dir_all(&state).map_err(|e| e.to_string())?;
    let password = read_dev_var(root, "ADMIN_PASSWORD", DEV_ADMIN_PASSWORD);
    let token = read_dev_var(root, "ADMIN_TOKEN", DEV_ADMIN_TOKEN);
    // Ctrl-C reaches wrangler directly (same process group); xtask just waits for it.
    let _ = ctrlc::set_handler(|| {});
    let server = Server::start_assets(
        root,
        Options {
            port,
            state: state.clone(),
            admin_password: password.clone(),
            admin_token: token.clone(),
            background: false,
            dev: true,
        },
        app.dist(),
    )?;
    // With `dev`: the default lab and a demo lab, each with demo data and a local agent.
    let mut agents = Vec::new();
    if with_agent {
        first_run(root, &server, None);
        agents.push(crate::local_agent::start(root, &server, &state, None)?);
        match demo_lab(&server) {
            Ok(lab) => {
                first_run(root, &server, Some(lab));
                agents.push(crate::local_agent::start(root, &server, &state, Some(lab))?);
            }
            Err(e) => eprintln!("xtask: could not make the demo lab: {e}"),
        }
    }
    println!();
    println!("  Labrelay is running: {}/", server.url);
    println!("  Sign in as admin / {password}   (API token: {token})");
    if !agents.is_empty() {
        println!(
            "  Two labs: the default one and \"{}\" (switch in the app's header; All labs shows both).",
            crate::local_agent::DEMO_LAB
        );
        println!(
            "  A local lab agent in each runs jobs on the cdrouter-cli simulator (interfaces {}).",
            crate::local_agent::INTERFACES
        );
    }
    println!("  Data: {}   Stop: Ctrl-C", state.display());
    println!();
    let result = server.wait();
    drop(agents);
    result
}
