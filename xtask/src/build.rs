//! Builds the two wasm artifacts: the browser app (trunk, into dist/) and the worker
//! (worker-build, into worker/build/), with local tools only; each is skipped when its inputs
//! did not change since it was last built (`stamp.rs`).

use crate::result::Result;
use crate::stamp::{self, Step};
use crate::tools::{cargo_bin, node_bin, path_env, run};
use std::path::Path;
use std::process::Command;

/// What the app's build reads. `api/` is shared; the tools' versions are in tools.rs.
const APP_INPUTS: &[&str] = &[
    "app",
    "api",
    "Cargo.toml",
    "Cargo.lock",
    "index.html",
    "Trunk.toml",
    "package-lock.json",
    "xtask/src/build.rs",
    "xtask/src/app_wasm.rs",
    "xtask/src/app_pack.rs",
    "xtask/src/tools.rs",
];

/// The app as shipped, in dist/ (wrangler.toml's assets).
const APP: Step = Step {
    name: "app",
    inputs: APP_INPUTS,
    outputs: &[
        "dist/index.html",
        "target/wasm32-unknown-unknown/release/labrelay-app.wasm",
    ],
};

/// The app as `dev` and `serve` build it, in dist-dev/, which they serve instead of dist/:
/// the tests, which serve dist/, never get it.
const APP_DEV: Step = Step {
    name: "app-dev",
    inputs: APP_INPUTS,
    outputs: &[
        "dist-dev/index.html",
        "target/wasm32-unknown-unknown/release/labrelay-app.wasm",
    ],
};

/// What the worker's build reads (it serves docs/openapi.json from inside its wasm).
const WORKER: Step = Step {
    name: "worker",
    inputs: &[
        "worker",
        "api",
        "docs/openapi.json",
        "Cargo.toml",
        "Cargo.lock",
        "package-lock.json",
        "xtask/src/build.rs",
        "xtask/src/tools.rs",
    ],
    outputs: &["worker/build/index.js"],
};

pub use crate::app_wasm::AppBuild;

/// The app as shipped, and the worker.
pub fn all(root: &Path) -> Result {
    all_as(root, AppBuild::Shipped)
}

pub fn all_as(root: &Path, how: AppBuild) -> Result {
    app(root, how)?;
    worker(root)
}

pub fn app(root: &Path, how: AppBuild) -> Result {
    let step = match how {
        AppBuild::Shipped => &APP,
        AppBuild::Dev => &APP_DEV,
    };
    stamp::run(root, step, || {
        println!("xtask: building the browser app (trunk)");
        crate::app_wasm::timed("trunk", || {
            run(Command::new(cargo_bin("trunk"))
                .args(["--skip-version-check", "build", "--release", "--dist"])
                .arg(how.dist())
                .env("PATH", path_env(root))
                .current_dir(root))
        })?;
        crate::app_wasm::split(root, how)
    })
}

pub fn worker(root: &Path) -> Result {
    stamp::run(root, &WORKER, || {
        println!("xtask: building the worker (worker-build)");
        run(Command::new(cargo_bin("worker-build"))
            .arg("--release")
            .env("PATH", path_env(root))
            .env("WASM_BINDGEN_BIN", cargo_bin("wasm-bindgen"))
            .env("WASM_OPT_BIN", node_bin(root, "wasm-opt"))
            .env("ESBUILD_BIN", node_bin(root, "esbuild"))
            .current_dir(root.join("worker")))
    })
}

/// The lab agent and the cdrouter-cli simulator (native).
pub fn agent(root: &Path, release: bool) -> Result {
    println!("xtask: building the agent");
    let mut cmd = Command::new("cargo");
    cmd.args(["build", "--package", "labrelay-agent", "--bins"]);
    if release {
        cmd.arg("--release");
    }
    run(cmd.current_dir(root))
}

pub fn agent_bin(root: &Path, release: bool, name: &str) -> std::path::PathBuf {
    root.join("target")
        .join(if release { "release" } else { "debug" })
        .join(name)
}
