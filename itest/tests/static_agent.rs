//! The packaged agent on a machine with nothing else on it: the tarball of `cargo xtask
//! dist` (`LABRELAY_DIST_TARBALL`) is unpacked and checked against its `SHA256SUMS`, and its
//! binary runs in an empty root (a chroot holding only the agent, a static build of the
//! cdrouter-cli simulator (`LABRELAY_STATIC_SIM_BIN`) with the recorded runs it replays, a CA
//! bundle and `/dev/null`: no C library, no `/etc/passwd`, no `/proc`, no `/sys`):
//! `--version`, `check`, and a job claimed, run and reported to the real worker.

use labrelay_itest::own::package_on;
use labrelay_itest::{base_url, id, unique, wait_for_job, Api, Scratch};
use serde_json::{json, Value};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Where Debian and Rocky keep the system's CA bundle.
const CA_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
];

fn env_path(name: &str) -> PathBuf {
    std::env::var_os(name)
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("{name} is set by `cargo xtask test`"))
}

fn sh(cmd: &mut Command) -> String {
    let out = cmd.output().expect("command runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Unpacks the tarball into `dir`, checks its checksums; the package's directory.
fn unpack(tarball: &Path, dir: &Path) -> PathBuf {
    sh(Command::new("tar")
        .arg("-xzf")
        .arg(tarball)
        .arg("-C")
        .arg(dir));
    let name = tarball
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_suffix(".tar.gz"))
        .expect("name.tar.gz");
    let pkg = dir.join(name);
    let sums = sh(Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(&pkg));
    assert_eq!(sums.matches(": OK").count(), 4, "{sums}");
    pkg
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)
            .expect("read dir")
            .filter_map(Result::ok)
        {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(dir) {
                out.push(rel.display().to_string());
            }
        }
    }
    out.sort();
    out
}

/// The root: the agent, the simulator as `/cdrouter-cli` with its recorded runs in
/// `/exports`, a CA bundle, and a place for `/dev/null` (children's stdin; [`in_root`] binds
/// the real one there). Nothing else.
fn empty_root(pkg: &Path, root: &Path) {
    let copy = |from: &Path, to: &str, mode: u32| {
        let to = root.join(to);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::copy(from, &to).expect("copy into the root");
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(mode)).expect("chmod");
    };
    copy(&pkg.join("labrelay-agent"), "labrelay-agent", 0o755);
    copy(&env_path("LABRELAY_STATIC_SIM_BIN"), "cdrouter-cli", 0o755);
    let exports = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/cdrouter-exports");
    for e in std::fs::read_dir(&exports).expect("the simulator's recorded runs") {
        let path = e.expect("entry").path();
        if path.extension().is_some_and(|x| x == "gz") {
            let name = path.file_name().and_then(|n| n.to_str()).expect("name");
            copy(&path, &format!("exports/{name}"), 0o644);
        }
    }
    if let Some(bundle) = CA_BUNDLES.iter().map(Path::new).find(|p| p.is_file()) {
        copy(bundle, "etc/ssl/certs/ca-certificates.crt", 0o644);
    }
    std::fs::create_dir_all(root.join("dev")).expect("mkdir dev");
    std::fs::write(root.join("dev/null"), "").expect("dev/null mount point");
}

/// A command run with `root` as its `/`: in a mount namespace of its own (a user namespace
/// too when not root), the real /dev/null bound in, then chroot.
fn in_root(root: &Path, argv: &[&str]) -> Command {
    let uid = sh(Command::new("id").arg("-u"));
    let mut cmd = Command::new("unshare");
    if uid.trim() != "0" {
        cmd.arg("--map-root-user");
    }
    cmd.args(["--mount", "sh", "-c"])
        .arg(r#"mount --bind /dev/null "$0/dev/null" && exec chroot "$0" "$@""#)
        .arg(root)
        .args(argv)
        // Nothing from this machine's environment either (PATH finds mount and chroot).
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("LABRELAY_LOG", "info");
    cmd
}

/// Interfaces of its own, and a package whose config puts its jobs on them.
fn lab(api: &Api) -> (Vec<String>, Value) {
    package_on(api, "static", &["cdrouter_basic_1", "cdrouter_nat_1"])
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        // Two SIGTERMs (the second stops a running job), then make sure.
        let pid = self.0.id().to_string();
        for _ in 0..2 {
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
            std::thread::sleep(Duration::from_millis(300));
        }
        for _ in 0..50 {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_packaged_agent_runs_a_job_in_an_empty_root() {
    let scratch = Scratch::new("labrelay-static");
    let pkg = unpack(&env_path("LABRELAY_DIST_TARBALL"), &scratch.path);
    assert_eq!(
        files(&pkg),
        [
            "INSTALL.md",
            "SHA256SUMS",
            "agent.toml.example",
            "labrelay-agent",
            "labrelay-agent.service"
        ]
    );
    let root = scratch.path.join("root");
    empty_root(&pkg, &root);
    let in_root_files: Vec<String> = files(&root)
        .into_iter()
        .filter(|f| !f.starts_with("exports/"))
        .collect();
    assert!(
        in_root_files.len() <= 4,
        "only the agent, the simulator and its runs, a CA bundle and dev/null: {in_root_files:?}"
    );

    let version = sh(&mut in_root(&root, &["/labrelay-agent", "--version"]));
    assert!(version.starts_with("labrelay-agent "), "{version}");

    let api = Api::admin();
    let agent = api.create("agents", json!({"name": unique("static-agent")}));
    let token = agent["token"].as_str().expect("token").to_string();
    let (ifaces, pkg_record) = lab(&api);
    let url = base_url();
    let common = [
        "--server",
        &url,
        "--token",
        &token,
        "--cdrouter-cli",
        "/cdrouter-cli",
        "--work-dir",
        "/work",
    ];

    // check: the server, the token and cdrouter-cli pass from inside the root; interfaces
    // cannot, with no /sys to list them (so the exit status is not asked for here).
    let mut argv = vec!["/labrelay-agent", "check", "--interfaces", "lo"];
    argv.extend_from_slice(&common);
    let out = in_root(&root, &argv).output().expect("check runs");
    let report = String::from_utf8_lossy(&out.stdout);
    eprintln!("check in the empty root:\n{report}");
    assert!(report.contains("  ok    server "), "{report}");
    assert!(
        report.contains(&format!("valid: agent {} ", id(&agent))),
        "{report}"
    );
    assert!(report.contains("  ok    cdrouter-cli "), "{report}");

    let lanwan = ifaces.join(",");
    let mut argv = vec![
        "/labrelay-agent",
        "--interfaces",
        &lanwan,
        "--stop-grace",
        "3",
    ];
    argv.extend_from_slice(&common);
    let log = std::fs::File::create(scratch.path.join("agent.log")).expect("log file");
    let running = Running(
        in_root(&root, &argv)
            .env("CDROUTER_SIM_TEST_MS", "50")
            .env("CDROUTER_SIM_EXPORTS", "/exports")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("the agent starts in the root"),
    );
    let job = api
        .post("/api/v1/jobs/", &json!({"package_id": pkg_record["id"]}))
        .expect(200)
        .data()
        .clone();
    let done = wait_for_job(&api, &id(&job), Duration::from_secs(90), |j| {
        matches!(
            j["status"].as_str(),
            Some("completed" | "stopped" | "error")
        )
    });
    let agent_log = || std::fs::read_to_string(scratch.path.join("agent.log")).unwrap_or_default();
    assert_eq!(done["status"], "completed", "{done}\n{}", agent_log());
    assert_eq!(done["agent_id"], agent["id"]);
    assert_eq!(done["progress"]["done"], 2, "{done}");
    let log = labrelay_itest::read_log(&api, &id(&job));
    assert!(log.contains("PASS: Test cdrouter_basic_1 ("), "{log}");
    assert_eq!(done["progress"]["passed"], 2, "{done}");
    // The job's directory is in the root, where the agent put it.
    assert!(root.join(format!("work/job-{}", id(&job))).is_dir());
    drop(running);
    // Leave the shared server as it was found (the browser tests page through configs).
    api.delete(&format!("/api/v1/jobs/{}/", id(&job)))
        .expect(204);
    api.delete(&format!("/api/v1/packages/{}/", id(&pkg_record)))
        .expect(204);
    let cfg = pkg_record["config_id"].as_str().expect("config id");
    api.delete(&format!("/api/v1/configs/{cfg}/")).expect(204);
    api.delete(&format!("/api/v1/agents/{}/", id(&agent)))
        .expect(204);
}
