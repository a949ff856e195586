//! Where a hook may send (SSRF): `https://` only — plain `http://` to a loopback address too
//! when the worker runs for development (`LABRELAY_DEV`) — with no credentials in the URL
//! and no host that names this side of the network: IP literals in private, loopback,
//! link-local (cloud metadata), CGNAT, multicast or unspecified ranges, `localhost`, and
//! `.local`, `.internal`, `.localhost` names. Redirects are never followed (`deliver.rs`).

use std::net::{Ipv4Addr, Ipv6Addr};
use worker::url::Host;
use worker::Url;

fn private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0)
        || (a == 198 && (18..20).contains(&b))
        || a >= 240
}

fn private_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return private_v4(v4);
    }
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
}

/// Whether `url` may be a hook's target; the reason when not.
pub fn check(url: &str, dev: bool) -> Result<(), String> {
    let u = Url::parse(url).map_err(|e| format!("url is not a URL: {e}"))?;
    if !u.username().is_empty() || u.password().is_some() {
        return Err("url must not carry credentials: send them in the signature".into());
    }
    let loopback = match u.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => return Err("url has no host".into()),
    };
    match u.scheme() {
        "https" => {}
        "http" if dev && loopback => return Ok(()),
        _ => return Err("url must be https://".into()),
    }
    let refused = match u.host() {
        Some(Host::Ipv4(ip)) => private_v4(ip),
        Some(Host::Ipv6(ip)) => private_v6(ip),
        Some(Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost"
                || [".localhost", ".local", ".internal", ".lan", ".home.arpa"]
                    .iter()
                    .any(|s| d.ends_with(s))
                || !d.contains('.')
        }
        None => true,
    };
    if refused && !(dev && loopback) {
        return Err(format!(
            "url's host {} is on a private, loopback or link-local network: refused",
            u.host_str().unwrap_or_default()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn only_public_https_targets_pass() {
        assert_eq!(check("https://hooks.example.com/x?y=1", false), Ok(()));
        assert_eq!(check("https://203.0.114.9/hook", false), Ok(()));
        for bad in [
            "http://hooks.example.com/x",
            "ftp://hooks.example.com/",
            "https://user:pw@hooks.example.com/",
            "https://169.254.169.254/latest/meta-data/",
            "https://10.0.0.5/",
            "https://192.168.1.1/",
            "https://172.16.0.1/",
            "https://100.64.0.1/",
            "https://127.0.0.1/",
            "https://[::1]/",
            "https://[fd00::1]/",
            "https://[fe80::1]/",
            "https://[::ffff:10.0.0.1]/",
            "https://0.0.0.0/",
            "https://localhost/",
            "https://metadata.google.internal/",
            "https://printer.local/",
            "https://intranet/",
            "not a url",
        ] {
            assert!(check(bad, false).is_err(), "{bad} passed");
        }
        // Development: a receiver on this machine.
        assert_eq!(check("http://127.0.0.1:9000/hook", true), Ok(()));
        assert_eq!(check("http://localhost:9000/hook", true), Ok(()));
        assert!(check("http://10.0.0.5/hook", true).is_err());
    }
}
