//! On the real perf runs of `fixtures/cdrouter-exports/`, checked as the official client's
//! own tests (tests/test_results.py, test_testresults.py) check a real CDRouter.

use super::*;
use labrelay_export::{fixtures_dir, Bundle, ResultDir};

fn run(file: &str) -> (ResultDir, Vec<String>) {
    let b = Bundle::read(&fixtures_dir().join(file)).expect("fixture");
    let tests = b.body["results"][0]["tests"]
        .as_array()
        .expect("tests")
        .iter()
        .filter_map(|t| t["test"]["name"].as_str().map(String::from))
        .collect();
    (b.results.into_iter().next().expect("result"), tests)
}

fn perf() -> (ResultDir, Vec<String>) {
    run("20230310115215-perf.gz")
}

fn text(dir: &ResultDir, name: &str) -> String {
    dir.text(name).unwrap_or_else(|| panic!("{name}"))
}

#[test]
fn the_perf_runs_metric_files_are_its_tests() {
    let (dir, tests) = perf();
    let found: Vec<(String, String, Option<u64>)> = dir
        .files
        .keys()
        .filter_map(|n| metric_file(n, tests.iter().map(String::as_str)))
        .map(|m| (m.test.to_string(), m.metric.to_string(), m.run))
        .collect();
    let want = [
        ("perf_12", "latency"),
        ("perf_1", "bandwidth"),
        ("perf_2", "bandwidth"),
        ("perf_3", "bandwidth"),
        ("perf_4", "bandwidth"),
        ("perf_9", "latency"),
    ];
    let want: Vec<_> = want
        .iter()
        .map(|(t, m)| (t.to_string(), m.to_string(), None))
        .collect();
    assert_eq!(found, want);
    // Not a metric: logs, captures, a file of a test the run does not have.
    assert_eq!(metric_file("perf_1.txt", ["perf_1"]), None);
    assert_eq!(metric_file("perf_7_latency_graph.csv", ["perf_1"]), None);
    assert_eq!(metric_file("perf_1_graph.csv", ["perf_1"]), None);
    let details = metric_file(
        "perf_multi_1_client_bandwidth_details_graph.12.csv",
        ["perf_multi", "perf_multi_1"],
    );
    assert_eq!(
        details,
        Some(MetricFile {
            test: "perf_multi_1",
            metric: "client_bandwidth",
            run: Some(12)
        })
    );
    assert_eq!(metric_file("a_x_details_graph.0.csv", ["a"]), None);
}

#[test]
fn a_logs_run_is_its_suffix() {
    assert_eq!(run_of_log("perf_5.txt", "perf_5"), Some(1));
    assert_eq!(run_of_log("perf_5.10.txt", "perf_5"), Some(10));
    assert_eq!(run_of_log("perf_50.txt", "perf_5"), None);
    assert_eq!(run_of_log("perf_5.x.txt", "perf_5"), None);
}

#[test]
fn latency_as_the_client_reads_it() {
    let (dir, _) = perf();
    // test_testresults.py test_get_test_metric: example6 (this run), seq 6 (perf_9).
    let rows = graph_rows("f", &text(&dir, "perf_9_latency_graph.csv")).expect("rows");
    assert_eq!(rows.len(), 1);
    let l = rows[0].to_latency();
    assert_eq!(l.log_file, "perf_9.txt");
    assert_eq!(l.metric, "latency");
    assert_eq!(l.total_latency, Some(83.into()));
    assert_eq!(l.total_latency_units, "usec");
    assert_eq!(l.result, "pass");
    assert_eq!(l.interface, "lan");
    assert_eq!(l.download_latency, Some(54.into()));
    assert_eq!(l.download_latency_units.as_deref(), Some("usec"));
    assert_eq!(l.upload_latency, Some(29.into()));
    assert_eq!(l.upload_latency_units.as_deref(), Some("usec"));
    assert_eq!(l.seq, Id(0));
    assert_eq!(l.timestamp, Timestamp(1_678_467_319_564_000));
    // The DNS latency row has no download or upload part.
    let dns = graph_rows("f", &text(&dir, "perf_12_latency_graph.csv")).expect("rows");
    let l = dns[0].to_latency();
    assert_eq!(
        (l.total_latency, l.download_latency),
        (Some(7006.into()), None)
    );
    assert_eq!(l.upload_latency_units, None);
}

#[test]
fn bandwidth_as_the_client_reads_it() {
    let (dir, _) = perf();
    let rows = graph_rows("f", &text(&dir, "perf_3_bandwidth_graph.csv")).expect("rows");
    let b = rows[0].to_bandwidth();
    assert_eq!(b.bandwidth, Some(951.into()));
    assert_eq!(b.bandwidth_units, "Mbits/sec");
    assert_eq!(
        (b.protocol.as_str(), b.direction.as_str()),
        ("UDP", "download")
    );
    assert_eq!(b.loss_percentage, Number::from_f64(0.0015592));
    assert_eq!(b.client_device.as_deref(), Some("eth1"));
    assert_eq!(b.server_device.as_deref(), Some("eth2"));
    assert_eq!(b.streams, Some(1.into()));
}

#[test]
fn the_repeated_runs_graph_has_a_row_per_run() {
    // test_results.py test_get_test_metric: example3 (this run), perf_multi_4 bandwidth.
    let (dir, _) = run("20220721151446-repeats-unfinished.gz");
    let rows = graph_rows("f", &text(&dir, "perf_multi_4_bandwidth_graph.csv")).expect("rows");
    assert_eq!(rows.len(), 23);
    let m = &rows[0];
    assert_eq!(m.log_file, "perf_multi_4.txt");
    assert_eq!(m.metric, "bandwidth");
    assert_eq!(m.value, Number::from_f64(279.455));
    assert_eq!(m.units, "Mbits/sec");
    assert_eq!(m.result, "pass");
    assert_eq!(
        (m.interface_1.as_str(), m.interface_2.as_str()),
        ("lan.*", "wan")
    );
    assert_eq!(m.streams, Some(128.into()));
    assert_eq!(
        (m.protocol.as_str(), m.direction.as_str()),
        ("UDP", "upload")
    );
    assert_eq!(m.value_2, Some(0.into()));
    assert_eq!(m.units_2, "Percentage");
    assert_eq!((m.device_1.as_str(), m.device_2.as_str()), ("0", "0"));
    // A device `0` is none in the bandwidth shape.
    assert_eq!(m.to_bandwidth().client_device, None);
    // CDRouter 13.5's details: `time, rates...`, one rate per client.
    let many = client_rows(
        "f",
        &text(&dir, "perf_multi_1_client_bandwidth_details_graph.1.csv"),
    )
    .expect("rows");
    assert_eq!(many.len(), 11);
    assert_eq!(many[0].num_rates, 32);
    assert_eq!(many[0].rates[0], Number::from_f64(5.185).expect("n"));
    let one = client_rows(
        "f",
        &text(&dir, "perf_multi_2_client_bandwidth_details_graph.1.csv"),
    )
    .expect("rows");
    assert_eq!(
        (one[0].num_rates, one[0].rates[0].as_f64()),
        (1, Some(29.163))
    );
}

#[test]
fn cdrouter_13_14_details_count_their_rates() {
    // The first row of perf_multi_1_client_bandwidth_details_graph.1.csv in the client's
    // tests/testdata/example5.gz (test_testresults.py: num_rates 10, rates[0] 941.608).
    let row = "1678465063157,10,941.608,941.608,942.071,941.134,941.608,941.608,941.608,\
               941.608,941.608,941.539\n";
    let r = client_rows("f", row).expect("rows");
    assert_eq!(r[0].num_rates, 10);
    assert_eq!(r[0].rates[0].as_f64(), Some(941.608));
}

#[test]
fn rows_that_are_not_metrics_are_named() {
    let e = graph_rows(
        "x.csv",
        "perf_1.txt,1678467202085,bandwidth,935,Mbits/sec,PASS\nhello\n",
    );
    assert_eq!(
        e.expect_err("bad").to_string(),
        "line 2 of x.csv is not a CDRouter metric row"
    );
    assert!(client_rows("x.csv", "1,a\n").is_err());
    assert_eq!(graph_rows("x.csv", "\n\n").expect("empty"), vec![]);
}

#[cfg(feature = "engine")]
#[test]
fn lists_filter_sort_and_page_like_every_list() {
    let m = |seq: u64, metric: &str| Metric {
        id: Id(7),
        seq: Id(seq),
        metric: metric.into(),
        filename: format!("t{seq}_{metric}_graph.csv"),
        ..Metric::default()
    };
    let all = vec![
        m(2, "bandwidth"),
        m(2, "client_bandwidth"),
        m(3, "bandwidth"),
    ];
    let p = |kv: &[(&str, &str)]| -> Vec<(String, String)> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let (page, links) = list::page(all.clone(), &p(&[("limit", "2")])).expect("page");
    assert_eq!((page.len(), links.total, links.next), (2, 3, Some(2)));
    let (page, _) = list::page(
        all.clone(),
        &p(&[("filter", "metric=bandwidth"), ("sort", "-seq")]),
    )
    .expect("filter");
    assert_eq!(page.iter().map(|x| x.seq.0).collect::<Vec<_>>(), [3, 2]);
    assert!(list::page(all, &p(&[("filter", "nope=1")])).is_err());
}
