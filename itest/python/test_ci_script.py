"""The CI script CDRouter's own client documents (its examples/gitlab.py and jenkins.py), run
unchanged in spirit against Labrelay: launch a job, wait for its result_id, follow
results.updates, read results.get, write JUnit XML from tests.iter_list with the FAIL lines
of failing tests and each test's captures — on a job the real labrelay-agent runs with the
cdrouter-cli simulator replaying the real CDRouter run in fixtures/cdrouter-exports/.

The JUnit must carry exactly the verdicts of that real run's final.txt synopsis.

Env (set by `cargo xtask test`): LABRELAY_URL, LABRELAY_ADMIN_TOKEN, LABRELAY_AGENT_BIN,
LABRELAY_SIM_BIN.
"""

import gzip
import io
import os
import re
import shutil
import signal
import subprocess
import tarfile
import tempfile
import time
import unittest
import uuid
import xml.etree.ElementTree as ET
import zipfile

import requests
from cdrouter import CDRouter
from cdrouter.configs import Config
from cdrouter.jobs import Job
from cdrouter.packages import Package

URL = os.environ["LABRELAY_URL"]
TOKEN = os.environ["LABRELAY_ADMIN_TOKEN"]
AGENT = os.environ["LABRELAY_AGENT_BIN"]
SIM = os.environ["LABRELAY_SIM_BIN"]
FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "cdrouter-exports",
                       "20220821222306-fail.gz")


def unique(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:10])


def fixture_verdicts():
    """test name -> pass/fail, from the real run's final.txt synopsis (by CDRouter number)
    and its tests' log headers (number -> name)."""
    with gzip.open(FIXTURE, "rb") as f:
        f.readline()
        f.readline()
        tar = tarfile.open(fileobj=io.BytesIO(f.read()))
    files = {}
    for m in tar.getmembers():
        if m.isfile():
            files[m.name.rsplit("/", 1)[-1]] = tar.extractfile(m).read().decode("utf-8", "replace")
    numbers = {}
    for name, text in files.items():
        head = re.search(r"^Test cdrouter-(\d+):.*\nModule:.*\nName: (\S+)", text[:2000], re.M)
        if name.endswith(".txt") and head:
            numbers[head.group(1)] = head.group(2)
    verdicts = {}
    for row in re.finditer(r"^cdrouter-(\d+)\s+(\+?\w+)\|", files["final.txt"], re.M):
        verdicts[numbers[row.group(1)]] = "fail" if "FAIL" in row.group(2).upper() else "pass"
    return verdicts


def ci_script(c, base, package_id, out):
    """What examples/gitlab.py does, with the client used as it is."""
    j = c.jobs.launch(Job(package_id=package_id))
    while j.result_id is None:
        time.sleep(1)
        j = c.jobs.get(j.id)
    u = c.results.updates(j.result_id, None)
    seen_progress = []
    while u:
        r = c.results.get(j.result_id)
        if r.status in ["completed", "stopped", "error"]:
            break
        if u.progress is not None:
            seen_progress.append(u.progress.progress)
        u = c.results.updates(j.result_id, u.id)
    filename = os.path.join(out, "results_%s.xml" % j.result_id)
    with open(filename, "w") as f:
        f.write('<testsuite name="CDRouter" package="{0}" failures="{1}" tests="{2}">\n'.format(
            r.package_name, r.fail, r.tests))
        for t in c.tests.iter_list(j.result_id):
            url = "{0}/results/{1}/tests/{2}".format(base, j.result_id, t.seq)
            if t.name == "start" or t.name == "final":
                continue
            zip_file_name = os.path.join(out, t.name + ".zip")
            with zipfile.ZipFile(zip_file_name, mode="w") as archive:
                archive.writestr(t.log, c.tests.get_log_plaintext(t.id, t.seq))
                for caps in c.captures.list(t.id, t.seq):
                    b, cap_name = c.captures.download(t.id, t.seq, caps.interface)
                    archive.writestr(cap_name, b.getvalue())
            f.write('    <testcase name="{0}" classname="{1}" file="{2}" time="{3}">\n'.format(
                t.name + ": " + t.description, r.package_name, url, t.duration))
            if t.result in ["fail", "fatal"]:
                f.write('        <failure message="test failures">\n')
                logs = c.tests.list_log(t.id, t.seq, filter=["prefix=FAIL"], limit="100000")
                for l in logs.lines:
                    f.write("FAIL: {0}\n".format(l.message))
                f.write("        </failure>\n")
            elif t.result in ["pending", "skipped"]:
                f.write("        <skipped/>\n")
            f.write("    </testcase>\n")
        f.write("</testsuite>\n")
    return j, r, filename, seen_progress


class AgentCase(unittest.TestCase):
    """A real labrelay-agent on the simulator, on interfaces of its own, for each test."""
    sim_env = {}

    def setUp(self):
        self.c = CDRouter(URL, token=TOKEN)
        self.work = tempfile.mkdtemp(prefix="labrelay-ci-")
        u = unique("ci")
        self.ifaces = [u + "-lan", u + "-wan"]
        reg = requests.post(URL + "/api/v1/agents/", json={"name": unique("ci-agent")},
                            headers={"Authorization": "Bearer " + TOKEN}, timeout=30)
        reg.raise_for_status()
        token = reg.json()["data"]["token"]
        env = dict(os.environ, CDROUTER_SIM_TEST_MS="300", LABRELAY_TOKEN=token)
        env.update(self.sim_env)
        self.agent_log = open(os.path.join(self.work, "agent.log"), "w")
        self.agent = subprocess.Popen(
            [AGENT, "--server", URL, "--interfaces", ",".join(self.ifaces), "--cdrouter-cli", SIM,
             "--work-dir", os.path.join(self.work, "agent")],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.agent_log)

    def tearDown(self):
        for _ in range(2):
            self.agent.send_signal(signal.SIGTERM)
            time.sleep(0.2)
        try:
            self.agent.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.agent.kill()
        self.agent_log.close()
        shutil.rmtree(self.work, ignore_errors=True)

    def config(self):
        return self.c.configs.create(Config(
            name=unique("ci-cfg"),
            contents="testvar lanInterface %s\ntestvar wanInterface %s\n" % tuple(self.ifaces)))


class CiScriptTest(AgentCase):
    def test_the_documented_ci_script_writes_the_real_runs_verdicts(self):
        want = fixture_verdicts()
        self.assertEqual(want, {"cdrouter_app_14": "fail", "dns_45": "pass"})
        cfg = self.config()
        pkg = self.c.packages.create(Package(name=unique("ci-pkg"), testlist=sorted(want),
                                             config_id=cfg.id))
        out = os.path.join(self.work, "out")
        os.mkdir(out)
        j, r, junit, _ = ci_script(self.c, URL, pkg.id, out)

        self.assertEqual(r.status, "completed")
        self.assertEqual((r.tests, r.passed, r.fail), (4, 1, 1))
        suite = ET.parse(junit).getroot()
        got = {}
        for case in suite.findall("testcase"):
            name = case.get("name").split(":")[0]
            got[name] = "fail" if case.find("failure") is not None else "pass"
        self.assertEqual(got, want)
        failure = suite.find("testcase/failure").text
        self.assertIn("FAIL: Inbound FTP data connection succeeded", failure)
        self.assertIn("FAIL: Test cdrouter_app_14 (183) failed", failure)
        with zipfile.ZipFile(os.path.join(out, "dns_45.zip")) as z:
            names = sorted(z.namelist())
        self.assertEqual(names, ["dns_45-ics.cap", "dns_45-lan-eth1.cap", "dns_45-wan-eth2.cap",
                                 "dns_45.txt"])
        # The whole result directory, as CDRouter's client downloads it.
        b, name = self.c.results.download_logdir_archive(r.id)
        self.assertTrue(name.endswith(".zip"))
        with zipfile.ZipFile(b) as z:
            self.assertIsNone(z.testzip())
            self.assertIn("%s/final.txt" % r.id, z.namelist())
        self.assertEqual([f.name for f in self.c.results.list_logdir(r.id)
                          if f.name == "final.txt"], ["final.txt"])
        self.c.jobs.delete(j.id)



def first_stamp(text):
    """The first timed line's time in a CDRouter log (local time, as the agent reads it), as
    Unix seconds."""
    m = re.search(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\.(\d{3})", text, re.M)
    return time.mktime(time.strptime(m.group(1), "%Y-%m-%d %H:%M:%S")) + int(m.group(2)) / 1000


class LateFirstStampTest(AgentCase):
    """jenkins.py's loop on runs whose tests' first timed log line comes late (the header
    first, 1.5 s of set-up, then the stamps): the running test has a start time all along,
    and the log's own stamp replaces the agent's clock when it comes."""
    sim_env = {"CDROUTER_SIM_LATE_STAMP_MS": "1500"}

    def test_a_running_test_always_has_a_start_time(self):
        # dns_45 replays its own real log; the other is filled from another real test's log.
        tests = ["dns_45", "ipv6_rd_99"]
        pkg = self.c.packages.create(Package(name=unique("late-pkg"), testlist=tests,
                                             config_id=self.config().id))
        j = self.c.jobs.launch(Job(package_id=pkg.id))
        while j.result_id is None:
            time.sleep(0.5)
            j = self.c.jobs.get(j.id)
        # examples/jenkins.py: follow results.updates until the run ends. The client refuses
        # an answer whose running test has `started: null` (ValidationError).
        running = {}
        u = self.c.results.updates(j.result_id, None)
        while u:
            if u.running is not None:
                self.assertIsNotNone(u.running.started, u.running.name)
                running.setdefault(u.running.name, u.running.started)
            r = self.c.results.get(j.result_id)
            if r.status in ["completed", "stopped", "error"]:
                break
            u = self.c.results.updates(j.result_id, u.id)
        self.assertEqual(r.status, "completed")
        self.assertTrue(set(tests) & set(running), running)
        for t in self.c.tests.iter_list(j.result_id):
            if t.name in ("start", "final"):
                continue
            self.assertIsNotNone(t.started, t.name)
            log = self.c.tests.get_log_plaintext(t.id, t.seq)
            stamp = first_stamp(log.decode() if isinstance(log, bytes) else log)
            self.assertLess(abs(t.started.timestamp() - stamp), 0.01,
                            "%s: started %s, its log's first stamp %s" % (t.name, t.started, stamp))
        self.c.jobs.delete(j.id)


if __name__ == "__main__":
    unittest.main(verbosity=2)
