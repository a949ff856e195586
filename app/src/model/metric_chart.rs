//! A perf run's charts as data: the rows of its tests' `_graph.csv` files (`GraphMetric`),
//! grouped into one bar chart per metric and units, and how a value reads on screen.

use labrelay_api::metrics::{GraphMetric, Metric};

/// One chart: the metric, its units and its bars (label, value).
pub struct Chart {
    pub metric: String,
    pub units: String,
    pub bars: Vec<(String, f64)>,
}

/// A bar's label: the test's log (its run) and, for bandwidth, protocol and direction.
fn label(row: &GraphMetric) -> String {
    let run = row.log_file.trim_end_matches(".txt");
    if row.metric == "bandwidth" {
        format!("{run} {} {}", row.protocol, row.direction)
    } else {
        format!("{run} {}", row.interface_1)
    }
}

/// The graphs' rows grouped by metric and units, in the order they come.
pub fn charts(graphs: &[(Metric, Vec<GraphMetric>)]) -> Vec<Chart> {
    let mut out: Vec<Chart> = Vec::new();
    for row in graphs.iter().flat_map(|(_, rows)| rows) {
        let Some(v) = row.value.as_ref().and_then(|n| n.as_f64()) else {
            continue;
        };
        let at = out
            .iter()
            .position(|c| c.metric == row.metric && c.units == row.units);
        let i = at.unwrap_or_else(|| {
            out.push(Chart {
                metric: row.metric.clone(),
                units: row.units.clone(),
                bars: Vec::new(),
            });
            out.len() - 1
        });
        out[i].bars.push((label(row), v));
    }
    out
}

/// `935`, `0.1`: one decimal at most, in integer arithmetic (float formatting costs wasm size).
pub fn number_words(v: f64) -> String {
    let tenths = (v * 10.0).round() as i64;
    match tenths % 10 {
        0 => format!("{}", tenths / 10),
        d => format!("{}.{}", tenths / 10, d.abs()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(log: &str, metric: &str, value: f64, units: &str) -> GraphMetric {
        GraphMetric {
            log_file: log.into(),
            metric: metric.into(),
            value: serde_json::Number::from_f64(value),
            units: units.into(),
            protocol: "TCP".into(),
            direction: "download".into(),
            interface_1: "lan".into(),
            ..GraphMetric::default()
        }
    }

    #[test]
    fn a_chart_per_metric_and_units_a_bar_per_row() {
        let graphs = vec![
            (
                Metric::default(),
                vec![row("perf_1.txt", "bandwidth", 935.0, "Mbits/sec")],
            ),
            (
                Metric::default(),
                vec![row("perf_9.txt", "latency", 83.0, "usec")],
            ),
            (
                Metric::default(),
                vec![row("perf_2.2.txt", "bandwidth", 936.5, "Mbits/sec")],
            ),
        ];
        let c = charts(&graphs);
        assert_eq!(c.len(), 2);
        assert_eq!(
            (c[0].metric.as_str(), c[0].units.as_str()),
            ("bandwidth", "Mbits/sec")
        );
        assert_eq!(
            c[0].bars,
            vec![
                ("perf_1 TCP download".to_string(), 935.0),
                ("perf_2.2 TCP download".to_string(), 936.5)
            ]
        );
        assert_eq!(c[1].bars, vec![("perf_9 lan".to_string(), 83.0)]);
    }

    #[test]
    fn values_read_with_one_decimal_at_most() {
        assert_eq!(number_words(935.0), "935");
        assert_eq!(number_words(279.455), "279.5");
        assert_eq!(number_words(0.0015592), "0");
    }
}
