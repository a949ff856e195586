"""CDRouter's lock/unlock and run control through the official client, unchanged: packages,
configs, devices and results lock and unlock (a locked one refuses edits and deletes), and
results.stop ends a running run the real labrelay-agent is making with the cdrouter-cli
simulator; stopping at the end of a test or loop, and pausing, are refused with a 400 that
says why.

Env (set by `cargo xtask test`): LABRELAY_URL, LABRELAY_ADMIN_TOKEN, LABRELAY_AGENT_BIN,
LABRELAY_SIM_BIN.
"""

import time
import unittest

import requests
from cdrouter.cdrouter import CDRouterError
from cdrouter.configs import Config
from cdrouter.devices import Device
from cdrouter.jobs import Job
from cdrouter.packages import Package

from test_ci_script import TOKEN, URL, AgentCase, unique

AUTH = {"Authorization": "Bearer " + TOKEN}


class RunControlTest(AgentCase):
    sim_env = {"CDROUTER_SIM_TEST_MS": "4000"}

    def wait_status(self, job_id, want):
        deadline = time.time() + 120
        while time.time() < deadline:
            j = requests.get("%s/api/v1/jobs/%s/?wait=5" % (URL, job_id), headers=AUTH,
                             timeout=60).json()["data"]
            if j["status"] in want and (j["status"] != "running" or j["result_id"]):
                return j
            time.sleep(0.2)
        self.fail("job %s never %s" % (job_id, want))

    def test_lock_unlock_and_stop(self):
        cfg = self.config()
        pkg = self.c.packages.create(Package(name=unique("rc-pkg"),
                                             testlist=["cdrouter_app_14", "dns_45"],
                                             config_id=cfg.id))
        dev = self.c.devices.create(Device(name=unique("rc-dev")))
        for service, rec in [(self.c.packages, pkg), (self.c.configs, cfg),
                             (self.c.devices, dev)]:
            locked = service.lock(rec.id)
            self.assertTrue(locked.locked)
            with self.assertRaisesRegex(CDRouterError, "cannot edit locked"):
                locked.description = "changed"
                service.edit(locked)
            with self.assertRaises(CDRouterError):
                service.delete(rec.id)
            self.assertFalse(service.unlock(rec.id).locked)

        job = self.c.jobs.launch(Job(package_id=pkg.id))
        j = self.wait_status(job.id, ["running"])
        rid = int(j["result_id"])
        with self.assertRaisesRegex(CDRouterError, "not supported"):
            self.c.results.stop_end_of_test(rid)
        with self.assertRaisesRegex(CDRouterError, "not supported"):
            self.c.results.pause(rid)
        with self.assertRaisesRegex(CDRouterError, "not supported"):
            self.c.results.unpause(rid)
        self.c.results.stop(rid)
        j = self.wait_status(job.id, ["stopped", "completed", "error"])
        self.assertEqual(j["status"], "stopped", j)
        r = self.c.results.lock(rid)
        self.assertTrue(r.locked)
        with self.assertRaisesRegex(CDRouterError, "locked"):
            self.c.results.delete(rid)
        self.assertFalse(self.c.results.unlock(rid).locked)
        with self.assertRaisesRegex(CDRouterError, "already finished"):
            self.c.results.stop(rid)
        self.c.jobs.delete(job.id)
        self.c.devices.delete(dev.id)


class BulkTest(unittest.TestCase):
    """packages.bulk_copy and bulk_edit (configs and devices share the code)."""

    def test_bulk_copy_and_edit(self):
        from cdrouter import CDRouter
        c = CDRouter(URL, token=TOKEN)
        a = c.packages.create(Package(name=unique("bulk-a"), testlist=["dns_45"]))
        b = c.packages.create(Package(name=unique("bulk-b"), testlist=["dns_45"]))
        copies = c.packages.bulk_copy([a.id, b.id])
        self.assertEqual([p.name for p in copies], [a.name + " copy", b.name + " copy"])
        self.assertEqual([p.test_count for p in copies], [1, 1])
        again = c.packages.bulk_copy([a.id])
        self.assertEqual(again[0].name, a.name + " copy 2")
        c.packages.bulk_edit(Package(description="edited in bulk"), ids=[a.id, b.id])
        self.assertEqual([c.packages.get(i).description for i in (a.id, b.id)],
                         ["edited in bulk", "edited in bulk"])
        # One locked record: nothing changes.
        c.packages.lock(b.id)
        with self.assertRaisesRegex(CDRouterError, "cannot edit locked package"):
            c.packages.bulk_edit(Package(description="again"), ids=[a.id, b.id])
        self.assertEqual(c.packages.get(a.id).description, "edited in bulk")
        c.packages.unlock(b.id)
        r = requests.post(URL + "/api/v1/packages/?bulk=edit", headers=AUTH, timeout=60,
                          json={"fields": {"name": "same"}, "packages": [{"id": str(a.id)}]})
        self.assertEqual((r.status_code, r.json()["error"]),
                         (400, "bulk edit cannot set name: names are unique"))
        r = requests.post(URL + "/api/v1/packages/?bulk=edit", headers=AUTH, timeout=60,
                          json={"packages": [{"id": str(a.id)}]})
        self.assertEqual(r.status_code, 400)
        r = requests.post(URL + "/api/v1/configs/?bulk=copy", headers=AUTH, timeout=60,
                          json={"configs": [{"id": "987654"}]})
        self.assertEqual((r.status_code, r.json()["error"]), (404, "no such config"))
        c.packages.bulk_delete(ids=[a.id, b.id] + [p.id for p in copies + again])


class RunControlRefusals(unittest.TestCase):
    def test_unknown_records_and_bad_when(self):
        for path in ["/packages/987654/lock/", "/configs/987654/unlock/", "/devices/987654/lock/",
                     "/results/987654/lock/", "/results/987654/stop/"]:
            r = requests.post(URL + "/api/v1" + path, headers=AUTH, timeout=60)
            self.assertEqual(r.status_code, 404, path)
        r = requests.post(URL + "/api/v1/results/987654/stop/?when=tomorrow", headers=AUTH,
                          timeout=60)
        self.assertEqual((r.status_code, r.json()["error"]),
                         (400, 'invalid when "tomorrow": end-of-test or end-of-loop, or none '
                               'to stop now'))
        r = requests.post(URL + "/api/v1/packages/1/lock/", timeout=60)
        self.assertEqual(r.status_code, 401)


if __name__ == "__main__":
    unittest.main(verbosity=2)
