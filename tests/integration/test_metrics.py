"""GET /metrics: the exposition is valid Prometheus text (a strict parser,
and promtool when it is installed), and every figure matches the actions
that produced it: placements, refusals by reason, request counts per route
and status, commit counts, the engine's state per server and pool."""

import os
import re
import shutil
import subprocess
import time

import promtext
from cplib import Daemon, check, run

POLICY = "least_utilization"


def scrape(c, **kw):
    r = c.get("/metrics", **kw)
    check(r.status == 200, "scrape", r)
    ctype = r.header("Content-Type") or ""
    check(ctype.startswith("text/plain") and "version=0.0.4" in ctype, "content type", ctype)
    text = r.raw.decode("utf-8")
    return promtext.parse(text), text


def placed(fams, pool="default", policy=POLICY):
    return promtext.value(fams, "confpool_placements_total", pool=pool, policy=policy,
                          result="placed") or 0


def test_exposition_is_strictly_valid_after_mixed_traffic():
    with Daemon(config="[pool.large]\npolicy = round_robin\n") as d:
        c = d.client()
        for i in range(4):
            c.add_server("fe%d" % i, capacity=60)
        c.add_server("big", capacity=2000, pool="large")
        c.post("/v1/servers/fe0/report", {"other_load": 10})
        for i in range(12):
            c.schedule("m%d" % i, expected_participants=8, subject='quote " and \\ slash')
            c.join("m%d" % i, "p")
        c.schedule("l1", pool="large", expected_participants=100)
        c.join("l1", "a")
        c.post("/v1/servers/fe1/drain")
        c.get("/v1/nope")
        c.get("/v1/meetings/unknown")
        c.request("PATCH", "/v1/pool")
        for _ in range(2):
            fams, text = scrape(c)
        for name in ("confpool_placements_total", "confpool_refusals_total",
                     "confpool_http_request_duration_seconds",
                     "confpool_placement_decision_seconds",
                     "confpool_db_commit_duration_seconds", "confpool_server_utilization",
                     "confpool_server_state", "confpool_meetings",
                     "confpool_large_meeting_holds", "confpool_server_other_load"):
            check(name in fams and fams[name].type and fams[name].help, "family " + name,
                  sorted(fams))
        check(fams["confpool_placements_total"].type == "counter", "counter type")
        check(fams["confpool_http_request_duration_seconds"].type == "histogram", "hist type")
        promtool = shutil.which("promtool")
        if promtool:
            p = subprocess.run([promtool, "check", "metrics"], input=text.encode(),
                               capture_output=True, timeout=30)
            check(p.returncode == 0, "promtool check metrics", p.stdout, p.stderr)
            print("     (also checked by %s)" % promtool)
        else:
            print("     (promtool not installed: strict parser only)")


def test_checker_rejects_broken_expositions():
    """The strict parser must catch what Prometheus rejects, or the test
    above proves nothing."""
    bad = [
        "x 1",                                            # no final newline
        "x{a=\"1\"} 1\nx{a=\"1\"} 2\n",                   # duplicate series
        "# TYPE x counter\nx -1\n",                       # negative counter
        "x{a=\"\\q\"} 1\n",                               # bad escape
        "x{a=\"1\",a=\"2\"} 1\n",                         # duplicate label
        "x 1\ny 1\nx{a=\"b\"} 2\n",                       # family not contiguous
        "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",  # no +Inf
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
        "h_sum 1\nh_count 1\n",                           # not cumulative
        "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n",  # count != +Inf
        "x 1\n# TYPE x gauge\n",                          # TYPE after samples
        "# TYPE x widget\n",                              # unknown type
        "x one\n",                                        # bad value
        "9x 1\n",                                         # bad name
    ]
    for text in bad:
        try:
            promtext.parse(text)
        except ValueError:
            continue
        raise AssertionError("accepted: %r" % text)
    promtext.parse("# HELP x a \\\\ b\n# TYPE x gauge\nx{a=\"q\\\"\\n\"} +Inf 123\n")


def test_after_n_placements_the_counter_reads_n():
    with Daemon(config="[pool.large]\npolicy = round_robin\n") as d:
        c = d.client()
        for i in range(6):
            c.add_server("fe%d" % i)
        c.add_server("l0", pool="large")
        c.add_server("l1", pool="large")
        fams, _ = scrape(c)
        check(placed(fams) == 0, "0 before any placement")
        n = 37
        for i in range(n):
            c.schedule("m%d" % i)
            check(c.join("m%d" % i, "first").status == 200, "placement")
            # later joins of a placed meeting are not placements
            check(c.join("m%d" % i, "second").status == 200, "sticky join")
            check(c.join("m%d" % i, "first").status == 200, "repeated join")
        for i in range(5):
            c.schedule("L%d" % i, pool="large")
            c.join("L%d" % i, "x")
        c.post("/v1/meetings/m0/end")
        fams, _ = scrape(c)
        check(placed(fams) == n, "placements in default", placed(fams))
        check(placed(fams, "large", "round_robin") == 5, "placements in large",
              placed(fams, "large", "round_robin"))
        check(promtext.value(fams, "confpool_placements_total", pool="default",
                             result="refused") == 0, "no refusal")
        check(promtext.value(fams, "confpool_placement_decision_seconds_count",
                             pool="default") == n, "one decision time per placement")
        check(promtext.value(fams, "confpool_meetings", pool="default", state="active") == n - 1,
              "active meetings", promtext.samples(fams, "confpool_meetings"))
        check(promtext.value(fams, "confpool_meetings", pool="default", state="ended") == 1,
              "ended meetings")
        c.schedule("late")
        fams, _ = scrape(c)
        check(promtext.value(fams, "confpool_meetings", pool="default",
                             state="scheduled") == 1, "scheduled meetings")
        for sid, s in ((s["id"], s) for s in c.get("/v1/servers").json["servers"]):
            check(promtext.value(fams, "confpool_server_meetings", server=sid) == s["meetings"],
                  "meetings of " + sid)
            check(promtext.value(fams, "confpool_server_participants", server=sid)
                  == s["participants"], "participants of " + sid)
            u = promtext.value(fams, "confpool_server_utilization", server=sid)
            check(abs(u - s["load"]["utilization"]) < 5e-5, "utilization of " + sid, u, s)


def test_refusals_are_counted_by_reason():
    with Daemon() as d:
        c = d.client()
        c.add_server("fe1", capacity=100)
        c.post("/v1/servers/fe1/report", {"other_load": 70})
        c.schedule("a", expected_participants=5)          # 70 + 7 = 77 <= 80: placed
        check(c.join("a", "p0").status == 200, "placed")
        pool_full = 0
        for i in range(3):                                 # 77 + 7 > 80: pool_full
            c.schedule("b%d" % i, expected_participants=5)
            r = c.join("b%d" % i, "p0")
            check(r.status == 503 and r.error_code() == "pool_full", "pool_full", r)
            pool_full += 1
        meeting_full = 0
        for p in range(1, 40):                             # joins to 'a' until 0.95
            r = c.join("a", "p%d" % p)
            if r.status == 503:
                check(r.error_code() == "meeting_full", "meeting_full", r)
                meeting_full += 1
                if meeting_full == 4:
                    break
        check(meeting_full == 4, "meeting_full refusals happened", meeting_full)
        fams, _ = scrape(c)
        check(promtext.value(fams, "confpool_refusals_total", pool="default",
                             reason="pool_full") == pool_full, "pool_full counted")
        check(promtext.value(fams, "confpool_refusals_total", pool="default",
                             reason="meeting_full") == meeting_full, "meeting_full counted")
        check(promtext.value(fams, "confpool_placements_total", pool="default", policy=POLICY,
                             result="refused") == pool_full, "refused placements")
        check(placed(fams) == 1, "one placement")
        check(promtext.value(fams, "confpool_http_request_duration_seconds_count", method="POST",
                             route="/v1/meetings/{id}/join", status="503")
              == pool_full + meeting_full, "503 joins in the request histogram")


def test_request_histogram_counts_match_requests_by_route_pattern():
    with Daemon() as d:
        c = d.client()
        for i in range(3):
            c.add_server("fe%d" % i)
        for i in range(7):
            check(c.get("/v1/servers/fe%d" % (i % 3)).status == 200, "get")
        for i in range(4):
            check(c.get("/v1/servers/ghost%d" % i).status == 404, "404")
        for i in range(2):
            check(c.get("/no/such/path%d" % i).status == 404, "unknown endpoint")
        check(c.request("PATCH", "/v1/servers/fe0").status == 405, "405")
        fams, text = scrape(c)
        h = "confpool_http_request_duration_seconds_count"
        check(promtext.value(fams, h, method="PUT", route="/v1/servers/{id}", status="201") == 3,
              "3 PUT 201", promtext.samples(fams, h))
        check(promtext.value(fams, h, method="GET", route="/v1/servers/{id}", status="200") == 7,
              "7 GET 200")
        check(promtext.value(fams, h, method="GET", route="/v1/servers/{id}", status="404") == 4,
              "4 GET 404")
        check(promtext.value(fams, h, route="unmatched", status="404") == 2, "unmatched 404")
        check(promtext.value(fams, h, route="unmatched", status="405") == 1, "unmatched 405")
        # The raw path never becomes a label: a label per id would grow without bound.
        check("ghost" not in text and "/no/such" not in text, "no raw paths in route labels")
        fams, _ = scrape(c)
        check(promtext.value(fams, h, method="GET", route="/metrics", status="200") == 1,
              "the first scrape is counted by the second")
        total = sum(v for _, v in promtext.samples(fams, h))
        check(total == 3 + 7 + 4 + 2 + 1 + 1, "every request once", total)


def test_commit_histogram_counts_every_transaction():
    with Daemon() as d:
        c = d.client()
        c.add_server("fe1")
        for i in range(10):
            c.schedule("m%d" % i)
            c.join("m%d" % i)
        fams, _ = scrape(c)
        tx = promtext.value(fams, "confpool_db_transactions_total")
        n = promtext.value(fams, "confpool_db_commit_duration_seconds_count")
        check(tx >= 21 and n == tx, "one commit time per transaction", n, tx)
        check(promtext.value(fams, "confpool_db_commit_duration_seconds_sum") > 0, "sum > 0")


def test_server_state_and_holds_gauges():
    with Daemon() as d:
        c = d.client()
        for s in ("a", "b", "c", "d"):
            c.add_server(s)
        c.post("/v1/servers/b/drain")
        c.post("/v1/servers/c/down")
        fams, _ = scrape(c)
        for sid, st in (("a", "up"), ("b", "draining"), ("c", "down")):
            got = {l["state"]: v for l, v in promtext.samples(fams, "confpool_server_state",
                                                            server=sid)}
            want = {x: (1 if x == st else 0) for x in ("up", "draining", "down")}
            check(got == want, "state of " + sid, got)
        check(promtext.value(fams, "confpool_large_meeting_holds", pool="default") == 0,
              "no holds yet")
        check(promtext.value(fams, "confpool_admission_threshold", kind="new_meeting") == 0.8,
              "threshold")
        # A large meeting in 30 min: its host is held from start - lead (60 min) = now.
        start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 1800))
        m = c.schedule("allhands", expected_participants=800, start=start)
        host = m["plan"]["host"]
        check(m["plan"]["status"] == "ok" and host in ("a", "d"), "planned", m["plan"])
        fams, _ = scrape(c)
        check(promtext.value(fams, "confpool_large_meeting_holds", pool="default") == 1,
              "one server held")
        for sid in ("a", "b", "c", "d"):
            check(promtext.value(fams, "confpool_server_held", server=sid) == (sid == host),
                  "held gauge of " + sid)
            check(promtext.value(fams, "confpool_server_planned_large_meetings", server=sid)
                  == (sid == host), "planned gauge of " + sid)
        check(c.delete("/v1/meetings/allhands").status == 204, "cancel")
        fams, _ = scrape(c)
        check(promtext.value(fams, "confpool_large_meeting_holds", pool="default") == 0,
              "cancelling releases the hold")


def test_metrics_takes_any_read_token_and_the_page_none():
    toks = {"admin": "admin-token-1", "client": "client-token-1", "server": "server-token-1",
            "scheduler": "sched-token-1"}
    with Daemon(tokens=toks) as d:
        c = d.client()
        r = c.get("/metrics")
        check(r.status == 401 and r.header("WWW-Authenticate"), "no token: 401", r)
        for role, tok in toks.items():
            check(c.get("/metrics", token=tok).status == 200, "%s token reads metrics" % role)
            check(c.get("/v1/decisions", token=tok).status == 200, "%s reads decisions" % role)
        check(c.get("/v1/decisions").status == 401, "decisions need a token")
        r = c.get("/")
        check(r.status == 200 and b"confpool" in r.raw, "dashboard page without token", r)
        check((r.header("Content-Type") or "").startswith("text/html"), "html")
        check("script-src 'self'" in (r.header("Content-Security-Policy") or ""), "CSP")
        for f in ("app.js", "style.css"):
            check(c.get("/dashboard/" + f).status == 200, f)
        check(c.get("/dashboard/missing.js").status == 404, "unknown asset")


def test_decisions_endpoint_lists_newest_first():
    with Daemon() as d:
        c = d.client()
        c.add_server("fe1", capacity=100)
        for i in range(5):
            c.schedule("m%d" % i, expected_participants=10)
            c.join("m%d" % i)
        c.schedule("x", expected_participants=60)
        check(c.join("x").status == 503, "refused")
        r = c.get("/v1/decisions?limit=3")
        check(r.status == 200, "decisions", r)
        ds = r.json["decisions"]
        check(r.json["total"] == 6 and len(ds) == 3, "limit and total", r.json)
        check(ds[0]["meeting"] == "x" and ds[0]["result"] == "refused"
              and ds[0]["reason"] == "pool_full" and ds[0]["server"] is None
              and ds[0]["util_before"] is None, "refusal first", ds[0])
        check([x["meeting"] for x in ds[1:]] == ["m4", "m3"], "newest first", ds)
        check(ds[1]["result"] == "placed" and ds[1]["server"] == "fe1"
              and ds[1]["util_after"] > ds[1]["util_before"], "placement", ds[1])
        check(r.json["thresholds"] == {"new_meeting": 0.8, "join": 0.95}, "thresholds")
        check(c.get("/v1/decisions?pool=other").json["decisions"] == [], "pool filter")
        for q in ("limit=0", "limit=9999", "limit=x", "pool=a%2Fb"):
            check(c.get("/v1/decisions?" + q).status == 400, "bad " + q)


def documented_metrics():
    """{name: (type, {label names})} from the metrics table of OPERATIONS.md."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                        "OPERATIONS.md")
    text = open(path, encoding="utf-8").read()
    start = text.index("## Metrics")
    out = {}
    for line in text[start:text.index("\n## ", start + 1)].splitlines():
        m = re.match(r"\| `(confpool_[a-z_]+)` \| (counter|gauge|histogram) \| ([^|]*(?:\\\|[^|]*)*)\|",
                     line)
        if m:
            labels = {re.findall(r"`([a-z_]+)`", part)[0]
                      for part in m.group(3).split(",") if "`" in part}
            out[m.group(1)] = (m.group(2), labels)
    return out


def test_the_documented_metrics_are_the_exposed_ones():
    """docs/OPERATIONS.md lists every family with its type and labels."""
    with Daemon() as d:
        c = d.client()
        c.add_server("fe1")
        c.schedule("m1")
        c.join("m1")
        fams, _ = scrape(c)
        fams, _ = scrape(c)
        docs = documented_metrics()
        check(len(docs) >= 25, "found the table", sorted(docs))
        check(set(docs) == set(fams), "documented == exposed",
              sorted(set(docs) ^ set(fams)))
        for name, fam in fams.items():
            labels = set()
            for _, l, _ in fam.samples:
                labels |= set(l) - {"le"}
            check(docs[name] == (fam.type, labels), "type and labels of " + name,
                  docs[name], fam.type, labels)


if __name__ == "__main__":
    run([test_the_documented_metrics_are_the_exposed_ones,
         test_exposition_is_strictly_valid_after_mixed_traffic,
         test_checker_rejects_broken_expositions,
         test_after_n_placements_the_counter_reads_n,
         test_refusals_are_counted_by_reason,
         test_request_histogram_counts_match_requests_by_route_pattern,
         test_commit_histogram_counts_every_transaction,
         test_server_state_and_holds_gauges,
         test_metrics_takes_any_read_token_and_the_page_none,
         test_decisions_endpoint_lists_newest_first])
