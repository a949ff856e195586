"""CDRouter's `system` service through the official client, unchanged: time, info, space,
hostname, interfaces (from the lab's agents; which a running job uses), preferences; and the
calls that run a CDRouter box (licence, upgrades, lounge, shutdown, reboot, diagnostics)
refused with a 400 that says they do not apply.

Env (set by `cargo xtask test`): LABRELAY_URL, LABRELAY_ADMIN_TOKEN, LABRELAY_AGENT_BIN,
LABRELAY_SIM_BIN.
"""

import datetime
import io
import time
import unittest

from cdrouter import CDRouter
from cdrouter.cdrouter import CDRouterError
from cdrouter.system import Preferences

from test_ci_script import TOKEN, URL, AgentCase


class SystemTest(AgentCase):
    def test_the_clients_system_calls(self):
        c = self.c
        t = c.system.time()
        at = datetime.datetime.strptime(t[:19], "%Y-%m-%dT%H:%M:%S").replace(
            tzinfo=datetime.timezone.utc)
        now = datetime.datetime.now(datetime.timezone.utc)
        self.assertLess(abs((at - now).total_seconds()), 120, t)
        self.assertTrue(c.system.hostname())
        space = c.system.space()
        self.assertEqual(space.unit, "bytes")
        self.assertGreaterEqual(space.used, 0)

        # The agent this test started reports its interfaces with its first claim.
        deadline = time.time() + 30
        names = []
        while time.time() < deadline:
            names = [i.name for i in c.system.interfaces()]
            if set(self.ifaces) <= set(names):
                break
            time.sleep(0.5)
        self.assertTrue(set(self.ifaces) <= set(names), names)
        up = {i.name: i.flags.up for i in c.system.interfaces(addresses=True)}
        self.assertTrue(up[self.ifaces[0]])
        in_use = {i.name: i.flags.in_use for i in c.system.in_use_interfaces()}
        self.assertIs(in_use[self.ifaces[0]], False)
        info = c.system.info()
        self.assertIn("Labrelay", info)
        self.assertIn(self.ifaces[0], info)

        p = c.system.edit_preferences(Preferences(hostname="lab-box", log_timestamp_format="unix"))
        self.assertEqual((p.hostname, p.log_timestamp_format), ("lab-box", "unix"))
        p = c.system.get_preferences()
        self.assertEqual(p.hostname, "lab-box")

    def test_what_does_not_apply_says_so(self):
        c = self.c
        for call, what in [
            (lambda: c.system.latest_lounge_release(), "lounge"),
            (lambda: c.system.check_for_lounge_upgrade("a@b.c"), "lounge"),
            (lambda: c.system.lounge_update_license(), "license"),
            (lambda: c.system.manual_update_license(io.BytesIO(b"x")), "license"),
            (lambda: c.system.manual_upgrade(io.BytesIO(b"x")), "upgrade"),
            (lambda: c.system.shutdown(), "shutdown"),
            (lambda: c.system.poweroff(), "poweroff"),
            (lambda: c.system.restart(), "restart"),
            (lambda: c.system.reboot(), "reboot"),
            (lambda: c.system.diagnostics(), "diag"),
        ]:
            with self.assertRaisesRegex(CDRouterError,
                                        "system/%s does not apply to Labrelay" % what):
                call()


class PreferenceRefusals(unittest.TestCase):
    def test_long_values_are_refused(self):
        c = CDRouter(URL, token=TOKEN)
        with self.assertRaisesRegex(CDRouterError, "hostname is longer than 200 bytes"):
            c.system.edit_preferences(Preferences(hostname="x" * 201))


if __name__ == "__main__":
    unittest.main(verbosity=2)
