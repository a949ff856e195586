//! Which certificate authorities the agent trusts for the server's TLS: the public ones built
//! into it, plus those of `--ca-file` (a PEM bundle: the private CA of a self-hosted server,
//! or the CA of a TLS-inspecting proxy). Both the agent's client and `check` use it, so a
//! check that passes is a connection the agent will make.

use std::path::{Path, PathBuf};

/// A `--ca-file` the agent cannot trust as told, in words.
#[derive(Debug, thiserror::Error)]
#[error("ca_file {path}: {why}")]
pub struct TrustError {
    path: String,
    why: String,
}

/// The extra certificate authorities, if any, and the file they came from.
#[derive(Clone, Default)]
pub struct Trust {
    extra: Vec<reqwest::Certificate>,
    file: Option<PathBuf>,
}

/// Larger than any CA bundle: a file this big is not one.
const MAX_BUNDLE_BYTES: u64 = 4 << 20;

impl Trust {
    /// Reads `path`'s PEM certificates; an unreadable file, or one without a certificate, is
    /// an error in words (the agent must not start trusting less than it was told to).
    pub fn load(path: Option<&Path>) -> Result<Trust, TrustError> {
        let Some(path) = path else {
            return Ok(Trust::default());
        };
        let bad = |why: String| TrustError {
            path: path.display().to_string(),
            why,
        };
        let size = std::fs::metadata(path)
            .map_err(|e| bad(e.to_string()))?
            .len();
        if size > MAX_BUNDLE_BYTES {
            return Err(bad(format!(
                "{size} bytes is too big for a certificate bundle (at most {MAX_BUNDLE_BYTES})"
            )));
        }
        let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
        let extra = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| bad(format!("not PEM certificates: {e}")))?;
        if extra.is_empty() {
            return Err(bad(
                "no certificate in it (expected -----BEGIN CERTIFICATE----- blocks)".into(),
            ));
        }
        Ok(Trust {
            extra,
            file: Some(path.to_path_buf()),
        })
    }

    /// `builder`, trusting the extra authorities too.
    pub fn apply(&self, builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
        self.extra
            .iter()
            .cloned()
            .fold(builder, |b, cert| b.add_root_certificate(cert))
    }

    /// The file the extra authorities came from.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    pub fn count(&self) -> usize {
        self.extra.len()
    }
}

impl std::fmt::Debug for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trust")
            .field("file", &self.file)
            .field("certificates", &self.extra.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str, bytes: &[u8]) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("labrelay-trust-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("ca.pem");
        std::fs::write(&path, bytes).expect("write");
        path
    }

    fn ca_pem() -> String {
        let key = rcgen::KeyPair::generate().expect("key");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.self_signed(&key).expect("self-signed").pem()
    }

    #[test]
    fn no_file_adds_nothing() {
        let t = Trust::load(None).expect("no file");
        assert_eq!(t.count(), 0);
        assert!(t.file().is_none());
    }

    #[test]
    fn a_bundle_of_certificates_is_read() {
        let two = format!("{}{}", ca_pem(), ca_pem());
        let path = scratch("good", two.as_bytes());
        let t = Trust::load(Some(&path)).expect("loads");
        assert_eq!(t.count(), 2);
        assert_eq!(t.file(), Some(path.as_path()));
        let _ = std::fs::remove_dir_all(path.parent().expect("dir"));
    }

    #[test]
    fn a_missing_or_empty_or_foreign_file_is_an_error_in_words() {
        let missing = std::env::temp_dir().join("labrelay-trust-no-such-dir/ca.pem");
        let e = Trust::load(Some(&missing))
            .expect_err("missing")
            .to_string();
        assert!(
            e.starts_with(&format!("ca_file {}: ", missing.display())),
            "{e}"
        );
        let empty = scratch("empty", b"just text, no PEM\n");
        let e = Trust::load(Some(&empty)).expect_err("empty").to_string();
        assert!(e.contains("no certificate in it"), "{e}");
        let _ = std::fs::remove_dir_all(empty.parent().expect("dir"));
    }
}
