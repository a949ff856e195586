"""schemathesis hooks for `cargo xtask test` (SCHEMATHESIS_HOOKS=schemathesis_hooks): keeps
the long-polls short, so a run is bounded in time. Everything else is sent as generated."""

import schemathesis


def _waits(value):
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


@schemathesis.hook
def before_call(context, case, kwargs):
    path = case.operation.path
    # A claim with nothing to run is held for `wait_secs` (default 25, up to 50 s).
    if path == "/api/v1/agent/claim" and isinstance(case.body, dict):
        if "wait_secs" not in case.body or _waits(case.body["wait_secs"]):
            case.body["wait_secs"] = 0
    # `changes` holds the request while the store's version is `after` (default 25 s).
    if path == "/api/v1/changes":
        query = case.query if isinstance(case.query, dict) else {}
        if "wait" not in query or _waits(query["wait"]) or str(query["wait"]).isdigit():
            query["wait"] = 0
        case.query = query
    # A job's or a result's `wait` holds the request until its run ends (up to 25 s).
    if case.operation.definition.raw.get("operationId") in ("getJob", "getResult"):
        query = case.query if isinstance(case.query, dict) else {}
        if "wait" in query:
            query["wait"] = 0
        case.query = query
