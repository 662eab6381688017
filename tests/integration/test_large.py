"""Large meetings through the HTTP API: a plan and its hold, overlapping
large meetings, cancel and reschedule, strict refusal with a suggested
start, the dry run, and a cascaded 3000-person meeting on servers that each
hold 1250 units. Hours pass on the daemon's test clock (--test-clock)."""

import datetime
import threading
import time

from cplib import Client, Daemon, check, run


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def advance(c, seconds):
    r = c.post("/v1/test/clock", {"advance": seconds})
    check(r.status == 200, "clock moved", r)
    return parse(r.json["now"][:19] + "Z")


LARGE = "[large]\nlead = 3600\n[meetings]\nidle_grace = 1\n"


def test_plan_and_hold():
    with Daemon(config=LARGE, args=["--test-clock"]) as d:
        c = d.client()
        for i in range(4):
            c.add_server("fe%d" % i, capacity=1300)
        start = time.time() + 3 * 3600
        r = c.post("/v1/meetings", {"id": "allhands", "organizer": "ceo",
                                    "expected_participants": 1000, "start": iso(start),
                                    "end": iso(start + 3600)})
        check(r.status == 201, "scheduled", r)
        plan = r.json["plan"]
        check(plan["status"] == "ok" and plan["host"] and plan["reason"], "plan ok", plan)
        check(abs(parse(plan["hold_from"]) - (start - 3600)) < 2, "hold from start - lead", plan)
        check(plan["suggested_start"] is None, "nothing to suggest", plan)
        host = plan["host"]
        check(c.get("/v1/servers/" + host).json["held"] is False, "not held yet")
        check(c.get("/v1/servers/" + host).json["holds"] == ["allhands"], "hold listed")
        # before hold_from the host takes meetings like the others
        early = 0
        for i in range(40):
            c.schedule("e%d" % i)
            early += c.join("e%d" % i).json["server"]["id"] == host
        check(early > 0, "host used before the hold", early)
        # from hold_from it takes none
        advance(c, 2 * 3600 + 60)
        check(c.get("/v1/servers/" + host).json["held"] is True, "held now")
        for i in range(40):
            c.schedule("l%d" % i)
            r = c.join("l%d" % i)
            check(r.status == 200 and r.json["server"]["id"] != host,
                  "no new meeting on the held host", r)
        # its small meetings end on their own
        for i in range(40):
            c.post("/v1/meetings/e%d/leave" % i, {"participant": "p1"})
        time.sleep(1.5)
        advance(c, 30)
        check(c.get("/v1/servers/" + host).json["meetings"] == 0, "host emptied")
        # at the start the large meeting goes to its host
        advance(c, 3600)
        r = c.join("allhands", "first")
        check(r.status == 200 and r.json["server"]["id"] == host, "placed on its host", r)
        m = c.get("/v1/meetings/allhands").json
        check(m["plan"]["status"] == "hosted" and m["servers"] == [host], "outcome recorded", m)
        check(c.get("/v1/servers/" + host).json["held"] is False, "hold released")
        # the plan and its outcome survive a restart
        d.restart()
        m = d.client().get("/v1/meetings/allhands").json
        check(m["plan"]["status"] == "hosted" and m["server"] == host, "after restart", m)


def test_overlapping_and_strict():
    strict = "[large]\nlead = 3600\nstrict = 1\n"
    with Daemon(config=strict) as d:
        c = d.client()
        c.add_server("a", capacity=1250)
        c.add_server("b", capacity=1250)
        start = time.time() + 10 * 3600
        m1 = c.post("/v1/meetings", {"id": "m1", "organizer": "o", "expected_participants": 700,
                                     "start": iso(start), "end": iso(start + 3600)}).json
        m2 = c.post("/v1/meetings", {"id": "m2", "organizer": "o", "expected_participants": 700,
                                     "start": iso(start + 1800), "end": iso(start + 5400)}).json
        check(m1["plan"]["status"] == "ok" and m2["plan"]["status"] == "ok", "both planned")
        check(m1["plan"]["host"] != m2["plan"]["host"], "no shared headroom", m1, m2)
        before = len(c.get("/v1/meetings").json["meetings"])
        r = c.post("/v1/meetings", {"id": "m3", "organizer": "o", "expected_participants": 700,
                                    "start": iso(start + 900), "end": iso(start + 4500)})
        check(r.status == 409 and r.error_code() == "capacity_unavailable", "strict refusal", r)
        err = r.json["error"]
        check(err["suggested_start"] and "nearest start that fits" in err["message"], "suggests",
              err)
        # the suggestion: after m1 ends (start+1h) plus the 1 h lead
        check(abs(parse(err["suggested_start"]) - (start + 2 * 3600)) < 60, "nearest start", err)
        check(len(c.get("/v1/meetings").json["meetings"]) == before, "nothing stored")
        r = c.post("/v1/meetings", {"id": "m3", "organizer": "o", "expected_participants": 700,
                                    "start": err["suggested_start"]})
        check(r.status == 201 and r.json["plan"]["status"] == "ok", "the suggestion fits", r)
        # a dry run answers the same and stores nothing
        r = c.post("/v1/plan", {"expected_participants": 700, "start": iso(start + 900)})
        check(r.status == 200 and r.json["plan"]["status"] == "impossible" and r.json["large"],
              "dry run", r)
        r = c.post("/v1/plan", {"expected_participants": 20, "start": iso(start)})
        check(r.status == 200 and r.json["plan"] is None and not r.json["large"], "small", r)
        check(len(c.get("/v1/meetings").json["meetings"]) == before + 1, "dry runs store nothing")


def test_cancel_and_reschedule():
    with Daemon(config=LARGE, args=["--test-clock"]) as d:
        c = d.client()
        c.add_server("a", capacity=1300)
        start = time.time() + 1800  # the hold begins at once
        m = c.post("/v1/meetings", {"id": "big", "organizer": "o", "expected_participants": 900,
                                    "start": iso(start), "end": iso(start + 3600)}).json
        check(m["plan"]["host"] == "a" and c.get("/v1/servers/a").json["held"], "held at once")
        r = c.request("PATCH", "/v1/meetings/big", {"start": iso(start + 86400),
                                                     "end": iso(start + 86400 + 3600)})
        check(r.status == 200, "rescheduled", r)
        check(abs(parse(r.json["plan"]["hold_from"]) - (start + 86400 - 3600)) < 2,
              "the hold moved", r.json["plan"])
        check(c.get("/v1/servers/a").json["held"] is False, "released today")
        advance(c, 86400 - 1800)
        check(c.get("/v1/servers/a").json["held"] is True, "held tomorrow")
        check(c.delete("/v1/meetings/big").status == 204, "cancelled")
        s = c.get("/v1/servers/a").json
        check(s["held"] is False and s["holds"] == [], "cancel releases the hold", s)
        r = c.request("PATCH", "/v1/meetings/big", {"start": iso(start + 2 * 86400)})
        check(r.status == 410, "an ended meeting cannot be rescheduled", r)
        check(c.request("PATCH", "/v1/meetings/nope", {"subject": "x"}).status == 404, "unknown")
        c.schedule("live")
        c.join("live")
        r = c.request("PATCH", "/v1/meetings/live", {"subject": "x"})
        check(r.status == 409 and r.error_code() == "conflict", "active meetings stay put", r)
        check(c.request("PATCH", "/v1/meetings/live", {"color": "x"}).status == 400, "fields")


def test_cascaded_3000_person_meeting():
    with Daemon(config="[pool.default]\ncascade = 1\n[meetings]\nidle_grace = 1\n") as d:
        c = d.client()
        for i in range(5):
            c.add_server("fe%d" % i, capacity=1250)
        c.schedule("town", expected_participants=3000)
        servers = {}
        lock = threading.Lock()

        def joiner(lo, hi):
            cl = Client(d.port)
            for i in range(lo, hi):
                r = cl.join("town", "p%d" % i)
                check(r.status == 200, "join %d" % i, r)
                with lock:
                    servers[i] = r.json["server"]["id"]
            cl.close()
        c.join("town", "p0")
        ts = [threading.Thread(target=joiner, args=(1 + k * 1000, min(3000, 1 + (k + 1) * 1000)))
              for k in range(3)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        m = c.get("/v1/meetings/town").json
        check(m["participants"] == 3000 and len(m["servers"]) == 4, "4 servers for 3000", m)
        used = set(servers.values())
        check(used <= set(m["servers"]), "each reply names one of its servers", used)
        ss = {s["id"]: s for s in c.get("/v1/servers").json["servers"]}
        check(sum(s["participants"] for s in ss.values()) == 3000, "participants add up")
        check(all(s["load"]["utilization"] < 0.95 for s in ss.values()), "no server past 0.95", ss)
        # repeated joins keep their server
        for i in (5, 1500, 2999):
            check(c.join("town", "p%d" % i).json["server"]["id"] == servers[i], "sticky %d" % i)
        # load reports are per server: one leg empties, it is given back
        last = m["servers"][-1]
        r = c.post("/v1/servers/%s/report" % last, {"meetings": {"town": 0}})
        check(r.status == 204, "report for its leg", r)
        deadline = time.time() + 10
        while time.time() < deadline and last in c.get("/v1/meetings/town").json["servers"]:
            time.sleep(0.1)
        m = c.get("/v1/meetings/town").json
        check(last not in m["servers"] and m["state"] == "active", "empty leg released", m)
        check(c.get("/v1/servers/" + last).json["meetings"] == 0, "its server is free")
        # the cascade survives a restart
        d.restart()
        m2 = d.client().get("/v1/meetings/town").json
        check(m2["servers"] == m["servers"] and m2["participants"] == m["participants"],
              "restart keeps the legs", m2, m)


if __name__ == "__main__":
    run([test_plan_and_hold, test_overlapping_and_strict, test_cancel_and_reschedule,
         test_cascaded_3000_person_meeting])
