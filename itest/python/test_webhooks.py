"""Webhooks against a local receiver this test starts: a job the real labrelay-agent runs
with the cdrouter-cli simulator (replaying the real CDRouter run in fixtures/) is heard as
job.launched, job.started and job.finished (the result's counts, its failed tests, its JUnit
link), each body signed as documented (X-Labrelay-Signature: t=<unix>,v1=<hex HMAC-SHA256
(secret, "<t>.<body>")>) and verified here; a device turned bad is heard; a receiver that
answers 500 and then recovers gets the delivery once more, under the same delivery id; a dead
one is retried and then turned off with the reason; SSRF targets are refused at creation; the
secret rotates; a delivery is redelivered; Slack-style bodies; the per-lab cap.

Env (set by `cargo xtask test`): LABRELAY_URL, LABRELAY_ADMIN_TOKEN, LABRELAY_AGENT_BIN,
LABRELAY_SIM_BIN, LABRELAY_WEBHOOK_GIVE_UP_SECS (how long the worker lets a hook fail).
"""

import hashlib
import hmac
import http.server
import json
import os
import threading
import time
import unittest

import requests
from cdrouter.devices import Device
from cdrouter.jobs import Job
from cdrouter.packages import Package

from test_ci_script import TOKEN, URL, AgentCase, unique

AUTH = {"Authorization": "Bearer " + TOKEN}
GIVE_UP = int(os.environ.get("LABRELAY_WEBHOOK_GIVE_UP_SECS", "0"))


class Receiver:
    """An HTTP server on 127.0.0.1: `/ok` answers 200, `/flaky` 500 the first time then 200,
    `/dead` always 500. Keeps every request."""

    def __init__(self):
        self.requests = []
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                with outer.lock:
                    seen = [r for r in outer.requests if r["path"] == self.path]
                    outer.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                           "body": body.decode()})
                ok = self.path.startswith("/ok") or (self.path.startswith("/flaky") and seen)
                self.send_response(200 if ok else 500)
                self.end_headers()
                self.wfile.write(b"thanks" if ok else b"broken")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def got(self, path, pred=lambda r: True):
        with self.lock:
            return [r for r in self.requests if r["path"] == path and pred(r)]

    def wait_for(self, path, pred=lambda r: True, count=1, timeout=90):
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = self.got(path, pred)
            if len(found) >= count:
                return found
            time.sleep(0.2)
        raise AssertionError("receiver: %d of %d requests to %s; all: %s" % (
            len(self.got(path, pred)), count, path, [(r["path"], r["body"][:80])
                                                     for r in self.requests]))

    def close(self):
        self.server.shutdown()


def api(method, path, **kw):
    return requests.request(method, URL + "/api/v1" + path, headers=AUTH, timeout=60, **kw)


def verify(secret, r):
    """The signature as a receiver checks it."""
    sig = dict(p.split("=", 1) for p in r["headers"]["x-labrelay-signature"].split(","))
    mac = hmac.new(secret.encode(), ("%s.%s" % (sig["t"], r["body"])).encode(),
                   hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac, sig["v1"]) and abs(time.time() - int(sig["t"])) < 300


class WebhookTest(AgentCase):
    def setUp(self):
        super().setUp()
        self.rx = Receiver()
        self.hooks = []

    def tearDown(self):
        for h in self.hooks:
            api("DELETE", "/webhooks/%s/" % h)
        self.rx.close()
        super().tearDown()

    def hook(self, path, events, **kw):
        r = api("POST", "/webhooks/", json=dict(url=self.rx.url + path, events=events, **kw))
        self.assertEqual(r.status_code, 200, r.text)
        h = r.json()["data"]
        self.hooks.append(h["id"])
        return h

    def test_a_run_is_heard_signed_and_retried(self):
        self.assertGreater(GIVE_UP, 0, "LABRELAY_WEBHOOK_GIVE_UP_SECS is not set")
        ok = self.hook("/ok", ["job.launched", "job.started", "job.finished"], name="ci")
        self.assertTrue(ok["secret"].startswith("whsec_"))
        self.assertNotIn("secret", api("GET", "/webhooks/%s/" % ok["id"]).json()["data"])
        flaky = self.hook("/flaky", ["job.finished"])
        dead = self.hook("/dead", ["job.finished"])
        slack = self.hook("/ok-slack", ["job.finished"], format="slack")

        cfg = self.config()
        pkg = self.c.packages.create(Package(name=unique("hook-pkg"),
                                             testlist=["cdrouter_app_14", "dns_45"],
                                             config_id=cfg.id))
        job = self.c.jobs.launch(Job(package_id=pkg.id))
        mine = lambda r: json.loads(r["body"]).get("job", {}).get("id") == str(job.id)
        finished = self.rx.wait_for("/ok", lambda r: mine(r) and json.loads(r["body"])["event"]
                                    == "job.finished")[0]
        events = [json.loads(r["body"])["event"] for r in self.rx.got("/ok", mine)]
        self.assertEqual(events, ["job.launched", "job.started", "job.finished"])
        for r in self.rx.got("/ok", mine):
            self.assertTrue(verify(ok["secret"], r), r["headers"])
            self.assertEqual(r["headers"]["x-labrelay-event"], json.loads(r["body"])["event"])
        self.assertFalse(verify(flaky["secret"], finished))
        body = json.loads(finished["body"])
        self.assertEqual(body["delivery"], finished["headers"]["x-labrelay-delivery"])
        self.assertEqual(body["job"]["status"], "completed")
        self.assertEqual((body["result"]["pass"], body["result"]["fail"]), (1, 1))
        self.assertEqual([t["name"] for t in body["failed_tests"]], ["cdrouter_app_14"])
        self.assertTrue(body["result"]["junit"].endswith(
            "/api/v1/results/%s/junit" % body["result"]["id"]), body["result"])
        junit = requests.get(body["result"]["junit"], headers=AUTH, timeout=60)
        self.assertEqual(junit.status_code, 200)
        self.assertIn("cdrouter_app_14", junit.text)

        s = self.rx.wait_for("/ok-slack", mine_slack(job.id))[0]
        self.assertIn("blocks", json.loads(s["body"]))

        # 500, then 200: delivered once more, the same delivery.
        tries = self.rx.wait_for("/flaky", mine, count=2)
        self.assertEqual(len({r["headers"]["x-labrelay-delivery"] for r in tries}), 1)
        d = api("GET", "/webhooks/%s/deliveries" % flaky["id"]).json()["data"]
        d = [x for x in d if x["id"] == tries[0]["headers"]["x-labrelay-delivery"]][0]
        self.assertEqual((d["state"], d["attempts"], d["status"], d["response"]),
                         ("delivered", 2, 200, "thanks"))

        # Dead: retried, then given up and the hook turned off, saying why.
        deadline = time.time() + GIVE_UP * 3 + 60
        while time.time() < deadline:
            h = api("GET", "/webhooks/%s/" % dead["id"]).json()["data"]
            if not h["enabled"]:
                break
            time.sleep(1)
        self.assertFalse(h["enabled"], h)
        self.assertIn("answered 500", h["disabled_reason"])
        self.assertGreaterEqual(len(self.rx.got("/dead", mine)), 2)
        d = api("GET", "/webhooks/%s/deliveries" % dead["id"]).json()["data"]
        self.assertEqual({x["state"] for x in d}, {"failed"})

        # A new secret; a redelivery is signed with it.
        old = ok["secret"]
        new = api("POST", "/webhooks/%s/secret" % ok["id"]).json()["data"]["secret"]
        self.assertNotEqual(new, old)
        r = api("POST", "/webhooks/%s/deliveries/%s/redeliver" % (ok["id"], body["delivery"]))
        self.assertEqual(r.status_code, 200, r.text)
        again = self.rx.wait_for("/ok", lambda x: x["headers"]["x-labrelay-delivery"]
                                 == r.json()["data"]["id"])[0]
        self.assertTrue(verify(new, again))
        self.assertFalse(verify(old, again))

    def test_a_device_turned_bad_is_heard(self):
        h = self.hook("/ok-device", ["device.bad", "device.ready"])
        dev = self.c.devices.create(Device(name=unique("hook-dev")))
        api("PATCH", "/devices/%s/" % dev.id, json={"state": "bad", "state_note": "smoke"})
        r = self.rx.wait_for("/ok-device")[0]
        body = json.loads(r["body"])
        self.assertEqual((body["event"], body["device"]["id"], body["device"]["state_note"]),
                         ("device.bad", str(dev.id), "smoke"))
        self.assertTrue(verify(h["secret"], r))
        self.c.devices.delete(dev.id)


def mine_slack(job_id):
    return lambda r: ("Job %s " % job_id) in json.loads(r["body"])["text"]


class WebhookRefusals(unittest.TestCase):
    def test_targets_inputs_and_the_cap(self):
        for url, msg in [
            ("http://hooks.example.com/x", "url must be https://"),
            ("https://169.254.169.254/latest/meta-data/",
             "url's host 169.254.169.254 is on a private, loopback or link-local network: refused"),
            ("https://10.1.2.3/", "url's host 10.1.2.3 is on a private, loopback or link-local network: refused"),
            ("https://metadata.google.internal/", None),
            ("https://user:pw@hooks.example.com/", None),
        ]:
            r = api("POST", "/webhooks/", json={"url": url})
            self.assertEqual(r.status_code, 400, url)
            if msg:
                self.assertEqual(r.json()["error"], msg)
        r = api("POST", "/webhooks/", json={"url": "https://hooks.example.com/", "events": ["job.exploded"]})
        self.assertEqual(r.status_code, 400)
        self.assertTrue(r.json()["error"].startswith('unknown event "job.exploded"'))
        r = api("POST", "/webhooks/", json={"events": ["job.finished"]})
        self.assertEqual((r.status_code, r.json()["error"]), (400, "url is required"))
        r = api("POST", "/webhooks/", data="not json")
        self.assertEqual(r.status_code, 400)
        self.assertEqual(api("GET", "/webhooks/987654/").status_code, 404)
        self.assertEqual(requests.get(URL + "/api/v1/webhooks/", timeout=60).status_code, 401)
        made = []
        try:
            while True:
                r = api("POST", "/webhooks/", json={"url": "https://hooks.example.com/%d" % len(made),
                                                    "events": ["device.bad"], "enabled": False})
                if r.status_code != 200:
                    break
                made.append(r.json()["data"]["id"])
                self.assertLessEqual(len(made), 100)
            self.assertEqual((r.status_code, r.json()["error"]),
                             (400, "a lab has at most 100 webhooks: delete one first"))
        finally:
            for h in made:
                api("DELETE", "/webhooks/%s/" % h)


if __name__ == "__main__":
    unittest.main(verbosity=2)
