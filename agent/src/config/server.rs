//! The server's URL: `https://`, or `http://` to this machine only (the token must never
//! cross a network in clear).

use super::ConfigError;
use reqwest::Url;
use std::net::IpAddr;

/// The server's URL: https, or http to this machine only.
pub(super) fn check_server(server: &str) -> Result<(), ConfigError> {
    let url = Url::parse(server)
        .ok()
        .filter(|u| u.host_str().is_some())
        .ok_or_else(|| {
            ConfigError::Invalid(format!("server must be an https:// URL, got \"{server}\""))
        })?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        "http" => Err(ConfigError::Invalid(format!(
            "server {server}: plain http:// is only for this machine (127.0.0.1, ::1, \
             localhost); the token must not cross a network in clear: use https://"
        ))),
        _ => Err(ConfigError::Invalid(format!(
            "server must be an https:// URL, got \"{server}\""
        ))),
    }
}

/// Whether the URL names this machine: 127.0.0.0/8, `::1` or `localhost`.
pub fn is_loopback(url: &Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    match host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.trim_end_matches('.').eq_ignore_ascii_case("localhost"),
    }
}
