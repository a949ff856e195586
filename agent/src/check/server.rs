//! The server side of `check`: can this machine reach the server (name, TCP, then TLS for
//! https), and whose is the token (`GET /api/v1/agent/whoami`)?
//!
//! It talks to the server with its own small reqwest client, built as the agent's is (same
//! crate features, so the same rustls and the same built-in root certificates): a TLS
//! failure here is one the agent would meet. The TCP connect comes first, on its own, so a
//! failure is named for what it is: the name, the connection, or the TLS handshake.

use super::Item;
use crate::config::is_loopback;
use crate::trust::Trust;
use labrelay_api::agents::WhoAmI;
use labrelay_api::{Envelope, ErrorBody};
use reqwest::Url;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// As the agent's client: a healthy network connects well within it.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// `whoami` reads one row: it answers at once or something is wrong.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

const SERVER: &str = "server";
const TOKEN: &str = "token";

/// The `server` and `token` lines. `host` is this machine's name as the agent reports it.
/// `trust`: the certificate authorities the agent trusts besides the built-in ones.
pub async fn server_and_token(
    server: &str,
    token: &str,
    host: &str,
    trust: &Trust,
) -> (Item, Item) {
    let not_checked = |why: &str| Item::skipped(TOKEN, format!("not checked: {why}"));
    let url = match server_url(server) {
        Ok(u) => u,
        Err(why) => return (Item::fail(SERVER, why), not_checked("no server")),
    };
    let (addr, took) = match connect(&url).await {
        Ok(c) => c,
        Err(why) => {
            return (
                Item::fail(SERVER, why),
                not_checked("the server is not reachable"),
            )
        }
    };
    let tls = url.scheme() == "https";
    let reached = format!("{server}: connected to {addr} in {} ms", took.as_millis());
    let resp = match whoami(server, token, trust).await {
        Ok(r) => r,
        Err(e) => {
            return (
                Item::fail(SERVER, no_answer(&reached, &e, tls, trust)),
                not_checked("the server did not answer"),
            );
        }
    };
    let server_item = answered(&url, &reached, tls, trust);
    (server_item, token_item(resp, host).await)
}

/// The server's URL, with a host; else why not.
fn server_url(server: &str) -> Result<Url, String> {
    match Url::parse(server) {
        Ok(u) if u.host_str().is_some() => Ok(u),
        Ok(_) => Err(format!("{server}: no host in the URL")),
        Err(e) => Err(format!("{server} is not a URL: {e}")),
    }
}

/// Why a server that took the connection did not answer `whoami`.
fn no_answer(reached: &str, e: &reqwest::Error, tls: bool, trust: &Trust) -> String {
    let chain = error_chain(e);
    if e.is_timeout() {
        format!(
            "{reached}, but no answer within {} s: {chain}",
            CALL_TIMEOUT.as_secs()
        )
    } else if tls && e.is_connect() {
        format!(
            "{reached}, but the TLS handshake failed: {}",
            tls_cause(e, trust)
        )
    } else {
        format!("{reached}, but the request failed: {chain}")
    }
}

/// The `server` line of a server that answered: how the connection was secured.
fn answered(url: &Url, reached: &str, tls: bool, trust: &Trust) -> Item {
    if tls {
        let by = match trust.file() {
            Some(f) => format!(
                "certificate verified; trusting the built-in authorities and {} from {}",
                trust.count(),
                f.display()
            ),
            None => "certificate verified".to_string(),
        };
        Item::ok(SERVER, format!("{reached}; TLS ok ({by})"))
    } else if is_loopback(url) {
        Item::ok(SERVER, format!("{reached}; plain HTTP (loopback only)"))
    } else {
        Item::warn(
            SERVER,
            format!("{reached}; plain HTTP: the token crosses the network unencrypted, use https"),
        )
    }
}

/// Resolves the URL's host and connects to the first address that takes it.
async fn connect(url: &Url) -> Result<(SocketAddr, Duration), String> {
    let host = url.host_str().unwrap_or_default().to_string();
    let port = url.port_or_known_default().unwrap_or(443);
    let blocking =
        tokio::task::spawn_blocking(move || -> Result<(SocketAddr, Duration), String> {
            let bare = host.trim_start_matches('[').trim_end_matches(']');
            let addrs: Vec<SocketAddr> = (bare, port)
                .to_socket_addrs()
                .map_err(|e| format!("cannot resolve {host}: {e}"))?
                .collect();
            let mut last = String::from("no address");
            for addr in &addrs {
                let start = Instant::now();
                match TcpStream::connect_timeout(addr, CONNECT_TIMEOUT) {
                    Ok(_) => return Ok((*addr, start.elapsed())),
                    Err(e) => last = format!("{addr}: {e}"),
                }
            }
            Err(format!("cannot connect to {host} port {port} ({last})"))
        });
    // Name resolution has no timeout of its own: give it one.
    match tokio::time::timeout(CONNECT_TIMEOUT * 2, blocking).await {
        Ok(Ok(result)) => result,
        Ok(Err(e)) => Err(format!("the connection check failed: {e}")),
        Err(_) => Err(format!(
            "no connection within {} s (name resolution or connect)",
            (CONNECT_TIMEOUT * 2).as_secs()
        )),
    }
}

async fn whoami(
    server: &str,
    token: &str,
    trust: &Trust,
) -> Result<reqwest::Response, reqwest::Error> {
    let builder = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(CALL_TIMEOUT)
        .user_agent(concat!(
            "labrelay-agent/",
            env!("CARGO_PKG_VERSION"),
            " check"
        ));
    trust
        .apply(builder)
        .build()?
        .get(format!("{server}/api/v1/agent/whoami"))
        .bearer_auth(token)
        .send()
        .await
}

async fn token_item(resp: reqwest::Response, host: &str) -> Item {
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap_or_default();
    match status {
        200 => match serde_json::from_str::<Envelope<WhoAmI>>(&body) {
            Ok(env) => who(&env.data, host),
            Err(e) => Item::fail(
                TOKEN,
                format!("the server answered 200 but not with an agent ({e}): is this a Labrelay server?"),
            ),
        },
        401 => Item::fail(
            TOKEN,
            format!(
                "the server refused the token ({}): it is mistyped, or the agent was deleted; \
                 an admin registers the agent again (POST /api/v1/agents/) and you put the new token in the config",
                message_of(&body)
            ),
        ),
        403 => Item::fail(
            TOKEN,
            "this token belongs to a user, not to an agent: use the token shown when the agent was registered",
        ),
        404 => Item::fail(
            TOKEN,
            format!(
                "the server has no /api/v1/agent/whoami ({}): it is not a Labrelay server, or an older one",
                message_of(&body)
            ),
        ),
        _ => Item::fail(
            TOKEN,
            format!("the server answered {status}: {}", message_of(&body)),
        ),
    }
}

fn who(me: &WhoAmI, host: &str) -> Item {
    let agent = format!("valid: agent {} \"{}\"", me.id, me.name);
    if me.hostname.is_empty() {
        Item::ok(TOKEN, format!("{agent}, not used by a running agent yet"))
    } else if me.hostname == host {
        Item::ok(TOKEN, format!("{agent}, last used from this host ({host})"))
    } else {
        Item::warn(
            TOKEN,
            format!(
                "{agent}, last used from host \"{}\", not this one (\"{host}\"): one token is \
                 for one machine",
                me.hostname
            ),
        )
    }
}

/// The innermost cause (rustls's own words), with a hint for the common case.
fn tls_cause(e: &(dyn std::error::Error + 'static), trust: &Trust) -> String {
    let mut inner = e;
    while let Some(s) = inner.source() {
        inner = s;
    }
    let text = inner.to_string();
    if !text.contains("UnknownIssuer") {
        return text;
    }
    match trust.file() {
        None => format!(
            "{text} (the agent trusts the public certificate authorities built into it; for a \
             private CA or a TLS-inspecting proxy, give its certificate with --ca-file)"
        ),
        Some(f) => format!(
            "{text} (neither the built-in certificate authorities nor the {} in {} issued it)",
            trust.count(),
            f.display()
        ),
    }
}

// The two helpers below repeat client.rs's (kept apart so the check needs nothing from the
// agent's transport).

/// The `error` of a `{timestamp, error}` body, else the start of the body.
fn message_of(body: &str) -> String {
    match serde_json::from_str::<ErrorBody>(body) {
        Ok(e) => e.error,
        Err(_) => {
            let s: String = body.trim().chars().take(200).collect();
            if s.is_empty() {
                "no message".into()
            } else {
                s
            }
        }
    }
}

/// reqwest's top-level message is often just "error sending request": add the causes.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me(hostname: &str) -> WhoAmI {
        WhoAmI {
            id: labrelay_api::Id(7),
            name: "lab-1".into(),
            hostname: hostname.into(),
        }
    }

    #[test]
    fn the_token_line_names_the_agent_and_where_it_ran() {
        let never = who(&me(""), "rocky-1");
        assert!(
            never.passed() && never.text.contains("agent 7 \"lab-1\""),
            "{never}"
        );
        assert_eq!(
            who(&me("rocky-1"), "rocky-1").verdict,
            super::super::Verdict::Ok
        );
        let elsewhere = who(&me("rocky-2"), "rocky-1");
        assert_eq!(elsewhere.verdict, super::super::Verdict::Warn);
        assert!(elsewhere.text.contains("rocky-2"), "{elsewhere}");
    }

    #[test]
    fn loopback_is_known() {
        for (url, lo) in [
            ("http://127.0.0.1:8787", true),
            ("http://[::1]:8787", true),
            ("http://localhost", true),
            ("http://10.0.0.1", false),
            ("http://labrelay.example.com", false),
        ] {
            assert_eq!(is_loopback(&Url::parse(url).expect("url")), lo, "{url}");
        }
    }

    #[tokio::test]
    async fn bad_urls_and_unknown_names_fail_in_words() {
        let (server, token) = server_and_token("http://", "t", "h", &Trust::default()).await;
        assert_eq!(server.verdict, super::super::Verdict::Fail, "{server}");
        assert_eq!(token.verdict, super::super::Verdict::Skipped);
        // .invalid never resolves (RFC 2606).
        let (server, _) =
            server_and_token("https://labrelay.invalid", "t", "h", &Trust::default()).await;
        assert!(
            server.text.contains("cannot resolve labrelay.invalid"),
            "{server}"
        );
    }
}
