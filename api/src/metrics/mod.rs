//! CDRouter's performance metrics, read from the files a perf test leaves in its result
//! directory, in the shapes of the official client (`cdrouter/metrics.py`): which files are
//! metrics and whose ([`metric_file`]), and their rows ([`graph_rows`], [`client_rows`]).
//!
//! The files, as real CDRouter runs write them (`fixtures/cdrouter-exports/`):
//! - `<test>_<metric>_graph.csv` — one row per run of the test (all its loops), no header:
//!   `log file, unix ms, metric, value, units, PASS|FAIL, ...` (15 columns; the last nine
//!   are interfaces, streams, protocol, direction, a second value and units, devices for a
//!   bandwidth row; `interface, download, value, units, upload, value, units, 0, 0` for a
//!   latency row);
//! - `<test>_<metric>_details_graph.<n>.csv` — the `n`-th run's samples, one row a second:
//!   `unix ms, count, rate...` (CDRouter 13.14) or `unix ms, rate...` (13.5).

#[cfg(feature = "engine")]
pub mod list;
#[cfg(test)]
mod tests;

use crate::{Id, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Number;

/// Rows of one metric file read into JSON (real files hold a row per loop or per second).
pub const MAX_ROWS: usize = 100_000;
/// The largest metric file read into JSON; larger ones download as they are (`?format=csv`).
pub const MAX_FILE_BYTES: u64 = 16 << 20;
/// Metric records one list request builds (across the result's tests).
pub const MAX_LISTED: usize = 100_000;

/// A metric of a test result: `GET results/{id}/metrics/` and `tests/{seq}/metrics/`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    pub id: Id,
    pub seq: Id,
    /// The file's arrival.
    pub created: Timestamp,
    pub updated: Timestamp,
    pub test_name: String,
    pub metric: String,
    pub filename: String,
    /// Always `null`, as CDRouter answers.
    pub log_file: Option<String>,
}

/// A row of a `_graph.csv` file as `results.get_test_metric` reads it (`GraphMetric`): the
/// columns by position, the verdict in lower case.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GraphMetric {
    pub log_file: String,
    pub timestamp: Timestamp,
    pub metric: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Number>,
    pub units: String,
    pub result: String,
    pub interface_1: String,
    pub interface_2: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub streams: Option<Number>,
    pub protocol: String,
    pub direction: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_2: Option<Number>,
    pub units_2: String,
    pub device_1: String,
    pub device_2: String,
}

/// A bandwidth row as `tests.get_test_metric(..., "bandwidth")` reads it; a device `0`
/// (none) is `null`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Bandwidth {
    pub log_file: String,
    pub timestamp: Timestamp,
    pub metric: String,
    pub bandwidth: Option<Number>,
    pub bandwidth_units: String,
    pub result: String,
    pub client_interface: String,
    pub server_interface: String,
    pub streams: Option<Number>,
    pub protocol: String,
    pub direction: String,
    pub loss_percentage: Option<Number>,
    pub loss_percentage_units: String,
    pub client_device: Option<String>,
    pub server_device: Option<String>,
    /// `0`, as CDRouter answers.
    pub seq: Id,
}

/// A latency row as `tests.get_test_metric(..., "latency")` reads it; the download and
/// upload parts are `null` when the row has none (a DNS latency test).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    pub log_file: String,
    pub timestamp: Timestamp,
    pub metric: String,
    pub total_latency: Option<Number>,
    pub total_latency_units: String,
    pub result: String,
    pub interface: String,
    pub download_latency: Option<Number>,
    pub download_latency_units: Option<String>,
    pub upload_latency: Option<Number>,
    pub upload_latency_units: Option<String>,
    /// `0`, as CDRouter answers.
    pub seq: Id,
}

/// A second of a `_details_graph.<n>.csv` file (`ClientBandwidth`, `ClientLatency`): one
/// rate per client.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClientRates {
    pub timestamp: Timestamp,
    pub num_rates: u64,
    pub rates: Vec<Number>,
}

/// What a file of a result directory is, as a metric.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricFile<'a> {
    pub test: &'a str,
    pub metric: &'a str,
    /// `Some(n)`: the `n`-th run's details (`..._details_graph.<n>.csv`); `None`: the
    /// test's graph, one row per run (`..._graph.csv`).
    pub run: Option<u64>,
}

/// `name` as a metric file of one of `tests` (the result's test names): the longest name
/// that prefixes it wins (`perf_12_latency_graph.csv` is `perf_12`'s, not `perf_1`'s).
pub fn metric_file<'a, 'b>(
    name: &'a str,
    tests: impl IntoIterator<Item = &'b str>,
) -> Option<MetricFile<'a>> {
    let (stem, run) = match name.strip_suffix(".csv")?.rsplit_once("_details_graph.") {
        Some((stem, n)) => (stem, Some(positive(n)?)),
        None => (name.strip_suffix("_graph.csv")?, None),
    };
    let test = tests
        .into_iter()
        .filter(|t| {
            !t.is_empty()
                && stem.len() > t.len() + 1
                && stem.starts_with(t)
                && stem.as_bytes()[t.len()] == b'_'
        })
        .max_by_key(|t| t.len())?;
    let (test, metric) = (&stem[..test.len()], &stem[test.len() + 1..]);
    Some(MetricFile { test, metric, run })
}

/// Which run of its test a log is: `perf_5.txt` the first, `perf_5.3.txt` the third.
pub fn run_of_log(log: &str, test: &str) -> Option<u64> {
    match log.strip_prefix(test)?.strip_suffix(".txt")? {
        "" => Some(1),
        n => positive(n.strip_prefix('.')?),
    }
}

fn positive(s: &str) -> Option<u64> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
        .filter(|n| *n > 0)
}

/// A number as written: an integer stays one, a decimal is a float.
fn number(s: &str) -> Option<Number> {
    let s = s.trim();
    if let Ok(i) = s.parse::<i64>() {
        return Some(i.into());
    }
    s.parse::<f64>().ok().and_then(Number::from_f64)
}

fn millis(s: &str) -> Option<Timestamp> {
    s.trim()
        .parse::<i64>()
        .ok()
        .and_then(|ms| ms.checked_mul(1000))
        .map(Timestamp)
}

/// Why a metric file cannot be read into JSON (a 400 naming the file).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetricError {
    #[error("{file} has more than {max} rows, too many to list: download it with ?format=csv")]
    TooManyRows { file: String, max: usize },
    #[error("line {line} of {file} is not a CDRouter metric row")]
    BadRow { file: String, line: usize },
}

/// The non-blank lines of a file, bounded, each split at commas.
fn rows<'a>(file: &str, text: &'a str) -> Result<Vec<(usize, Vec<&'a str>)>, MetricError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        if out.len() == MAX_ROWS {
            return Err(MetricError::TooManyRows {
                file: file.to_string(),
                max: MAX_ROWS,
            });
        }
        out.push((i + 1, line.split(',').collect()));
    }
    Ok(out)
}

/// The rows of a `_graph.csv` file (`file` names it in errors): each needs its log file,
/// time, metric, value, units and verdict; the rest by position when there.
pub fn graph_rows(file: &str, text: &str) -> Result<Vec<GraphMetric>, MetricError> {
    rows(file, text)?
        .into_iter()
        .map(|(line, c)| {
            let timestamp = c.get(1).and_then(|t| millis(t));
            match timestamp {
                Some(timestamp) if c.len() >= 6 => {
                    let at = |i: usize| c.get(i).map_or(String::new(), |s| s.to_string());
                    Ok(GraphMetric {
                        log_file: at(0),
                        timestamp,
                        metric: at(2),
                        value: number(c[3]),
                        units: at(4),
                        result: c[5].to_ascii_lowercase(),
                        interface_1: at(6),
                        interface_2: at(7),
                        streams: c.get(8).and_then(|s| number(s)),
                        protocol: at(9),
                        direction: at(10),
                        value_2: c.get(11).and_then(|s| number(s)),
                        units_2: at(12),
                        device_1: at(13),
                        device_2: at(14),
                    })
                }
                _ => Err(MetricError::BadRow {
                    file: file.to_string(),
                    line,
                }),
            }
        })
        .collect()
}

impl GraphMetric {
    pub fn to_bandwidth(&self) -> Bandwidth {
        let device = |d: &str| (!d.is_empty() && d != "0").then(|| d.to_string());
        Bandwidth {
            log_file: self.log_file.clone(),
            timestamp: self.timestamp,
            metric: self.metric.clone(),
            bandwidth: self.value.clone(),
            bandwidth_units: self.units.clone(),
            result: self.result.clone(),
            client_interface: self.interface_1.clone(),
            server_interface: self.interface_2.clone(),
            streams: self.streams.clone(),
            protocol: self.protocol.clone(),
            direction: self.direction.clone(),
            loss_percentage: self.value_2.clone(),
            loss_percentage_units: self.units_2.clone(),
            client_device: device(&self.device_1),
            server_device: device(&self.device_2),
            seq: Id(0),
        }
    }

    /// A latency row's columns after the interface are `download, value, units, upload,
    /// value, units`: a part is there when its label is.
    pub fn to_latency(&self) -> Latency {
        let download = self.interface_2 == "download";
        let upload = self.direction == "upload";
        Latency {
            log_file: self.log_file.clone(),
            timestamp: self.timestamp,
            metric: self.metric.clone(),
            total_latency: self.value.clone(),
            total_latency_units: self.units.clone(),
            result: self.result.clone(),
            interface: self.interface_1.clone(),
            download_latency: self.streams.clone().filter(|_| download),
            download_latency_units: download.then(|| self.protocol.clone()),
            upload_latency: self.value_2.clone().filter(|_| upload),
            upload_latency_units: upload.then(|| self.units_2.clone()),
            seq: Id(0),
        }
    }
}

/// The rows of a `_details_graph.<n>.csv` file: `time, count, rates...` when the second
/// column is a whole number equal to the rates that follow (CDRouter 13.14), else
/// `time, rates...` (CDRouter 13.5, whose rates always have decimals).
pub fn client_rows(file: &str, text: &str) -> Result<Vec<ClientRates>, MetricError> {
    rows(file, text)?
        .into_iter()
        .map(|(line, c)| {
            let bad = || MetricError::BadRow {
                file: file.to_string(),
                line,
            };
            let timestamp = c.first().and_then(|t| millis(t)).ok_or_else(bad)?;
            let rest = &c[1..];
            let counted = rest.first().is_some_and(|n| {
                n.bytes().all(|b| b.is_ascii_digit())
                    && n.parse::<usize>().ok() == Some(rest.len() - 1)
            });
            let rates = if counted { &rest[1..] } else { rest };
            let rates = rates
                .iter()
                .map(|r| number(r))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(bad)?;
            Ok(ClientRates {
                timestamp,
                num_rates: rates.len() as u64,
                rates,
            })
        })
        .collect()
}
