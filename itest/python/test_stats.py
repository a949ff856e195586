"""CDRouter's result statistics through the official client, unchanged: results.all_stats,
set_stats, diff_stats, single_stats, summary_stats and progress_stats (field names from
cdrouter/results.py's schemas), on runs the real labrelay-agent makes with the cdrouter-cli
simulator replaying the real CDRouter run in fixtures/cdrouter-exports/ — checked as the
client's own tests (tests/test_results.py) check them against a real CDRouter on that run,
with each number read back from the run's own test records. And the caps' clear 4xx.

Env (set by `cargo xtask test`): LABRELAY_URL, LABRELAY_ADMIN_TOKEN, LABRELAY_AGENT_BIN,
LABRELAY_SIM_BIN.
"""

import csv
import io
import time
import unittest

import requests
from cdrouter.cdrouter import CDRouterError
from cdrouter.jobs import Job
from cdrouter.packages import Package

from test_ci_script import TOKEN, URL, AgentCase, unique

AUTH = {"Authorization": "Bearer " + TOKEN}


class StatsTest(AgentCase):
    def run_package(self, pkg):
        """Launches the package and waits for its run to end (the job's CI wait)."""
        j = self.c.jobs.launch(Job(package_id=pkg.id))
        deadline = time.time() + 300
        while time.time() < deadline:
            job = requests.get("%s/api/v1/jobs/%s/?wait=25" % (URL, j.id), headers=AUTH,
                               timeout=60).json()["data"]
            if job["status"] in ("completed", "stopped", "error"):
                self.assertEqual(job["status"], "completed", job)
                return self.c.results.get(job["result_id"])
        self.fail("job %s did not end" % j.id)

    def test_the_clients_stats_calls(self):
        cfg = self.config()
        name = unique("stats-pkg")
        pkg = self.c.packages.create(Package(name=name, testlist=["cdrouter_app_14", "dns_45"],
                                             config_id=cfg.id))
        r1 = self.run_package(pkg)
        r2 = self.run_package(pkg)
        tests = list(self.c.tests.iter_list(r1.id))
        self.assertEqual([t.name for t in tests], ["start", "cdrouter_app_14", "dns_45", "final"])
        duration = {t.name: t.duration for t in tests}

        s = self.c.results.set_stats(ids=[r1.id, r2.id])
        self.assertEqual([(f.name, f.count) for f in s.frequent_failures],
                         [("cdrouter_app_14", 2)])
        self.assertEqual(len(s.longest_tests), 8)
        self.assertEqual(s.longest_tests[0].duration,
                         max(t.duration for t in tests + list(self.c.tests.iter_list(r2.id))))
        b = s.result_breakdown
        self.assertEqual((b.passed, b.failed, b.skipped, b.alerted), (6, 2, 0, 0))
        both = tests + list(self.c.tests.iter_list(r2.id))
        self.assertEqual(s.time_breakdown.failed,
                         sum(t.duration for t in both if t.result == "fail"))
        self.assertEqual(s.time_breakdown.passed,
                         sum(t.duration for t in both if t.result == "pass"))

        d = self.c.results.diff_stats(ids=[r1.id, r2.id])
        self.assertEqual([t.name for t in d.tests], ["cdrouter_app_14", "dns_45"])
        first = d.tests[0].summaries
        self.assertEqual([(x.id, x.seq, x.result) for x in first],
                         [(r1.id, 2, "fail"), (r2.id, 2, "fail")])
        self.assertEqual(first[0].duration, duration["cdrouter_app_14"])
        self.assertIs(first[0].flagged, False)
        self.assertIn("FTP", first[0].description)

        single = self.c.results.single_stats(r1.id)
        self.assertEqual([(x.name, x.count) for x in single.result_breakdown.failed_at_least_once],
                         [("cdrouter_app_14", 1)])
        self.assertEqual([(x.name, x.count) for x in single.result_breakdown.passed_every_time],
                         [("dns_45", 1)])
        p = single.progress
        self.assertEqual((p.finished, p.total, p.progress, p.unit), (2, 2, 100, "percentage"))

        p = self.c.results.progress_stats(r1.id)
        self.assertEqual((p.finished, p.total, p.progress, p.unit), (2, 2, 100, "percentage"))

        summary = self.c.results.summary_stats(r1.id)
        b = summary.result_breakdown
        self.assertEqual((b.passed, b.failed, b.skipped, b.alerted), (3, 1, 0, 0))
        self.assertEqual([(t.id, t.seq) for t in summary.test_summaries],
                         [(r1.id, 1), (r1.id, 2), (r1.id, 3), (r1.id, 4)])

        a = self.c.results.all_stats()
        counts = {x.package_name: x.count for x in a.frequent_packages}
        self.assertEqual(counts.get(name), 2, counts)
        self.assertIn(name, [x.package_name for x in a.package_names])
        self.assertEqual(a.frequent_packages, sorted(a.frequent_packages,
                                                     key=lambda x: (-x.count, x.package_name)))

        # results.list_csv and tests.list_csv: the list's fields as columns, id first.
        rows = list(csv.DictReader(io.StringIO(
            self.c.results.list_csv(filter=["package_name=" + name]))))
        self.assertEqual(sorted(r["id"] for r in rows), sorted([str(r1.id), str(r2.id)]))
        self.assertEqual({r["package_name"] for r in rows}, {name})
        self.assertEqual({(r["pass"], r["fail"], r["status"]) for r in rows},
                         {("1", "1", "completed")})
        text = self.c.tests.list_csv(r1.id)
        self.assertTrue(text.startswith("id,seq,loop,result,"), text[:80])
        rows = list(csv.DictReader(io.StringIO(text)))
        self.assertEqual([(r["id"], r["seq"], r["name"], r["result"]) for r in rows],
                         [(str(r1.id), str(t.seq), t.name, t.result) for t in tests])


class StatsRefusals(unittest.TestCase):
    def post(self, stats, body):
        return requests.post(URL + "/api/v1/results/?stats=" + stats, json=body, headers=AUTH,
                             timeout=60)

    def test_caps_unknown_results_and_modes_are_clear_errors(self):
        c = self.post("set", [{"id": str(i + 1)} for i in range(101)])
        self.assertEqual((c.status_code, c.json()["error"]),
                         (400, "stats=set takes at most 100 results; 101 given"))
        c = self.post("diff", [{"id": str(i + 1)} for i in range(21)])
        self.assertEqual((c.status_code, c.json()["error"]),
                         (400, "stats=diff takes at most 20 results; 21 given"))
        c = self.post("set", [])
        self.assertEqual(c.status_code, 400, c.text)
        c = self.post("diff", [{"id": "987654321"}])
        self.assertEqual((c.status_code, c.json()["error"]), (404, "no such result"))
        c = self.post("set", {"id": "1"})
        self.assertEqual(c.status_code, 400, c.text)
        c = self.post("median", [])
        self.assertEqual(c.status_code, 400, c.text)
        self.assertIn('unsupported stats "median"', c.json()["error"])
        c = requests.get(URL + "/api/v1/results/?format=xml", headers=AUTH, timeout=60)
        self.assertEqual((c.status_code, c.json()["error"]),
                         (400, 'invalid format "xml": json or csv'))
        c = requests.get(URL + "/api/v1/results/987654321/?stats=summary", headers=AUTH,
                         timeout=60)
        self.assertEqual((c.status_code, c.json()["error"]), (404, "no such result"))
        with self.assertRaises(CDRouterError):
            from cdrouter import CDRouter
            CDRouter(URL, token=TOKEN).results.progress_stats(987654321)


if __name__ == "__main__":
    unittest.main(verbosity=2)
