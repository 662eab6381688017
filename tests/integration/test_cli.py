"""The admin CLI (confpool servers|meetings|join|pool) against a live daemon:
aligned tables and --json output, URL and token from flags or the
environment, the API's error messages, and the documented exit codes
(0 done, 1 API error, 2 usage, 3 unreachable, 4 not found, 5 no capacity)."""

import http.server
import json
import os
import subprocess
import threading
import time

from cplib import BIN, Daemon, check, run


def cli(d, *args, token=None, env=None, expect=0, url=None):
    e = dict(os.environ)
    e.pop("CONFPOOL_TOKEN", None)
    e["CONFPOOL_URL"] = url or "http://127.0.0.1:%d" % d.port
    e["LC_ALL"] = "C.UTF-8"
    if token:
        e["CONFPOOL_TOKEN"] = token
    e.update(env or {})
    p = subprocess.run([BIN] + list(args), capture_output=True, env=e, timeout=60)
    out, err = p.stdout.decode(), p.stderr.decode()
    check(p.returncode == expect, "exit %d for %s" % (expect, " ".join(args)),
          p.returncode, out, err)
    return out, err


def table(text):
    """Rows of an aligned table as dicts keyed by the header. Columns are the
    runs of positions used by some line, split where every line has at
    least two blanks (cells hold single spaces, columns are two apart), so
    left- and right-aligned columns and empty cells all parse."""
    lines = [l for l in text.splitlines() if l.strip()]
    width = max(len(l) for l in lines)
    used = [any(i < len(l) and l[i] != " " for l in lines) for i in range(width)]
    spans, i = [], 0
    while i < width:
        if not used[i]:
            i += 1
            continue
        j = i
        while j < width and (used[j] or (j + 1 < width and used[j + 1] and used[j - 1])):
            j += 1
        spans.append((i, j))
        i = j
    heads = [lines[0][a:b].strip() for a, b in spans]
    return [{h: l[a:b].strip() for h, (a, b) in zip(heads, spans)} for l in lines[1:]]


def aligned(text):
    """Every row has its columns at the header's column positions."""
    lines = [l for l in text.splitlines() if l.strip()]
    width = max(len(l) for l in lines)
    return all(len(l) <= width for l in lines) and all(not l.endswith(" ") for l in lines)


def test_servers_table_and_json():
    with Daemon() as d:
        out, _ = cli(d, "servers", "add", "fe1", "--address", "fe1.example.com:443",
                     "--capacity", "100", "--region", "eu")
        check(out.startswith("fe1 saved\n") and "region        eu" in out, "add prints", out)
        out, _ = cli(d, "servers", "add", "fe2", "--address", "fe2.example.com:443",
                     "--capacity", "200", "--json")
        check(json.loads(out)["capacity"] == 200, "add --json is the server object", out)
        cli(d, "servers", "add", "lg1", "--address", "lg1:443", "--capacity", "1000",
            "--pool", "large")
        c = d.client()
        c.post("/v1/servers/fe1/report", {"other_load": 20})
        c.schedule("m1", expected_participants=10)
        c.join("m1")
        out, _ = cli(d, "servers", "list")
        rows = table(out)
        check([r["ID"] for r in rows] == ["fe1", "fe2", "lg1"], "rows sorted by id", out)
        want = {"ID": "fe1", "POOL": "default", "STATE": "up", "CAPACITY": "100",
                "OTHER": "20", "CONF": "0", "UTIL": "20.0%", "MEETINGS": "0",
                "PARTICIPANTS": "0", "ADDRESS": "fe1.example.com:443"}
        check(rows[0] == want, "fe1 row", rows[0])
        want = {"ID": "fe2", "POOL": "default", "STATE": "up", "CAPACITY": "200",
                "OTHER": "0", "CONF": "12", "UTIL": "6.0%", "MEETINGS": "1",
                "PARTICIPANTS": "1", "ADDRESS": "fe2.example.com:443"}
        check(rows[1] == want, "fe2 row (the meeting went to the least utilized)", rows[1])
        check(aligned(out), "no trailing blanks", out)
        out, _ = cli(d, "servers", "list", "--json")
        check(json.loads(out) == c.get("/v1/servers").json, "--json is the API's reply")
        out, _ = cli(d, "servers", "list", "--pool", "large", "--json")
        check([s["id"] for s in json.loads(out)["servers"]] == ["lg1"], "--pool filter", out)
        out, _ = cli(d, "servers", "list", "--pool", "large")
        check([r["ID"] for r in table(out)] == ["lg1"], "--pool filter table", out)

        out, _ = cli(d, "servers", "drain", "fe1")
        check(out.startswith("fe1 draining\n") and "state         draining" in out, "drain", out)
        check(c.get("/v1/servers/fe1").json["state"] == "draining", "drained")
        out, _ = cli(d, "servers", "resume", "fe1", "--json")
        check(json.loads(out)["state"] == "up", "resume --json", out)
        out, _ = cli(d, "servers", "down", "lg1")
        check("lg1 marked down" in out and c.get("/v1/servers/lg1").json["state"] == "down",
              "down", out)
        out, _ = cli(d, "servers", "show", "lg1", "--json")
        check(json.loads(out)["state"] == "down", "show --json")
        # remove: refused while hosting, the API's message printed, exit 1
        _, err = cli(d, "servers", "remove", "fe2", expect=1)
        check("hosts 1 active meetings" in err and "conflict" in err and "409" in err,
              "API message", err)
        out, _ = cli(d, "servers", "remove", "fe2", "--force")
        check(out.strip() == "fe2 removed", "removed", out)
        check(c.get("/v1/servers/fe2").status == 404, "gone")


def test_meetings_and_join():
    with Daemon() as d:
        c = d.client()
        c.add_server("fe1")
        out, _ = cli(d, "meetings", "schedule", "--organizer", "alice", "--id", "standup",
                     "--size", "8", "--subject", "Daily standup", "--modalities", "audio,video",
                     "--start", "2030-01-06T09:00:00Z", "--end", "2030-01-06T09:15:00Z")
        check(out.startswith("standup scheduled\n") and "subject         Daily standup" in out
              and "modalities      audio,video" in out, "schedule table", out)
        m = c.get("/v1/meetings/standup").json
        check(m["expected_participants"] == 8 and m["modalities"] == ["audio", "video"]
              and m["start"] == "2030-01-06T09:00:00Z", "scheduled as asked", m)
        for i in range(4):
            out, _ = cli(d, "meetings", "schedule", "--organizer", "bob", "--json")
            check(json.loads(out)["state"] == "scheduled", "schedule --json", out)
        out, _ = cli(d, "join", "standup", "carol")
        rows = table(out)
        check(rows == [{"MEETING": "standup", "PARTICIPANT": "carol", "SERVER": "fe1",
                        "ADDRESS": "fe1.example.com:443", "PARTICIPANTS": "1"}], "join", out)
        out, _ = cli(d, "join", "standup", "dave", "--json")
        check(json.loads(out)["participants"] == 2, "join --json", out)

        out, _ = cli(d, "meetings", "list")
        rows = table(out)
        check(len(rows) == 5 and rows[0]["ID"] == "standup" and rows[0]["STATE"] == "active"
              and rows[0]["SERVER"] == "fe1" and rows[0]["PARTICIPANTS"] == "2"
              and rows[0]["SUBJECT"] == "Daily standup", "list table", out)
        check(all(r["SERVER"] == "-" and r["START"] == "meet now" for r in rows[1:]),
              "scheduled rows", out)
        out, _ = cli(d, "meetings", "list", "--state", "active", "--json")
        check([x["id"] for x in json.loads(out)["meetings"]] == ["standup"], "--state", out)
        # --all follows the cursor across pages
        out, _ = cli(d, "meetings", "list", "--limit", "2", "--all", "--json")
        check(len(json.loads(out)["meetings"]) == 5, "--all --json over 3 pages", out)
        out, _ = cli(d, "meetings", "list", "--limit", "2", "--all")
        check(len(table(out)) == 5, "--all table", out)
        out, _ = cli(d, "meetings", "list", "--limit", "2", "--json")
        check(len(json.loads(out)["meetings"]) == 2 and json.loads(out)["next"], "one page")

        out, _ = cli(d, "meetings", "show", "standup")
        check("server          fe1" in out and "participants    2 now, 2 at peak" in out, "show",
              out)
        out, _ = cli(d, "meetings", "end", "standup")
        check(out.startswith("standup ended\n") and "state           ended" in out, "end", out)
        ids = [x["id"] for x in c.get("/v1/meetings?state=scheduled").json["meetings"]]
        out, _ = cli(d, "meetings", "cancel", ids[0])
        check(out.strip() == ids[0] + " cancelled", "cancel", out)
        _, err = cli(d, "meetings", "cancel", ids[0], expect=1)
        check("has ended" in err and "gone" in err and "410" in err, "410 message", err)
        _, err = cli(d, "join", "standup", "erin", expect=1)
        check("410" in err, "join an ended meeting", err)


def test_pool_status_bars():
    with Daemon() as d:
        c = d.client()
        c.add_server("fe1", capacity=100)
        c.add_server("fe2", capacity=100)
        c.add_server("x1", capacity=100, pool="other")
        c.post("/v1/servers/fe1/report", {"other_load": 20})
        c.schedule("m1", expected_participants=10)
        check(c.join("m1").json["server"]["id"] == "fe2", "least utilization: fe2")
        c.post("/v1/servers/fe2/drain")
        out, _ = cli(d, "pool", "status", "--ascii")
        lines = out.splitlines()
        check(lines[0].split() == ["pool", "default", "policy", "least_utilization", "2",
                                   "servers,", "1", "up", "1", "active", "meetings", "1",
                                   "participants"], "summary", lines[0])
        rows = table("\n".join(lines[3:6]))
        check([r["SERVER"] for r in rows] == ["fe1", "fe2"], "one bar per server of the pool", out)
        # 40 cells: other 20% = 8 '=', conference 12% = 5 '#', marks before cells 32 and 38
        bar = "LOAD / CAPACITY"
        check(rows[0][bar] == "=" * 8 + "." * 24 + "|" + "." * 6 + "|" + "..", "fe1 bar", rows[0])
        check(rows[1][bar] == "#" * 5 + "." * 27 + "|" + "." * 6 + "|" + "..", "fe2 bar", rows[1])
        check(rows[0]["UTIL"] == "20.0%" and rows[1]["STATE"] == "draining", "figures", rows)
        check("at 0.80" in out and "at 0.95" in out, "legend with thresholds", out)
        out, _ = cli(d, "pool", "status")  # UTF-8 glyphs under C.UTF-8
        check("\u2592" * 8 in out and "\u2588" * 5 in out and "\u2502" in out, "utf-8 bars", out)
        out, _ = cli(d, "pool", "status", "--json")
        j = json.loads(out)
        check(j["pool"] == c.get("/v1/pool").json and [s["id"] for s in j["servers"]]
              == ["fe1", "fe2"] and j["thresholds"] == {"new_meeting": 0.8, "join": 0.95},
              "--json", j)
        out, _ = cli(d, "pool", "status", "--pool", "other", "--ascii")
        check([r["SERVER"] for r in table("\n".join(out.splitlines()[3:5]))] == ["x1"],
              "--pool", out)
        _, err = cli(d, "pool", "status", "--pool", "nope", expect=4)
        check("no pool 'nope'" in err, "404 pool", err)


def test_errors_and_exit_codes():
    toks = {"admin": "admin-secret-1", "client": "client-secret-1"}
    with Daemon(tokens=toks) as d:
        _, err = cli(d, "servers", "list", expect=1)
        check("missing bearer token" in err and "401" in err, "401 message", err)
        _, err = cli(d, "servers", "list", token="wrong-token-1", expect=1)
        check("invalid token" in err, "invalid token", err)
        out, _ = cli(d, "servers", "list", "--token", "admin-secret-1")
        check(out.split() == ["ID", "POOL", "STATE", "CAPACITY", "OTHER", "CONF", "UTIL",
                              "MEETINGS", "PARTICIPANTS", "ADDRESS"], "empty table", out)
        _, err = cli(d, "servers", "add", "fe1", "--address", "a:1", "--capacity", "100",
                     token="client-secret-1", expect=1)
        check("the client token may not do this" in err and "403" in err, "403", err)
        # the flag wins over the environment
        cli(d, "servers", "add", "fe1", "--address", "a:1", "--capacity", "100",
            "--token", "admin-secret-1", token="client-secret-1")
        _, err = cli(d, "servers", "show", "ghost", token="admin-secret-1", expect=4)
        check("no server 'ghost'" in err, "404", err)
        out, err = cli(d, "servers", "show", "ghost", "--json", token="admin-secret-1", expect=4)
        check(json.loads(out)["error"]["code"] == "not_found", "--json error body", out)
        # no capacity: 503 is exit 5 with the retry hint
        c = d.client("admin-secret-1")
        c.post("/v1/servers/fe1/report", {"other_load": 99})
        c.schedule("m1")
        _, err = cli(d, "join", "m1", "bob", token="client-secret-1", expect=5)
        check("pool_full" in err and "retry after 15s" in err, "503", err)
        # usage errors
        _, err = cli(d, "servers", "add", "fe9", expect=2)
        check("--address and --capacity are required" in err, "usage", err)
        _, err = cli(d, "servers", "bogus", expect=2)
        check("unknown command 'bogus'" in err, "unknown verb", err)
        _, err = cli(d, "meetings", "list", "--frob", expect=2)
        check("unknown option '--frob'" in err, "unknown option", err)
        out, _ = cli(d, "servers", "--help")
        check("drain" in out and "exit codes" in out, "help", out)
        out, _ = cli(d, "servers", "add", "--help")
        check("--capacity" in out, "verb help", out)
        # unreachable and not-confpool
        _, err = cli(d, "servers", "list", url="http://127.0.0.1:1", expect=3)
        check("cannot reach http://127.0.0.1:1" in err, "unreachable", err)


def test_meetings_plan_asks_the_service():
    with Daemon() as d:
        c = d.client()
        for i in range(3):
            c.add_server("fe%d" % i)
        start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 1800))
        args = ["meetings", "plan", "--size", "800", "--start", start]
        out, _ = cli(d, *args)
        rows = dict(l.split(None, 1) for l in out.splitlines())
        check(rows["status"] == "ok" and rows["host"] in ("fe0", "fe1", "fe2")
              and rows["hold_from"] != "-", "plan table", out)
        out, _ = cli(d, *args, "--json")
        check(json.loads(out)["plan"]["status"] == "ok" and json.loads(out)["large"], "--json",
              out)
        check(c.get("/v1/meetings").json["meetings"] == [], "a dry run stores nothing")
        out, _ = cli(d, "meetings", "plan", "--size", "10", "--start", start)
        check(out.startswith("not a large meeting"), "small meeting", out)
        out, _ = cli(d, "meetings", "plan", "--size", "5000", "--start", start)
        check("impossible" in out.splitlines()[0], "too large", out)


class OldService(http.server.BaseHTTPRequestHandler):
    """A service without the planner: every unknown endpoint is the API's 404."""

    def do_POST(self):
        body = json.dumps({"error": {"code": "not_found",
                                     "message": "no such endpoint: %s" % self.path}}).encode()
        self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def test_meetings_plan_without_a_planner_is_a_clean_404():
    srv = http.server.HTTPServer(("127.0.0.1", 0), OldService)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        url = "http://127.0.0.1:%d" % srv.server_port
        _, err = cli(None, "meetings", "plan", "--size", "900", "--start",
                     "2030-01-06T09:00:00Z", url=url, expect=4)
        check("no large-meeting planner (POST /v1/plan: no such endpoint: /v1/plan)" in err,
              "message", err)
        out, _ = cli(None, "meetings", "plan", "--size", "900", "--json", url=url, expect=4)
        check(json.loads(out)["error"]["code"] == "not_found", "--json error body", out)
    finally:
        srv.shutdown()


if __name__ == "__main__":
    run([test_servers_table_and_json, test_meetings_and_join, test_pool_status_bars,
         test_errors_and_exit_codes, test_meetings_plan_asks_the_service,
         test_meetings_plan_without_a_planner_is_a_clean_404])
