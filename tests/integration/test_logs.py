"""Structured logs: every line of the daemon's stderr is logfmt with ts, level
and msg; each request's lines carry its id (req=); each placement decision
is one line with meeting, pool, server, utilization before and after,
policy and result, and refusals name their reason. Parsed from the log of a
real daemon."""

import re

from cplib import Daemon, check, run

TOKEN = re.compile(r'([^\s=]+)=("(?:[^"\\]|\\.)*"|\S*)')


def logfmt(line):
    """Parses one logfmt line strictly: key=value pairs separated by single
    spaces, values bare or double-quoted with backslash escapes."""
    out, pos = {}, 0
    while pos < len(line):
        m = TOKEN.match(line, pos)
        if not m:
            raise ValueError("not logfmt at %d: %r" % (pos, line))
        k, v = m.group(1), m.group(2)
        if v.startswith('"'):
            v = re.sub(r"\\(.)", r"\1", v[1:-1])
        if k in out:
            raise ValueError("key %s twice in %r" % (k, line))
        out[k] = v
        pos = m.end()
        if pos < len(line):
            if line[pos] != " ":
                raise ValueError("expected a space at %d: %r" % (pos, line))
            pos += 1
    return out


def lines(d):
    recs = []
    for raw in d.logs().splitlines():
        rec = logfmt(raw)
        check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", rec.get("ts", "")),
              "ts", raw)
        check(rec.get("level") in ("debug", "info", "warn", "error"), "level", raw)
        check(rec.get("msg"), "msg", raw)
        recs.append(rec)
    return recs


def test_one_line_per_placement_decision_with_request_id():
    with Daemon(config="[pool]\npolicy = least_utilization\n") as d:
        c = d.client()
        c.add_server("fe1", capacity=100)
        c.add_server("fe2", capacity=100)
        for i in range(4):
            c.schedule("m%d" % i, expected_participants=10)
            check(c.join("m%d" % i, "p").status == 200, "placed")
            c.join("m%d" % i, "q")  # sticky: not a decision
        c.post("/v1/servers/fe1/report", {"other_load": 70})
        c.post("/v1/servers/fe2/report", {"other_load": 70})
        c.schedule("full", expected_participants=20)
        check(c.join("full", "p").status == 503, "pool_full")
        decisions = c.get("/v1/decisions").json["decisions"]
        d.stop()
        recs = lines(d)
        place = [r for r in recs if r["msg"] == "placement"]
        check(len(place) == 5, "one line per decision, none for sticky joins", place)
        by_meeting = {r["meeting"]: r for r in place}
        reqs = set()
        for i in range(4):
            r = by_meeting["m%d" % i]
            check(r["level"] == "info" and r["result"] == "placed" and r["pool"] == "default"
                  and r["policy"] == "least_utilization" and r["server"] in ("fe1", "fe2"),
                  "placement fields", r)
            before, after = float(r["util_before"]), float(r["util_after"])
            check(abs(after - before - 0.12) < 1e-4, "utilization grows by the meeting", r)
            check(r["req"].isdigit(), "request id", r)
            reqs.add(r["req"])
        check(len(reqs) == 4, "distinct request ids", reqs)
        r = by_meeting["full"]
        check(r["level"] == "warn" and r["result"] == "refused" and r["reason"] == "pool_full"
              and r["server"] == "none" and "util_before" not in r, "refusal line", r)
        # The decision ring names the same request as the log line.
        for dec in decisions:
            check(str(dec["request"]) == by_meeting[dec["meeting"]]["req"],
                  "same request id in /v1/decisions and the log", dec)
        # Other lines of a request carry its id; lines outside requests do not.
        added = [r for r in recs if r["msg"] == "server added"]
        check(len(added) == 2 and all(r["req"].isdigit() for r in added), "req on server lines")
        check(all("req" not in r for r in recs if r["msg"] in ("listening", "restored",
                                                              "stopped", "dashboard")),
              "no req outside requests")


def test_meeting_full_refusal_names_server_and_utilization():
    with Daemon() as d:
        c = d.client()
        c.add_server("fe1", capacity=100)
        c.post("/v1/servers/fe1/report", {"other_load": 70})
        c.schedule("a", expected_participants=5)
        c.join("a", "p0")
        n = 1
        while c.join("a", "p%d" % n).status == 200:
            n += 1
        d.stop()
        ref = [r for r in lines(d) if r["msg"] == "placement" and r["result"] == "refused"]
        check(len(ref) == 1, "one refusal", ref)
        r = ref[0]
        check(r["reason"] == "meeting_full" and r["server"] == "fe1"
              and float(r["util_after"]) >= 0.95 > float(r["util_before"]), "meeting_full", r)


def test_debug_level_logs_each_request_with_route_status_and_time():
    with Daemon(args=["--log-level", "debug"]) as d:
        c = d.client()
        c.add_server("fe1")
        c.get("/v1/servers/fe1")
        c.get("/v1/servers/none")
        d.stop()
        reqs = [r for r in lines(d) if r["msg"] == "request"]
        got = [(r["method"], r["path"], r["status"]) for r in reqs]
        check(got == [("PUT", "/v1/servers/fe1", "201"), ("GET", "/v1/servers/fe1", "200"),
                      ("GET", "/v1/servers/none", "404")], "access lines", got)
        check(all(float(r["us"]) >= 0 and r["req"].isdigit() for r in reqs), "time and id")
        check(len({r["req"] for r in reqs}) == 3, "one id per request")


def test_dashboard_url_is_in_the_startup_log():
    with Daemon() as d:
        recs = lines(d)
        dash = [r for r in recs if r["msg"] == "dashboard"]
        check(len(dash) == 1 and dash[0]["url"] == "http://127.0.0.1:%d/" % d.port
              and dash[0]["token"] == "none", "dashboard line", dash)


if __name__ == "__main__":
    run([test_one_line_per_placement_decision_with_request_id,
         test_meeting_full_refusal_names_server_and_utilization,
         test_debug_level_logs_each_request_with_route_status_and_time,
         test_dashboard_url_is_in_the_startup_log])
