//! `labrelay-agent check`, the real binary: it passes on a good set-up, and each failing
//! condition fails it (exit status 1) with the reason in words. The server is a small
//! in-process stand-in for `GET /api/v1/agent/whoami`; cdrouter-cli is a shell script.

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;
use tokio::net::TcpListener;

const AGENT: &str = env!("CARGO_BIN_EXE_labrelay-agent");
const AGENT_TOKEN: &str = "agent-token";
const USER_TOKEN: &str = "user-token";

/// Answers whoami like the worker: the agent token is agent 7 "lab-1", a user's token is
/// 403, anything else 401.
async fn whoami_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let service = hyper::service::service_fn(|req: Request<Incoming>| async move {
                    Ok::<_, hyper::Error>(answer(&req))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    url
}

fn answer(req: &Request<Incoming>) -> Response<Full<Bytes>> {
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let (status, body) = if req.uri().path() != "/api/v1/agent/whoami" {
        (404, r#"{"error":"no such route"}"#.to_string())
    } else if auth == format!("Bearer {AGENT_TOKEN}") {
        (
            200,
            r#"{"timestamp":"2026-01-02T03:04:05Z","data":{"id":"7","name":"lab-1","hostname":""}}"#
                .to_string(),
        )
    } else if auth == format!("Bearer {USER_TOKEN}") {
        (403, r#"{"error":"forbidden"}"#.to_string())
    } else {
        (401, r#"{"error":"invalid token"}"#.to_string())
    };
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_default()
}

/// A cdrouter-cli stand-in: a shell script with this body, made executable.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

/// A set-up where every check passes; each test breaks one thing.
struct Setup {
    dir: tempfile::TempDir,
    server: String,
    token: String,
    cli: PathBuf,
    interfaces: String,
    work: PathBuf,
}

impl Setup {
    async fn good() -> Setup {
        let dir = tempfile::tempdir().expect("tempdir");
        let cli = script(
            dir.path(),
            "cdrouter-cli",
            "echo 'CDRouter 14.2.1 (stand-in)'",
        );
        let work = dir.path().join("work");
        std::fs::create_dir(&work).expect("work dir");
        Setup {
            server: whoami_server().await,
            token: AGENT_TOKEN.into(),
            cli,
            // Every Linux machine has lo.
            interfaces: "lo".into(),
            work,
            dir,
        }
    }

    fn command(&self) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(AGENT);
        cmd.arg("check")
            .args(["--server", &self.server])
            .args(["--interfaces", &self.interfaces])
            .arg("--cdrouter-cli")
            .arg(&self.cli)
            .arg("--work-dir")
            .arg(&self.work)
            .env("LABRELAY_TOKEN", &self.token)
            .env_remove("LABRELAY_CONFIG");
        cmd
    }

    async fn run(&self) -> (i32, String) {
        report(self.command().output().await.expect("run check"))
    }

    /// Runs the check, which must fail (exit status 1); its report.
    async fn fails(&self) -> String {
        let (code, out) = self.run().await;
        assert_eq!(code, 1, "{out}");
        out
    }
}

fn report(out: Output) -> (i32, String) {
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    eprintln!("{text}{}", String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

/// The report's line for check `name` says `text`.
fn assert_says(report: &str, name: &str, text: &str) {
    assert!(line(report, name).contains(text), "{report}");
}

/// The report's line for one check.
fn line<'a>(report: &'a str, name: &str) -> &'a str {
    report
        .lines()
        .find(|l| l.get(8..).is_some_and(|rest| rest.starts_with(name)))
        .unwrap_or_else(|| panic!("no {name} line in:\n{report}"))
}

#[tokio::test]
async fn a_good_set_up_passes_with_every_check_in_words() {
    let s = Setup::good().await;
    let (code, out) = s.run().await;
    assert_eq!(code, 0, "{out}");
    assert!(line(&out, "server").starts_with("  ok"), "{out}");
    assert_says(&out, "server", "plain HTTP (loopback only)");
    assert_says(&out, "token", "valid: agent 7 \"lab-1\"");
    assert_says(&out, "cdrouter-cli", "says \"CDRouter 14.2.1 (stand-in)\"");
    assert!(line(&out, "interfaces").contains("lo ("), "{out}");
    assert_says(&out, "work dir", "is writable");
    assert!(out.ends_with("ready: all 5 checks passed\n"), "{out}");
    // The probe file is gone.
    assert_eq!(std::fs::read_dir(&s.work).expect("read").count(), 0);
}

#[tokio::test]
async fn the_config_file_is_named_and_a_readable_token_is_a_warning() {
    let s = Setup::good().await;
    let config = s.dir.path().join("agent.toml");
    std::fs::write(&config, format!("token = \"{AGENT_TOKEN}\"\n")).expect("config");
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let mut cmd = s.command();
    cmd.env_remove("LABRELAY_TOKEN")
        .arg("--config")
        .arg(&config);
    let (code, out) = report(cmd.output().await.expect("run"));
    assert_eq!(code, 0, "a warning does not fail the check: {out}");
    assert!(line(&out, "config").starts_with("  WARN"), "{out}");
    assert_says(&out, "config", "chmod 640");
}

#[tokio::test]
async fn an_unreachable_server_fails_and_the_token_is_not_checked() {
    let mut s = Setup::good().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    s.server = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let out = s.fails().await;
    assert!(line(&out, "server").starts_with("  FAIL"), "{out}");
    assert_says(&out, "server", "Connection refused");
    assert!(line(&out, "token").starts_with("  SKIP"), "{out}");
    assert!(
        out.ends_with("not ready: 2 of 5 checks did not pass\n"),
        "{out}"
    );
}

#[tokio::test]
async fn an_unknown_host_name_fails() {
    let mut s = Setup::good().await;
    s.server = "https://labrelay.invalid".into();
    let out = s.fails().await;
    assert_says(&out, "server", "cannot resolve labrelay.invalid");
}

#[tokio::test]
async fn a_tls_failure_fails_with_the_error_in_words() {
    let mut s = Setup::good().await;
    // https to a server that speaks plain HTTP: the handshake fails.
    s.server = s.server.replace("http://", "https://");
    let out = s.fails().await;
    let server = line(&out, "server");
    assert!(server.starts_with("  FAIL"), "{out}");
    assert!(server.contains("the TLS handshake failed: "), "{out}");
    assert!(line(&out, "token").starts_with("  SKIP"), "{out}");
}

#[tokio::test]
async fn a_wrong_token_fails() {
    let mut s = Setup::good().await;
    s.token = "not-a-token".into();
    let out = s.fails().await;
    assert!(line(&out, "server").starts_with("  ok"), "{out}");
    let token = line(&out, "token");
    assert!(token.starts_with("  FAIL"), "{out}");
    assert!(
        token.contains("the server refused the token (invalid token)"),
        "{out}"
    );
}

#[tokio::test]
async fn a_users_token_fails() {
    let mut s = Setup::good().await;
    s.token = USER_TOKEN.into();
    let out = s.fails().await;
    assert_says(&out, "token", "belongs to a user, not to an agent");
}

#[tokio::test]
async fn a_server_without_whoami_fails() {
    let mut s = Setup::good().await;
    s.server.push_str("/not-labrelay");
    let out = s.fails().await;
    assert_says(&out, "token", "has no /api/v1/agent/whoami");
}

#[tokio::test]
async fn a_missing_cdrouter_cli_fails() {
    let mut s = Setup::good().await;
    s.cli = s.dir.path().join("nowhere/cdrouter-cli");
    let out = s.fails().await;
    assert_says(&out, "cdrouter-cli", "does not exist");
    s.cli = PathBuf::from("labrelay-no-such-cdrouter-cli");
    let out = s.fails().await;
    assert_says(&out, "cdrouter-cli", "is not on PATH");
}

#[tokio::test]
async fn a_cdrouter_cli_that_is_not_executable_fails() {
    let mut s = Setup::good().await;
    s.cli = s.dir.path().join("cdrouter-cli.txt");
    std::fs::write(&s.cli, "#!/bin/sh\necho never\n").expect("write");
    std::fs::set_permissions(&s.cli, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let out = s.fails().await;
    assert_says(
        &out,
        "cdrouter-cli",
        "is not executable by this user (mode 0644)",
    );
}

#[tokio::test]
async fn a_cdrouter_cli_that_fails_or_hangs_fails() {
    let mut s = Setup::good().await;
    s.cli = script(s.dir.path(), "broken", "echo 'license expired' >&2; exit 3");
    let out = s.fails().await;
    assert_says(
        &out,
        "cdrouter-cli",
        "exited with status 3 and says \"license expired\"",
    );
    s.cli = script(s.dir.path(), "hangs", "exec sleep 60");
    let started = std::time::Instant::now();
    let out = s.fails().await;
    assert_says(&out, "cdrouter-cli", "did not finish within 10 s");
    assert!(
        started.elapsed().as_secs() < 30,
        "the check waited too long"
    );
}

#[tokio::test]
async fn a_missing_interface_fails() {
    let mut s = Setup::good().await;
    s.interfaces = "lo,labrelay-nosuch0".into();
    let out = s.fails().await;
    assert!(
        line(&out, "interfaces").contains("labrelay-nosuch0 not on this machine (it has: "),
        "{out}"
    );
}

#[tokio::test]
async fn a_work_dir_that_is_not_a_directory_fails() {
    let mut s = Setup::good().await;
    s.work = s.dir.path().join("a-file");
    std::fs::write(&s.work, "x").expect("write");
    let out = s.fails().await;
    assert_says(&out, "work dir", "is not a directory");
    s.work = s.work.join("below");
    let out = s.fails().await;
    assert_says(&out, "work dir", "nor does its parent");
}

/// Runs the check as a user who may not write `readonly`: root is refused nothing, so as
/// root it runs as nobody (setpriv, util-linux); otherwise `readonly` is made read-only.
async fn check_without_write_access(s: &Setup, readonly: &Path) -> (i32, String) {
    for p in [s.dir.path(), readonly] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let mut cmd = if nix::unistd::geteuid().is_root() {
        let mut c = tokio::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", AGENT]);
        c
    } else {
        std::fs::set_permissions(readonly, std::fs::Permissions::from_mode(0o555)).expect("chmod");
        tokio::process::Command::new(AGENT)
    };
    let base = s.command();
    cmd.args(base.as_std().get_args())
        .env("LABRELAY_TOKEN", &s.token)
        .env_remove("LABRELAY_CONFIG");
    report(cmd.output().await.expect("run"))
}

#[tokio::test]
async fn a_work_dir_this_user_cannot_write_fails() {
    let s = Setup::good().await;
    let (code, out) = check_without_write_access(&s, &s.work).await;
    assert_eq!(code, 1, "{out}");
    let work = line(&out, "work dir");
    assert!(
        work.contains("is not writable by this user: Permission denied"),
        "{out}"
    );
}

#[tokio::test]
async fn a_work_dir_this_user_cannot_create_fails() {
    let mut s = Setup::good().await;
    let parent = s.work.clone();
    s.work = parent.join("not-yet");
    let (code, out) = check_without_write_access(&s, &parent).await;
    assert_eq!(code, 1, "{out}");
    let work = line(&out, "work dir");
    assert!(
        work.contains("does not exist and this user cannot create it"),
        "{out}"
    );
}

/// A TLS server (`openssl s_server`) whose certificate comes from a private CA, on a free
/// port.
struct PrivateTls {
    child: tokio::process::Child,
    url: String,
}

fn openssl(args: &[&str], dir: &Path) -> bool {
    std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

async fn private_ca_tls_server(dir: &Path) -> Option<PrivateTls> {
    std::fs::write(
        dir.join("leaf.ext"),
        "basicConstraints=critical,CA:FALSE\nsubjectAltName=IP:127.0.0.1\n",
    )
    .ok()?;
    let made = [
        "req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=Lab-CA -keyout ca.key -out ca.pem",
        "req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout key.pem -out leaf.csr",
        "x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 \
         -extfile leaf.ext -out cert.pem",
    ]
    .iter()
    .all(|args| openssl(&args.split_whitespace().collect::<Vec<_>>(), dir));
    if !made {
        return None;
    }
    let (key, cert) = (dir.join("key.pem"), dir.join("cert.pem"));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let child = tokio::process::Command::new("openssl")
        .args(["s_server", "-quiet", "-www", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .ok()?;
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(PrivateTls {
                child,
                url: format!("https://127.0.0.1:{port}"),
            });
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    None
}

#[tokio::test]
async fn an_untrusted_certificate_fails_with_the_reason() {
    let mut s = Setup::good().await;
    let Some(mut tls) = private_ca_tls_server(s.dir.path()).await else {
        eprintln!("skipped: no openssl to make a TLS server");
        return;
    };
    s.server = tls.url.clone();
    let (code, out) = s.run().await;
    let _ = tls.child.kill().await;
    assert_eq!(code, 1, "{out}");
    let server = line(&out, "server");
    assert!(
        server.contains("the TLS handshake failed: invalid peer certificate: UnknownIssuer"),
        "{out}"
    );
    assert!(server.contains("private CA"), "{out}");
}

#[tokio::test]
async fn plain_http_to_another_machine_is_refused_before_anything_is_checked() {
    let mut s = Setup::good().await;
    s.server = "http://labrelay.example.com".into();
    let out = s.command().output().await.expect("run check");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("plain http:// is only for this machine") && err.contains("use https://"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "no check ran");
}

#[tokio::test]
async fn cdrouter_cli_is_asked_for_its_version_without_the_agents_settings() {
    let mut s = Setup::good().await;
    s.cli = script(
        s.dir.path(),
        "cdrouter-cli-env",
        "echo \"CDRouter, LABRELAY_ variables: $(env | grep -c '^LABRELAY_')\"",
    );
    let (code, out) = s.run().await;
    assert_eq!(code, 0, "{out}");
    assert!(
        line(&out, "cdrouter-cli").contains("LABRELAY_ variables: 0"),
        "the token (LABRELAY_TOKEN) reached cdrouter-cli: {out}"
    );
}
