"""The official CDRouter Python client (`pip install cdrouter`) against Labrelay, unchanged.

`cargo xtask test` runs this with LABRELAY_URL, LABRELAY_ADMIN_TOKEN and
LABRELAY_ADMIN_PASSWORD pointing at the worker it started: once at the bare URL (the default
lab) and once at a lab's base URL (`http://host/labs/<lab>`).
"""

import os
import time
import unittest
import urllib.parse
import uuid

from cdrouter import CDRouter
from cdrouter.cdr_error import CDRouterError
from cdrouter.configs import Config
from cdrouter.devices import Device
from cdrouter.jobs import Job, Options
from cdrouter.packages import Package

URL = os.environ["LABRELAY_URL"]
TOKEN = os.environ["LABRELAY_ADMIN_TOKEN"]
PASSWORD = os.environ["LABRELAY_ADMIN_PASSWORD"]


def unique(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:10])


class ClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = CDRouter(URL, token=TOKEN)

    def make_package(self, **kw):
        cfg = self.c.configs.create(Config(name=unique("py-cfg"), contents="testvar lanInterface eth3\n"))
        dev = self.c.devices.create(Device(name=unique("py-dev"), manufacturer="Acme"))
        pkg = self.c.packages.create(Package(name=unique("py-pkg"), testlist=["cdrouter_basic_1", "cdrouter_nat_1"],
                                             config_id=cfg.id, device_id=dev.id, **kw))
        return pkg, cfg, dev

    def test_authenticate_with_username_and_password(self):
        # The client's automatic sign-in only recognises `/authenticate` at the root of the
        # host (its hook tests `path_url.startswith('/authenticate')`), so under a lab's
        # base URL it signs in at the root and uses the token there (tokens are global).
        root = URL
        if urllib.parse.urlparse(URL).path.strip("/"):
            root = URL.split("/labs/")[0]
            token = CDRouter(root, username="admin", password=PASSWORD).authenticate()
            self.assertEqual(CDRouter(URL, token=token).system.hostname(), "labrelay")
        c = CDRouter(root, username="admin", password=PASSWORD)
        self.assertEqual(c.system.hostname(), "labrelay")
        self.assertTrue(c.token)
        with self.assertRaises(CDRouterError):
            CDRouter(root, username="admin", password="wrong", retries=0).system.hostname()

    def test_packages_configs_devices(self):
        pkg, cfg, dev = self.make_package(tags=["py"])
        self.assertEqual(pkg.test_count, 2)
        self.assertEqual(self.c.packages.get(pkg.id).name, pkg.name)
        self.assertEqual(self.c.packages.get_by_name(pkg.name).id, pkg.id)
        self.assertEqual(self.c.configs.get_by_name(cfg.name).id, cfg.id)
        self.assertEqual(self.c.devices.get_by_name(dev.name).id, dev.id)
        self.assertEqual(self.c.configs.get(cfg.id).interfaces[0].value, "eth3")

        page = self.c.packages.list(filter=["name=%s" % pkg.name])
        self.assertEqual(len(page.data), 1)
        self.assertEqual(page.links.total, 1)

        got = self.c.packages.get(pkg.id)
        got.description = "edited from python"
        self.assertEqual(self.c.packages.edit(got).description, "edited from python")
        c2 = self.c.configs.get(cfg.id)
        c2.note = "py note"
        self.assertEqual(self.c.configs.edit(c2).note, "py note")
        d2 = self.c.devices.get(dev.id)
        d2.model_name = "R2"
        self.assertEqual(self.c.devices.edit(d2).model_name, "R2")

        self.c.packages.delete(pkg.id)
        self.c.configs.delete(cfg.id)
        self.c.devices.delete(dev.id)
        with self.assertRaises(CDRouterError) as err:
            self.c.packages.get(pkg.id)
        self.assertIn("no such package", str(err.exception))

    def test_jobs(self):
        pkg, cfg, _ = self.make_package()
        tag = unique("py-tag")
        job = self.c.jobs.launch(Job(package_id=pkg.id, options=Options(tags=[tag])))
        self.assertEqual(job.status, "pending")
        self.assertEqual(job.package_name, pkg.name)
        # Launched without config_id: CDRouter's 0, "the package's own", resolved when it runs
        # (the interfaces already come from the package's config).
        self.assertEqual(job.config_id, 0)
        self.assertEqual(job.interface_names, ["eth3", "eth2"])
        self.assertEqual(self.c.jobs.get(job.id).id, job.id)

        ifaces = self.c.jobs.get_interfaces(Job(package_id=pkg.id, options=Options(extra_cli_args="-testvar lanInterface=eth9")))
        self.assertEqual([i.value for i in ifaces], ["eth9", "eth2"])

        # The client's edit sends package_id, config_id and device_id (not options).
        other = self.c.configs.create(Config(name=unique("py-cfg"), contents="testvar lanInterface eth4\n"))
        got = self.c.jobs.get(job.id)
        got.config_id = other.id
        edited = self.c.jobs.edit(got)
        self.assertEqual(edited.config_name, other.name)
        self.assertEqual(edited.interface_names, ["eth4", "eth2"])
        self.assertEqual(edited.options.tags, [tag])

        launched = self.c.jobs.bulk_launch(jobs=[Job(package_id=pkg.id, options=Options(tags=[tag]))] * 3)
        self.assertEqual(len(launched), 3)
        listed = self.c.jobs.list(filter=["tags@>{%s}" % tag], limit=2)
        self.assertEqual(listed.links.total, 4)
        self.assertEqual(listed.links.next, 2)
        every = list(self.c.jobs.iter_list(filter=["tags@>{%s}" % tag], limit=2))
        self.assertEqual(sorted(j.id for j in every), sorted([job.id] + [j.id for j in launched]))

        self.c.jobs.delete(job.id)
        self.c.jobs.bulk_delete(ids=[launched[0].id])
        self.assertEqual(self.c.jobs.list(filter=["tags@>{%s}" % tag]).links.total, 2)
        self.c.jobs.bulk_delete(filter=["tags@>{%s}" % tag])
        self.assertEqual(self.c.jobs.list(filter=["tags@>{%s}" % tag]).links.total, 0)

    def test_bulk_launch_by_package_filter(self):
        marker = unique("py-mark")
        tag = unique("py-tag")
        for _ in range(2):
            self.make_package(tags=[marker])
        jobs = self.c.jobs.bulk_launch(filter=["tags@>{%s}" % marker], _fields=Job(options=Options(tags=[tag])))
        self.assertEqual(len(jobs), 2)
        self.assertTrue(all(j.options.tags == [tag] for j in jobs))

    def test_errors_come_back_as_cdrouter_errors(self):
        with self.assertRaises(CDRouterError) as err:
            self.c.jobs.get(999999)
        self.assertIn("no such job", str(err.exception))
        with self.assertRaises(CDRouterError) as err:
            self.c.jobs.list(filter=["nofield=1"])
        self.assertIn("unknown field", str(err.exception))


if __name__ == "__main__":
    unittest.main(verbosity=2)
