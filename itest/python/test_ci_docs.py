"""docs/ci.md as written: its shell script (launch, `?wait=` on the job, the server's JUnit,
the verdict) on jobs the real labrelay-agent runs with the cdrouter-cli simulator replaying
the real CDRouter run in fixtures/cdrouter-exports/. It must fail the build on the run with a
failed test and pass on a passing one. The server's JUnit must equal what the official
client's CI example (examples/gitlab.py, test_ci_script.ci_script) builds from the same run.
And the wait's and the JUnit's answers to bad input.

Env (set by `cargo xtask test`): LABRELAY_URL, LABRELAY_ADMIN_TOKEN, LABRELAY_AGENT_BIN,
LABRELAY_SIM_BIN.
"""

import os
import re
import shutil
import subprocess
import tempfile
import unittest
import xml.etree.ElementTree as ET

import requests
from cdrouter.configs import Config
from cdrouter.jobs import Job
from cdrouter.packages import Package

from test_ci_script import TOKEN, URL, AgentCase, ci_script, fixture_verdicts, unique

DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "ci.md")
AUTH = {"Authorization": "Bearer " + TOKEN}


def doc_script():
    """The block of docs/ci.md marked as labrelay-ci.sh, byte for byte."""
    with open(DOC) as f:
        text = f.read()
    m = re.search(r"<!-- labrelay-ci\.sh:[^>]*-->\n```sh\n(.*?\n)```", text, re.S)
    if not m:
        raise AssertionError("docs/ci.md has no block marked labrelay-ci.sh")
    return m.group(1)


def cases(suite):
    """testcase name -> (classname, file, time, the failure's text, skipped)."""
    out = {}
    for c in suite.findall("testcase"):
        failure = c.find("failure")
        out[c.get("name")] = (c.get("classname"), c.get("file"), c.get("time"),
                              None if failure is None else failure.text.strip(),
                              c.find("skipped") is not None)
    return out


class CiDocsTest(AgentCase):
    def setUp(self):
        super().setUp()
        if shutil.which("jq") is None or shutil.which("curl") is None:
            self.fail("docs/ci.md's script needs curl and jq on PATH")
        self.cfg = self.config()

    def package(self, tests):
        return self.c.packages.create(Package(name=unique("ci-doc"), testlist=tests,
                                              config_id=self.cfg.id))

    def run_doc(self, package_id):
        work = tempfile.mkdtemp(dir=self.work)
        script = os.path.join(work, "labrelay-ci.sh")
        with open(script, "w") as f:
            f.write(doc_script())
        env = dict(os.environ, LABRELAY_URL=URL, LABRELAY_TOKEN=TOKEN,
                   PACKAGE_ID=str(package_id))
        p = subprocess.run(["sh", script], cwd=work, env=env, capture_output=True, text=True,
                           timeout=600)
        return p, os.path.join(work, "junit.xml")

    def test_the_documented_script_fails_a_failed_run_and_passes_a_passing_one(self):
        want = fixture_verdicts()
        p, junit = self.run_doc(self.package(sorted(want)).id)
        self.assertNotEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertRegex(p.stdout, r"job \d+ completed; result \d+: 1 failed \(junit.xml\)")
        got = {name.split(":")[0]: "fail" if c[3] is not None else "pass"
               for name, c in cases(ET.parse(junit).getroot()).items()}
        self.assertEqual(got, want)

        p, junit = self.run_doc(self.package(["dns_45"]).id)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertRegex(p.stdout, r"job \d+ completed; result \d+: 0 failed \(junit.xml\)")
        suite = ET.parse(junit).getroot()
        self.assertEqual([c.get("name").split(":")[0] for c in suite.findall("testcase")],
                         ["dns_45"])
        self.assertIsNone(suite.find("testcase/failure"))

    def test_the_servers_junit_is_the_client_examples(self):
        out = os.path.join(self.work, "out")
        os.mkdir(out)
        _, r, client_junit, _ = ci_script(self.c, URL, self.package(sorted(fixture_verdicts())).id,
                                          out)
        self.assertEqual(r.status, "completed")
        resp = requests.get("%s/api/v1/results/%s/junit" % (URL, r.id), headers=AUTH, timeout=60)
        self.assertEqual(resp.status_code, 200, resp.text)
        self.assertEqual(resp.headers["content-type"], "application/xml; charset=utf-8")
        server = ET.fromstring(resp.content)
        client = ET.parse(client_junit).getroot()
        self.assertEqual(server.tag, client.tag)
        self.assertEqual(server.attrib, client.attrib)
        self.assertEqual(cases(server), cases(client))
        failure = server.find("testcase/failure").text
        self.assertIn("FAIL: Inbound FTP data connection succeeded", failure)
        self.assertIn("FAIL: Test cdrouter_app_14 (183) failed", failure)
        # The same run through a result's wait: ended, so answered at once.
        done = requests.get("%s/api/v1/results/%s/?wait=25" % (URL, r.id), headers=AUTH,
                            timeout=60)
        self.assertEqual(done.json()["data"]["status"], "completed")


class CiDocsRefusals(unittest.TestCase):
    def test_bad_waits_and_unknown_results_are_clear_errors(self):
        c = requests.get(URL + "/api/v1/jobs/1/?wait=soon", headers=AUTH, timeout=60)
        self.assertEqual(c.status_code, 400, c.text)
        self.assertEqual(c.json()["error"],
                         'invalid wait "soon": a number of seconds (at most 25 are waited)')
        c = requests.get(URL + "/api/v1/results/1/?wait=-1", headers=AUTH, timeout=60)
        self.assertEqual(c.status_code, 400, c.text)
        c = requests.get(URL + "/api/v1/jobs/987654321/?wait=1", headers=AUTH, timeout=60)
        self.assertEqual((c.status_code, c.json()["error"]), (404, "no such job"))
        c = requests.get(URL + "/api/v1/results/987654321/junit", headers=AUTH, timeout=60)
        self.assertEqual((c.status_code, c.json()["error"]), (404, "no such result"))
        c = requests.get(URL + "/api/v1/results/abc/junit", headers=AUTH, timeout=60)
        self.assertEqual(c.status_code, 404, c.text)
        c = requests.get(URL + "/api/v1/results/1/junit", timeout=60)
        self.assertEqual(c.status_code, 401, c.text)

    def test_a_wait_on_a_job_that_cannot_run_answers_with_it_pending(self):
        from cdrouter import CDRouter
        client = CDRouter(URL, token=TOKEN)
        u = unique("nobody")
        cfg = client.configs.create(Config(
            name=unique("ci-doc-cfg"),
            contents="testvar lanInterface %s-lan\ntestvar wanInterface %s-wan\n" % (u, u)))
        pkg = client.packages.create(Package(name=unique("ci-doc"), testlist=["dns_45"],
                                             config_id=cfg.id))
        job = client.jobs.launch(Job(package_id=pkg.id))
        try:
            c = requests.get("%s/api/v1/jobs/%s/?wait=1" % (URL, job.id), headers=AUTH,
                             timeout=60)
            self.assertEqual(c.status_code, 200, c.text)
            self.assertEqual((c.json()["data"]["id"], c.json()["data"]["status"]),
                             (str(job.id), "pending"))
        finally:
            client.jobs.delete(job.id)


if __name__ == "__main__":
    unittest.main(verbosity=2)
