"""CDRouter's performance metrics through the official client, unchanged: results.list_metrics,
results.get_test_metric(_csv), tests.list_metrics, tests.get_test_metric(_csv) (shapes from
cdrouter/metrics.py), on runs the real labrelay-agent makes with the cdrouter-cli simulator
replaying the real perf runs in fixtures/cdrouter-exports/ — every value checked against the
fixture's own `*_graph.csv` files, and as the client's own tests (tests/test_results.py,
test_testresults.py) check a real CDRouter on these very runs. And the clear 4xx.

Env (set by `cargo xtask test`): LABRELAY_URL, LABRELAY_ADMIN_TOKEN, LABRELAY_AGENT_BIN,
LABRELAY_SIM_BIN.
"""

import csv
import gzip
import io
import os
import tarfile
import time
import unittest
from datetime import datetime, timezone

import requests
from cdrouter.cdrouter import CDRouterError
from cdrouter.filters import Field as field
from cdrouter.jobs import Job
from cdrouter.metrics import Bandwidth, GraphMetric, Latency
from cdrouter.packages import Package

from test_ci_script import TOKEN, URL, AgentCase, unique

AUTH = {"Authorization": "Bearer " + TOKEN}
EXPORTS = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "cdrouter-exports")
PERF_TESTS = ["perf_1", "perf_2", "perf_3", "perf_4", "perf_9", "perf_12"]


def fixture_files(bundle):
    """name -> bytes of the result directory of an export bundle."""
    with gzip.open(os.path.join(EXPORTS, bundle), "rb") as f:
        f.readline()
        f.readline()
        tar = tarfile.open(fileobj=io.BytesIO(f.read()))
    return {m.name.rsplit("/", 1)[-1]: tar.extractfile(m).read()
            for m in tar.getmembers() if m.isfile()}


def csv_rows(data):
    return list(csv.reader(io.StringIO(data.decode())))


def stamp(ms):
    return datetime.fromtimestamp(int(ms) / 1000, tz=timezone.utc)


class MetricsCase(AgentCase):
    def run_package(self, testlist, want="completed"):
        """Launches a package of `testlist` and waits for its run to end."""
        pkg = self.c.packages.create(Package(name=unique("metrics-pkg"), testlist=testlist,
                                             config_id=self.config().id))
        j = self.c.jobs.launch(Job(package_id=pkg.id))
        deadline = time.time() + 600
        while time.time() < deadline:
            job = requests.get("%s/api/v1/jobs/%s/?wait=25" % (URL, j.id), headers=AUTH,
                               timeout=60).json()["data"]
            if job["status"] in ("completed", "stopped", "error"):
                self.assertEqual(job["status"], want, job)
                return self.c.results.get(job["result_id"])
        self.fail("job %s did not end" % j.id)


class PerfRunMetrics(MetricsCase):
    def test_the_clients_metric_calls_on_the_perf_run(self):
        files = fixture_files("20230310115215-perf.gz")
        graphs = sorted(n for n in files if n.endswith("_graph.csv"))
        self.assertEqual(len(graphs), 6)
        r = self.run_package(PERF_TESTS)
        tests = list(self.c.tests.iter_list(r.id))
        self.assertEqual([t.name for t in tests], ["start"] + PERF_TESTS + ["final"])
        seq = {t.name: t.seq for t in tests}
        # Which test each file is: the longest test name that prefixes it.
        owner = {g: max((t for t in PERF_TESTS if g.startswith(t + "_")), key=len)
                 for g in graphs}
        want = sorted((seq[owner[g]], owner[g], g[len(owner[g]) + 1:-len("_graph.csv")], g)
                      for g in graphs)

        # results.list_metrics: every test's, by seq; paging, filter and sort as every list.
        metrics, links = self.c.results.list_metrics(r.id)
        self.assertEqual(links.total, 6)
        self.assertEqual([(m.seq, m.test_name, m.metric, m.filename) for m in metrics], want)
        self.assertEqual({(m.id, m.log_file) for m in metrics}, {(r.id, None)})
        metrics, links = self.c.results.list_metrics(r.id, limit=4, page=2)
        self.assertEqual((len(metrics), links.total, links.current), (2, 6, 2))
        metrics, links = self.c.results.list_metrics(
            r.id, filter=[field("metric").eq("latency")], sort="-seq", limit="none")
        self.assertEqual([(m.test_name, m.metric) for m in metrics],
                         [("perf_12", "latency"), ("perf_9", "latency")])
        with self.assertRaisesRegex(CDRouterError, "no such result"):
            self.c.results.list_metrics(987654321)

        # tests.list_metrics: one test's.
        metrics, links = self.c.tests.list_metrics(r.id, seq["perf_9"])
        self.assertEqual([(m.seq, m.test_name, m.metric, m.filename) for m in metrics],
                         [(seq["perf_9"], "perf_9", "latency", "perf_9_latency_graph.csv")])
        self.assertEqual(self.c.tests.list_metrics(r.id, seq["start"])[1].total, 0)
        with self.assertRaisesRegex(CDRouterError, "no such test"):
            self.c.tests.list_metrics(987654321, 2)
        with self.assertRaisesRegex(CDRouterError, "no such test"):
            self.c.tests.list_metrics(r.id, 999999)

        # tests.get_test_metric, latency: test_testresults.py's own numbers (example6 is this
        # very run, seq 6 its perf_9), and each field against the fixture's row.
        lat = self.c.tests.get_test_metric(r.id, seq["perf_9"], "latency")
        self.assertEqual(len(lat), 1)
        m = lat[0]
        self.assertIsInstance(m, Latency)
        self.assertEqual((m.log_file, m.metric, m.total_latency, m.total_latency_units, m.result,
                          m.interface, m.download_latency, m.download_latency_units,
                          m.upload_latency, m.upload_latency_units, m.seq),
                         ("perf_9.txt", "latency", 83, "usec", "pass", "lan", 54, "usec", 29,
                          "usec", 0))
        row = csv_rows(files["perf_9_latency_graph.csv"])[0]
        self.assertEqual(m.timestamp, stamp(row[1]))
        self.assertEqual((m.total_latency, m.download_latency, m.upload_latency),
                         (int(row[3]), int(row[8]), int(row[11])))
        dns = self.c.tests.get_test_metric(r.id, seq["perf_12"], "latency")[0]
        row = csv_rows(files["perf_12_latency_graph.csv"])[0]
        self.assertEqual((dns.log_file, dns.total_latency, dns.interface, dns.download_latency,
                          dns.upload_latency), (row[0], int(row[3]), row[6], None, None))

        # tests.get_test_metric, bandwidth: every field against the fixture's rows.
        for name in ["perf_1", "perf_2", "perf_3", "perf_4"]:
            rows = csv_rows(files[name + "_bandwidth_graph.csv"])
            got = self.c.tests.get_test_metric(r.id, seq[name], "bandwidth")
            self.assertEqual(len(got), len(rows))
            for b, row in zip(got, rows):
                self.assertIsInstance(b, Bandwidth)
                self.assertEqual(
                    (b.log_file, b.timestamp, b.metric, b.bandwidth, b.bandwidth_units, b.result,
                     b.client_interface, b.server_interface, b.streams, b.protocol, b.direction,
                     b.loss_percentage, b.loss_percentage_units, b.client_device,
                     b.server_device, b.seq),
                    (row[0], stamp(row[1]), row[2], float(row[3]), row[4], row[5].lower(),
                     row[6], row[7], int(row[8]), row[9], row[10], float(row[11]), row[12],
                     row[13], row[14], 0), name)
        with self.assertRaisesRegex(CDRouterError, "no such metric"):
            self.c.tests.get_test_metric(r.id, seq["perf_1"], "latency")
        with self.assertRaisesRegex(ValueError, "unknown metric invalid"):
            self.c.tests.get_test_metric(r.id, seq["perf_1"], "invalid")

        # results.get_test_metric: the graph by the test's name, every column by position.
        g = self.c.results.get_test_metric(r.id, "perf_1", "bandwidth")
        row = csv_rows(files["perf_1_bandwidth_graph.csv"])[0]
        self.assertEqual(len(g), 1)
        self.assertIsInstance(g[0], GraphMetric)
        g = g[0]
        self.assertEqual(
            (g.log_file, g.timestamp, g.metric, g.value, g.units, g.result, g.interface_1,
             g.interface_2, g.streams, g.protocol, g.direction, g.value_2, g.units_2, g.device_1,
             g.device_2, g.seq),
            (row[0], stamp(row[1]), row[2], float(row[3]), row[4], "pass", row[6], row[7],
             int(row[8]), row[9], row[10], float(row[11]), row[12], row[13], row[14], None))
        with self.assertRaisesRegex(CDRouterError, "no such metric"):
            self.c.results.get_test_metric(r.id, "invalid", "bandwidth")

        # The CSV of a metric: the file as CDRouter wrote it.
        for g in graphs:
            name, metric = owner[g], g[len(owner[g]) + 1:-len("_graph.csv")]
            self.assertEqual(self.c.results.get_test_metric_csv(r.id, name, metric),
                             files[g].decode())
            self.assertEqual(self.c.tests.get_test_metric_csv(r.id, seq[name], metric),
                             files[g].decode())
        self.assertIn("perf_1.txt,", self.c.tests.get_test_metric_csv(r.id, seq["perf_1"],
                                                                      "bandwidth"))
        with self.assertRaises(CDRouterError):
            self.c.tests.get_test_metric_csv(r.id, seq["perf_1"], "invalid")
        with self.assertRaises(CDRouterError):
            self.c.results.get_test_metric_csv(r.id, "invalid", "bandwidth")

        # Refusals in words.
        base = "%s/api/v1/results/%s" % (URL, r.id)
        for path in ["/metrics/perf_1/bandwidth/?format=xml",
                     "/tests/%s/metrics/bandwidth/?format=xml" % seq["perf_1"]]:
            c = requests.get(base + path, headers=AUTH, timeout=60)
            self.assertEqual((c.status_code, c.json()["error"]),
                             (400, 'invalid format "xml": json or csv'))
        c = requests.get(base + "/metrics/?filter=nope=1", headers=AUTH, timeout=60)
        self.assertEqual(c.status_code, 400, c.text)
        c = requests.get("%s/api/v1/results/987654321/metrics/perf_1/bandwidth/" % URL,
                         headers=AUTH, timeout=60)
        self.assertEqual((c.status_code, c.json()["error"]), (404, "no such result"))
        c = requests.get(base + "/metrics/", timeout=60)
        self.assertEqual(c.status_code, 401, c.text)


class RepeatedRunMetrics(MetricsCase):
    """The run whose tests repeat (fixtures' 20220721151446, the client's example3): a graph
    row per run, and each run's per-client details."""
    sim_env = {"CDROUTER_SIM_REPLAY": "20220721151446"}

    def test_a_row_per_run_and_each_runs_details(self):
        files = fixture_files("20220721151446-repeats-unfinished.gz")
        r = self.run_package(["perf_multi_2", "perf_multi_3", "perf_multi_4", "perf_multi_1",
                              "perf_5"], want="error")
        # test_results.py test_get_test_metric, on this run.
        g = self.c.results.get_test_metric(r.id, "perf_multi_4", "bandwidth")
        rows = csv_rows(files["perf_multi_4_bandwidth_graph.csv"])
        self.assertEqual((len(g), len(rows)), (23, 23))
        m = g[0]
        self.assertEqual(
            (m.log_file, m.metric, m.value, m.units, m.result, m.interface_1, m.interface_2,
             m.streams, m.protocol, m.direction, m.value_2, m.units_2, m.device_1, m.device_2,
             m.seq),
            ("perf_multi_4.txt", "bandwidth", 279.455, "Mbits/sec", "pass", "lan.*", "wan", 128,
             "UDP", "upload", 0.0, "Percentage", "0", "0", None))
        self.assertEqual([x.value for x in g], [float(row[3]) for row in rows])

        # Each run of perf_multi_1 has its own details file: the n-th run's log is
        # perf_multi_1.<n>.txt (the first perf_multi_1.txt).
        runs = list(self.c.tests.iter_list(r.id, filter=["name=perf_multi_1"]))
        details = {n for n in files if n.startswith("perf_multi_1_client_bandwidth_details")}
        self.assertEqual(len(runs), len(details))
        for i, t in enumerate(runs[:3]):
            n = i + 1
            name = "perf_multi_1_client_bandwidth_details_graph.%d.csv" % n
            metrics, _ = self.c.tests.list_metrics(r.id, t.seq)
            self.assertEqual([(x.metric, x.filename) for x in metrics],
                             [("bandwidth", "perf_multi_1_bandwidth_graph.csv"),
                              ("client_bandwidth", name)])
            got = self.c.tests.get_test_metric(r.id, t.seq, "client_bandwidth")
            rows = csv_rows(files[name])
            self.assertEqual(len(got), len(rows))
            for x, row in zip(got, rows):
                self.assertEqual((x.timestamp, x.num_rates, x.rates),
                                 (stamp(row[0]), len(row) - 1, [float(v) for v in row[1:]]))
            self.assertEqual(self.c.tests.get_test_metric_csv(r.id, t.seq, "client_bandwidth"),
                             files[name].decode())
        metrics, links = self.c.results.list_metrics(
            r.id, filter=[field("metric").eq("client_bandwidth")], limit="none")
        self.assertEqual(links.total, len(metrics))
        self.assertEqual({x.test_name for x in metrics}, {"perf_multi_1", "perf_multi_2",
                                                          "perf_multi_3", "perf_multi_4"})
        self.assertIn((runs[1].seq, "perf_multi_1_client_bandwidth_details_graph.2.csv"),
                      [(x.seq, x.filename) for x in metrics])


if __name__ == "__main__":
    unittest.main(verbosity=2)
