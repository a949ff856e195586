//! Runs the real worker under `wrangler dev` (workerd, local Durable Object storage): for
//! `dev`/`serve` in the foreground, for tests and benchmarks on a free port with a fresh
//! state directory, always stopped when the `Server` is dropped.

use crate::http::Http;
use crate::result::Result;
use crate::tools::{node_bin, path_env};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Local defaults (written to .dev.vars by `cargo xtask dev`); a worker started without
/// `LABRELAY_DEV=1` refuses them.
pub use labrelay_api::users::{DEV_ADMIN_PASSWORD, DEV_ADMIN_TOKEN};

pub struct Server {
    child: Child,
    pub url: String,
    pub admin_token: String,
    pub admin_password: String,
    pub log: PathBuf,
    /// Its state directory (`--persist-to`): the objects' databases and R2's files.
    pub state: PathBuf,
}

pub struct Options {
    pub port: u16,
    pub state: PathBuf,
    pub admin_password: String,
    pub admin_token: String,
    /// Own process group and output to a log file (tests); otherwise inherit the terminal.
    pub background: bool,
    /// `LABRELAY_DEV=1`: the worker accepts weak or default admin secrets (local runs only;
    /// the outage scenario runs without it, as a deployment would).
    pub dev: bool,
}

impl Options {
    /// A benchmark's server: a free port, a fresh state directory named `name`, the bench
    /// secrets, in the background.
    pub fn bench(root: &Path, name: &str) -> Result<Options> {
        Options::fresh(root, name, "bench-password", "bench-token")
    }

    /// A suite's server: a free port, a fresh state directory named `name`, these secrets,
    /// in the background.
    pub fn fresh(root: &Path, name: &str, password: &str, token: &str) -> Result<Options> {
        Ok(Options {
            port: free_port()?,
            state: fresh_dir(root, name)?,
            admin_password: password.into(),
            admin_token: token.into(),
            background: true,
            dev: true,
        })
    }

    /// A scenario's server on `port` and `state`, with the local default secrets (`dev`:
    /// whether the worker may accept them).
    pub fn local(port: u16, state: &Path, dev: bool) -> Options {
        Options {
            port,
            state: state.to_path_buf(),
            admin_password: DEV_ADMIN_PASSWORD.into(),
            admin_token: DEV_ADMIN_TOKEN.into(),
            background: true,
            dev,
        }
    }
}

/// A development worker may be told to give a failing webhook up sooner than 24 h
/// (`LABRELAY_WEBHOOK_GIVE_UP_SECS`, the test suite's: a dead receiver is turned off within
/// the run).
fn webhook_give_up(dev: bool) -> Vec<String> {
    match std::env::var("LABRELAY_WEBHOOK_GIVE_UP_SECS") {
        Ok(v) if dev && v.parse::<u32>().is_ok() => {
            vec!["--var".into(), format!("WEBHOOK_GIVE_UP_SECS:{v}")]
        }
        _ => Vec::new(),
    }
}

/// wrangler's arguments to serve over HTTPS with `tls`'s certificate.
fn tls_args(tls: Option<&crate::tls::Tls>) -> Vec<String> {
    match tls {
        Some(t) => vec![
            "--local-protocol".into(),
            "https".into(),
            "--https-key-path".into(),
            t.key.display().to_string(),
            "--https-cert-path".into(),
            t.cert.display().to_string(),
        ],
        None => Vec::new(),
    }
}

/// `cargo xtask bench` turns on the worker's benchmark-only endpoints (a plain R2 PUT, the
/// baseline of the upload benchmark) with `LABRELAY_BENCH_ENDPOINTS=1`; never otherwise.
fn bench_endpoints() -> Vec<String> {
    if std::env::var("LABRELAY_BENCH_ENDPOINTS").is_ok_and(|v| v == "1") {
        vec!["--var".into(), "BENCH_ENDPOINTS:1".into()]
    } else {
        Vec::new()
    }
}

pub fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// A fresh, empty directory under target/labrelay/ (unique per process and call).
pub fn fresh_dir(root: &Path, name: &str) -> Result<PathBuf> {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = root
        .join("target/labrelay")
        .join(format!("{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}

impl Server {
    pub fn start(root: &Path, opts: Options) -> Result<Server> {
        Server::start_with(root, opts, None, None)
    }

    /// As [`Server::start`], served over HTTPS with `tls`'s certificate (a private CA's).
    pub fn start_tls(root: &Path, opts: Options, tls: &crate::tls::Tls) -> Result<Server> {
        Server::start_with(root, opts, Some(tls), None)
    }

    /// As [`Server::start`], serving the app from `assets` (a folder of the repo) instead of
    /// wrangler.toml's dist/: `dev` and `serve` serve their dev build (build.rs).
    pub fn start_assets(root: &Path, opts: Options, assets: &str) -> Result<Server> {
        Server::start_with(root, opts, None, Some(assets))
    }

    fn start_with(
        root: &Path,
        opts: Options,
        tls: Option<&crate::tls::Tls>,
        assets: Option<&str>,
    ) -> Result<Server> {
        let inspector = free_port()?;
        let log = opts.state.join("wrangler.log");
        let mut cmd = Command::new(node_bin(root, "wrangler"));
        cmd.args(["dev", "--ip", "127.0.0.1", "--port"])
            .arg(opts.port.to_string())
            .arg("--inspector-port")
            .arg(inspector.to_string())
            .arg("--persist-to")
            .arg(&opts.state)
            .arg("--show-interactive-dev-session=false")
            .arg("--var")
            .arg(format!("ADMIN_PASSWORD:{}", opts.admin_password))
            .arg("--var")
            .arg(format!("ADMIN_TOKEN:{}", opts.admin_token))
            .args(bench_endpoints())
            .args(webhook_give_up(opts.dev))
            .args(tls_args(tls))
            .args(if opts.dev {
                vec!["--var", "LABRELAY_DEV:1"]
            } else {
                vec![]
            })
            .args(assets.map(|a| ["--assets", a]).into_iter().flatten())
            .env("PATH", path_env(root))
            .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
            .env("WRANGLER_SEND_METRICS", "false")
            .env("WRANGLER_LOG_PATH", opts.state.join("wrangler-logs"))
            .current_dir(root)
            .stdin(Stdio::null());
        if opts.background {
            let file = std::fs::File::create(&log).map_err(|e| e.to_string())?;
            let err = file.try_clone().map_err(|e| e.to_string())?;
            cmd.stdout(file).stderr(err).process_group(0);
        }
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot start wrangler: {e}"))?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let server = Server {
            child,
            url: format!("{scheme}://127.0.0.1:{}", opts.port),
            admin_token: opts.admin_token,
            admin_password: opts.admin_password,
            log,
            state: opts.state.clone(),
        };
        let probe = match tls {
            None => Http::anonymous(&server.url, Duration::from_secs(5)),
            Some(t) => Http::trusting(&server.url, &t.ca, Duration::from_secs(5))?,
        };
        server.wait_ready(&probe, Duration::from_secs(90))?;
        Ok(server)
    }

    /// Until the store answers `/healthz/store` through `probe` (over HTTPS, a probe that
    /// trusts the server's CA), or `limit` passes.
    fn wait_ready(&self, probe: &Http, limit: Duration) -> Result {
        let start = Instant::now();
        let mut last = String::from("no answer");
        while start.elapsed() < limit {
            match probe.answer("GET", "/healthz/store", None) {
                Ok(a) if a.status == 200 => return Ok(()),
                Ok(a) => last = format!("HTTP {}", a.status),
                Err(e) => last = e,
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        let tail = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: String = tail.lines().rev().take(30).collect::<Vec<_>>().join("\n");
        Err(format!(
            "the worker did not answer on {} within {limit:?} ({last}); wrangler log (last lines, newest first):\n{tail}",
            self.url
        ))
    }

    /// A client of this server with its admin token.
    pub fn admin(&self, timeout: Duration) -> Http {
        Http::new(&self.url, &self.admin_token, timeout)
    }

    pub fn wait(mut self) -> Result {
        self.child.wait().map_err(|e| e.to_string())?;
        Ok(())
    }
}

impl Drop for Server {
    /// SIGINT to wrangler's process group (wrangler and workerd), then SIGKILL if it lingers.
    fn drop(&mut self) {
        let pid = self.child.id() as i32;
        let _ = Command::new("kill")
            .args(["-INT", "--", &format!("-{pid}")])
            .status();
        let _ = Command::new("kill")
            .args(["-INT", &pid.to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
