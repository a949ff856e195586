"""Makes one of each thing on a fresh worker, so that schemathesis' runs reach real records:
the examples in docs/openapi.json name them (package, config, device, job, agent, user "1",
result 20240102030405 with tests 1-3, capture interface "lan", file final.txt). Job 1 is left
running on agent 1, whose token goes to $LABRELAY_SEED_OUT for the agent operations.

The operations that end things get records of their own (itest/python/schemathesis.toml
points them there), so that the rest keep theirs: package, config, device, agent, user and
job 2 to delete (job 2 pending until 2099), job 3 (run and finished on agent 1, result
20240102030406) to finish again and to delete its result.

Run by `cargo xtask test` (xtask/src/openapi.rs) with LABRELAY_URL and LABRELAY_ADMIN_TOKEN.
"""

import hashlib
import json
import os
import sys
import urllib.parse
import urllib.request

BASE = os.environ["LABRELAY_URL"].rstrip("/")
ADMIN = os.environ["LABRELAY_ADMIN_TOKEN"]
RESULT = "20240102030405"

LOG = """2022-08-21 22:23:12.722 SECTION(setup):   Started cdrouter-cli
2022-08-21 22:24:45.308 INFO(lan): Sending TCP +Syn, entering state 'syn-sent'
2022-08-21 22:24:45.309 O>>>(lan-1): 10.0.0.3                                3.3.3.3                                 FTP       13447 > 21 +Syn (Len=0, window=0578)
2022-08-21 22:24:45.316 I<<<(wan-1): 192.168.1.2                             3.3.3.3                                 FTP       13447 > 21 +Syn (Len=0, window=0578)
2022-08-21 22:24:46.000 PASS: Test cdrouter_basic_1 (2) passed
"""


def call(method, path, token, body=None, raw=None, query=None):
    url = BASE + path + ("?" + urllib.parse.urlencode(query) if query else "")
    data, ctype = None, None
    if body is not None:
        data, ctype = json.dumps(body).encode(), "application/json"
    if raw is not None:
        data, ctype = raw, "application/octet-stream"
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Authorization", "Bearer " + token)
    if ctype:
        req.add_header("Content-Type", ctype)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            text = resp.read().decode()
            return resp.status, json.loads(text)["data"] if text else None
    except urllib.error.HTTPError as e:
        sys.exit(f"seed: {method} {path}: {e.code} {e.read().decode()}")


def expect_id(what, answer, want):
    status, data = answer
    if str(data["id"]) != want:
        sys.exit(f"seed: {what} got id {data['id']}, not {want}: the worker is not fresh")
    return data


def main():
    for n in ["1", "2"]:
        # Interfaces eth1, eth2 (config 1) and eth3, eth4 (config 2): jobs 1 and 3 can run at once.
        lan, wan = 2 * int(n) - 1, 2 * int(n)
        config = f"testvar lanInterface eth{lan}\ntestvar wanInterface eth{wan}\n"
        expect_id("config", call("POST", "/api/v1/configs/", ADMIN, {"name": f"contract config {n}", "contents": config}), n)
        expect_id("device", call("POST", "/api/v1/devices/", ADMIN, {"name": f"contract device {n}", "manufacturer": "Labrelay"}), n)
        expect_id("package", call("POST", "/api/v1/packages/", ADMIN, {
            "name": f"contract package {n}", "testlist": ["cdrouter_basic_1", "dns_1"], "config_id": n, "device_id": n,
        }), n)
    token = expect_id("agent", call("POST", "/api/v1/agents/", ADMIN, {"name": "contract-agent"}), "1")["token"]
    expect_id("agent", call("POST", "/api/v1/agents/", ADMIN, {"name": "contract-agent-2"}), "2")
    expect_id("user", call("POST", "/api/v1/users/", ADMIN, {"name": "contract-user", "password": "contract-password"}), "2")
    expect_id("job", call("POST", "/api/v1/jobs/", ADMIN, {"package_id": "1", "options": {"tags": ["contract"]}}), "1")
    claim(token, "1")
    call("POST", "/api/v1/agent/jobs/1/start", token, {"result_id": RESULT})
    call("POST", "/api/v1/agent/jobs/1/log", token, {"offset": 0, "text": LOG})
    started = "2024-01-02T03:04:05Z"
    call("POST", "/api/v1/agent/jobs/1/tests", token, {"tests": [
        {"seq": 1, "name": "start", "result": "pass", "log": "start.txt", "started": started},
        {"seq": 2, "name": "cdrouter_basic_1", "description": "Basic test", "result": "pass",
         "log": "cdrouter_basic_1.txt", "started": started, "duration": 1},
        {"seq": 3, "name": "dns_1", "result": "running", "log": "dns_1.txt", "started": started},
    ]})
    files = {
        "start.txt": LOG.encode(),
        "cdrouter_basic_1.txt": LOG.encode(),
        "cdrouter_basic_1-lan.cap": bytes(range(256)),
        "final.txt": b"Test Summary\n",
    }
    for name, data in files.items():
        sha = hashlib.sha256(data).hexdigest()
        call("PUT", "/api/v1/agent/jobs/1/files/" + urllib.parse.quote(name), token, raw=data,
             query={"size": len(data), "sha256": sha, "part": 1})
    call("POST", "/api/v1/agent/jobs/1/heartbeat", token, {"progress": {"done": 1, "total": 2, "passed": 1, "failed": 0}})
    # Job 2: pending until 2099 (no agent takes it), to edit, stop and delete.
    expect_id("job", call("POST", "/api/v1/jobs/", ADMIN, {"package_id": "1", "run_at": "2099-01-01T00:00:00Z"}), "2")
    # Job 3: run to its end, to finish again and delete its result.
    expect_id("job", call("POST", "/api/v1/jobs/", ADMIN, {"package_id": "1", "config_id": "2"}), "3")
    claim(token, "3")
    call("POST", "/api/v1/agent/jobs/3/start", token, {"result_id": str(int(RESULT) + 1)})
    call("POST", "/api/v1/agent/jobs/3/finish", token, {"status": "completed", "exit_code": 0,
                                                        "summary": {"tests": 2, "passed": 2, "failed": 0}})
    with open(os.environ["LABRELAY_SEED_OUT"], "w") as f:
        f.write(token + "\n")
    print(f"seeded: configs, devices, packages 1-2, agents 1-2, user 2; job 1 running on agent 1 "
          f"(result {RESULT}, 3 tests, {len(files)} files), job 2 pending, job 3 completed")


def claim(token, want):
    status, data = call("POST", "/api/v1/agent/claim", token, {"interfaces": ["eth1", "eth2", "eth3", "eth4"], "capacity": 2, "wait_secs": 10})
    if status != 200 or data["job"]["id"] != want:
        sys.exit(f"seed: the agent did not claim job {want}: {status} {data}")


if __name__ == "__main__":
    main()
