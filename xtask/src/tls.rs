//! A private certificate authority and a certificate for 127.0.0.1 signed by it, made fresh
//! for a test run: the worker is served over HTTPS with them (`Server::start_tls`) so the
//! tests can show the agent trusting a private CA only when told to (`--ca-file`).

use crate::result::Result;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use std::path::{Path, PathBuf};

/// The files: the CA's certificate (what `--ca-file` takes), and the server's certificate
/// and key (what wrangler serves).
pub struct Tls {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Writes a new CA and a server certificate for `127.0.0.1` and `localhost` into `dir`.
pub fn make(dir: &Path) -> Result<Tls> {
    let err = |e: rcgen::Error| format!("making the test certificates: {e}");
    let ca_key = KeyPair::generate().map_err(err)?;
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "Labrelay test CA (private)");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).map_err(err)?;
    let key = KeyPair::generate().map_err(err)?;
    let mut server = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .map_err(err)?;
    server
        .distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    let cert = server.signed_by(&key, &ca_cert, &ca_key).map_err(err)?;
    let tls = Tls {
        ca: dir.join("ca.pem"),
        cert: dir.join("server.pem"),
        key: dir.join("server-key.pem"),
    };
    for (path, text) in [
        (&tls.ca, ca_cert.pem()),
        (&tls.cert, cert.pem()),
        (&tls.key, key.serialize_pem()),
    ] {
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(tls)
}
