//! CDRouter export bundles, as a real CDRouter system writes them (`Export` in its web UI, and
//! the files under `fixtures/cdrouter-exports/`): gzip of
//! 1. a JSON header line (`version`, `created`, the names of what is inside),
//! 2. a JSON body line (`configs`, `packages`, `devices`, `results` records), then
//! 3. a POSIX tar of each result directory, member names absolute
//!    (`/usr/cdrouter-data/results/YYYYMMDD/<result-id>/<file>`).
//!
//! [`Bundle::read`] gives the two JSON documents and the result files, with the absolute
//! prefix stripped: a member name is never used as a path as it is.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Format { path: PathBuf, message: String },
}

/// One result directory of a bundle: file name -> contents.
#[derive(Debug, Default, Clone)]
pub struct ResultDir {
    /// The result id (the directory's name), e.g. `20220821222306`.
    pub id: String,
    pub files: BTreeMap<String, Vec<u8>>,
}

impl ResultDir {
    pub fn text(&self, name: &str) -> Option<String> {
        self.files
            .get(name)
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }
}

#[derive(Debug, Clone)]
pub struct Bundle {
    pub header: serde_json::Value,
    pub body: serde_json::Value,
    pub results: Vec<ResultDir>,
}

/// The largest bundle read (the biggest real one, 26 MB unpacked, fits with room to spare).
const MAX_UNPACKED: u64 = 256 << 20;

impl Bundle {
    /// The header and body only: quick even for a big bundle (no tar is unpacked).
    pub fn read_meta(path: &Path) -> Result<Bundle, ExportError> {
        Bundle::read_with(path, false)
    }

    /// Everything, result files included.
    pub fn read(path: &Path) -> Result<Bundle, ExportError> {
        Bundle::read_with(path, true)
    }

    /// The ids of the results in the bundle, from its header.
    pub fn result_ids(&self) -> Vec<String> {
        self.header["results"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|r| r["id"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The test names a result ran (`testcases` of its record), `start`/`final` included.
    pub fn testcases(&self) -> Vec<String> {
        let mut out = Vec::new();
        for r in self.body["results"].as_array().into_iter().flatten() {
            for t in r["result"]["testcases"].as_array().into_iter().flatten() {
                if let Some(name) = t.as_str() {
                    out.push(name.to_string());
                }
            }
        }
        out
    }

    fn read_with(path: &Path, files: bool) -> Result<Bundle, ExportError> {
        let io = |source| ExportError::Io {
            path: path.to_path_buf(),
            source,
        };
        let bad = |message: String| ExportError::Format {
            path: path.to_path_buf(),
            message,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        // Real bundles may be several gzip members one after the other.
        let gz = flate2::read::MultiGzDecoder::new(file).take(MAX_UNPACKED);
        let mut reader = BufReader::new(gz);
        let mut json_line = |what: &str| -> Result<serde_json::Value, ExportError> {
            let mut line = String::new();
            reader.read_line(&mut line).map_err(io)?;
            serde_json::from_str(&line).map_err(|e| bad(format!("{what}: {e}")))
        };
        let header = json_line("header line")?;
        let body = json_line("body line")?;
        let mut results: Vec<ResultDir> = Vec::new();
        if files {
            let mut archive = tar::Archive::new(reader);
            for entry in archive.entries().map_err(io)? {
                let mut entry = entry.map_err(io)?;
                if !entry.header().entry_type().is_file() {
                    continue;
                }
                let name = entry.path().map_err(io)?.to_string_lossy().into_owned();
                let Some((id, file)) = result_member(&name) else {
                    continue;
                };
                let mut bytes = Vec::new();
                entry.read_to_end(&mut bytes).map_err(io)?;
                match results.iter_mut().find(|r| r.id == id) {
                    Some(r) => {
                        r.files.insert(file, bytes);
                    }
                    None => {
                        let mut r = ResultDir {
                            id,
                            files: BTreeMap::new(),
                        };
                        r.files.insert(file, bytes);
                        results.push(r);
                    }
                }
            }
        }
        Ok(Bundle {
            header,
            body,
            results,
        })
    }

    /// Every bundle (`*.gz`) in a directory, by file stem; `files` as in [`Bundle::read`].
    pub fn read_dir(dir: &Path) -> Result<Vec<(String, Bundle)>, ExportError> {
        bundle_paths(dir)?
            .into_iter()
            .map(|(stem, p)| Bundle::read(&p).map(|b| (stem, b)))
            .collect()
    }
}

/// The bundles (`*.gz`) of a directory: (file stem, path), sorted.
pub fn bundle_paths(dir: &Path) -> Result<Vec<(String, PathBuf)>, ExportError> {
    let io = |source| ExportError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "gz"))
        .collect();
    paths.sort();
    Ok(paths
        .into_iter()
        .map(|p| {
            let stem = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            (stem, p)
        })
        .collect())
}

/// `(result id, file name)` of a member `.../results/<day>/<id>/<file>`: the last two
/// components, and only plain names (no `..`, no deeper directories).
fn result_member(name: &str) -> Option<(String, String)> {
    let mut parts = name.trim_end_matches('/').rsplit('/');
    let file = parts.next()?;
    let id = parts.next()?;
    let plain = |s: &str| !s.is_empty() && s != "." && s != ".." && !s.contains('\\');
    (plain(file) && plain(id) && id.bytes().all(|b| b.is_ascii_digit()))
        .then(|| (id.to_string(), file.to_string()))
}

/// The fixtures committed with the repository: `<repo>/fixtures/cdrouter-exports`.
pub fn fixtures_dir() -> PathBuf {
    let export_crate = Path::new(env!("CARGO_MANIFEST_DIR"));
    export_crate
        .parent()
        .unwrap_or(export_crate)
        .join("fixtures/cdrouter-exports")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_reduced_to_plain_names() {
        assert_eq!(
            result_member("/usr/cdrouter-data/results/20220821/20220821222306/dns_45.txt"),
            Some(("20220821222306".into(), "dns_45.txt".into()))
        );
        assert_eq!(
            result_member("usr/cdrouter-data/results/20220821/20220821222306/Cisco E4200"),
            Some(("20220821222306".into(), "Cisco E4200".into()))
        );
        assert_eq!(result_member("/usr/x/../.."), None);
        assert_eq!(result_member("/etc/passwd"), None);
        assert_eq!(result_member("dns_45.txt"), None);
    }

    #[test]
    fn the_fixtures_read_whole() -> Result<(), ExportError> {
        let bundles = Bundle::read_dir(&fixtures_dir())?;
        assert_eq!(bundles.len(), 4);
        let (_, fail) = bundles
            .iter()
            .find(|(n, _)| n.ends_with("-fail"))
            .ok_or_else(|| ExportError::Format {
                path: fixtures_dir(),
                message: "no -fail bundle".into(),
            })?;
        assert_eq!(fail.results.len(), 1);
        let dir = &fail.results[0];
        assert_eq!(dir.id, "20220821222306");
        assert!(dir.files.contains_key("final.txt"));
        assert_eq!(dir.files.get("dns_45.txt").map(Vec::len), Some(152833));
        assert_eq!(fail.body["results"][0]["result"]["id"], "20220821222306");
        Ok(())
    }
}
