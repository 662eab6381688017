"""Every endpoint of the v1 contract with every status code it can return,
through the real daemon on loopback."""

from cplib import Daemon, check, run


def d_open():
    return Daemon(config="[meetings]\nidle_grace = 1\n")


def test_healthz():
    with d_open() as d:
        r = d.client().get("/healthz")
        check(r.status == 200 and r.json == {"status": "ok"}, "healthz", r)
        check(r.header("Content-Type").startswith("application/json"), "content type")


def test_servers_crud():
    with d_open() as d:
        c = d.client()
        r = c.put("/v1/servers/fe1", {"address": "fe1.example.com:443", "capacity": 1250,
                                      "pool": "default", "region": "eu"})
        check(r.status == 201, "create 201", r)
        s = r.json
        for k in ("id", "address", "pool", "region", "capacity", "state", "load", "meetings",
                  "participants", "last_report"):
            check(k in s, "server field " + k, s)
        check(s["state"] == "up" and s["capacity"] == 1250 and s["region"] == "eu", "values", s)
        check(set(s["load"]) >= {"other", "conference", "total", "utilization"}, "load", s)
        check(s["last_report"] is None, "never reported", s)
        r = c.put("/v1/servers/fe1", {"address": "fe1b.example.com:443", "capacity": 2000})
        check(r.status == 200 and r.json["address"] == "fe1b.example.com:443"
              and r.json["capacity"] == 2000 and r.json["pool"] == "default"
              and r.json["region"] is None, "update 200", r)
        c.add_server("fe2")
        r = c.get("/v1/servers")
        check(r.status == 200 and [s["id"] for s in r.json["servers"]] == ["fe1", "fe2"],
              "list", r)
        check(c.get("/v1/servers/fe2").json["id"] == "fe2", "get one")
        check(c.get("/v1/servers/nope").status == 404, "unknown 404")
        check(c.get("/v1/servers/nope").error_code() == "not_found", "code not_found")
        r = c.delete("/v1/servers/fe2")
        check(r.status == 204 and r.raw == b"", "delete 204", r)
        check(c.get("/v1/servers/fe2").status == 404, "gone after delete")
        check(c.delete("/v1/servers/fe2").status == 404, "delete unknown 404")


def test_server_validation():
    with d_open() as d:
        c = d.client()
        cases = [
            {"capacity": 10},                                        # no address
            {"address": "a:1"},                                      # no capacity
            {"address": "a:1", "capacity": -5},
            {"address": "a:1", "capacity": 0},
            {"address": "a:1", "capacity": "big"},
            {"address": "a:1", "capacity": 1e300},
            {"address": "a:1", "capacity": 10, "pool": "bad pool"},
            {"address": "a:1", "capacity": 10, "colour": "red"},    # unknown field
            {"address": 5, "capacity": 10},
        ]
        for body in cases:
            r = c.put("/v1/servers/x", body)
            check(r.status == 400 and r.error_code() == "invalid_field", "rejects %r" % body, r)
        check(c.get("/v1/servers").json["servers"] == [], "nothing created")
        r = c.put("/v1/servers/bad%22id", {"address": "a:1", "capacity": 10})
        check(r.status == 400 and r.error_code() == "invalid_field", "bad id", r)


def test_drain_resume_and_delete_conflict():
    with d_open() as d:
        c = d.client()
        c.add_server("fe1")
        c.schedule("m1")
        check(c.join("m1").status == 200, "join")
        r = c.post("/v1/servers/fe1/drain")
        check(r.status == 200 and r.json["state"] == "draining", "drain", r)
        r = c.delete("/v1/servers/fe1")
        check(r.status == 409 and r.error_code() == "conflict", "delete while hosting", r)
        r = c.post("/v1/servers/fe1/resume")
        check(r.status == 200 and r.json["state"] == "up", "resume", r)
        c.add_server("fe2")
        r = c.delete("/v1/servers/fe1?force=1")
        check(r.status == 204, "force delete", r)
        m = c.get("/v1/meetings/m1").json
        check(m["server"] == "fe2" and m["state"] == "active", "re-homed", m)
        check(c.post("/v1/servers/nope/drain").status == 404, "drain unknown")
        check(c.post("/v1/servers/nope/resume").status == 404, "resume unknown")


def test_report():
    with d_open() as d:
        c = d.client()
        c.add_server("fe1", capacity=1000)
        c.schedule("m1", expected_participants=3)
        c.join("m1")
        r = c.post("/v1/servers/fe1/report", {"other_load": 120, "cpu": 0.55,
                                             "meetings": {"m1": 7}})
        check(r.status == 204, "report 204", r)
        s = c.get("/v1/servers/fe1").json
        check(s["load"]["other"] == 120 and s["participants"] == 7, "report applied", s)
        check(s["last_report"] is not None and s["last_report"].endswith("Z"), "last_report", s)
        check(c.get("/v1/meetings/m1").json["participants"] == 7, "meeting count")
        r = c.post("/v1/servers/fe1/report", {"cpu": 0.5})
        s = c.get("/v1/servers/fe1").json
        # other = 0.5 x 1000 - predicted conference load (2 + 7)
        check(s["load"]["other"] == 491, "cpu-derived other load", s)
        r = c.post("/v1/servers/fe1/report", {})
        check(r.status == 204, "empty report", r)
        for bad in ({"cpu": 2}, {"other_load": -1}, {"meetings": [1]}, {"meetings": {"m1": -3}},
                    {"meetings": {"a/b": 1}}, {"load": 3}):
            r = c.post("/v1/servers/fe1/report", bad)
            check(r.status == 400, "bad report %r" % bad, r)
        check(c.post("/v1/servers/nope/report", {}).status == 404, "unknown server")


def test_meetings_crud():
    with d_open() as d:
        c = d.client()
        r = c.post("/v1/meetings", {"id": "weekly", "organizer": "alice", "subject": "Weekly",
                                    "start": "2030-01-06T09:00:00Z", "end": "2030-01-06T10:00:00Z",
                                    "expected_participants": 12, "modalities": ["audio", "video"]})
        check(r.status == 201, "create", r)
        check(r.header("Location") == "/v1/meetings/weekly", "location", r.headers)
        m = r.json
        for k in ("id", "organizer", "subject", "start", "end", "expected_participants",
                  "modalities", "pool", "state", "server", "participants", "peak_participants",
                  "predicted_load", "created", "activated"):
            check(k in m, "meeting field " + k, m)
        check(m["state"] == "scheduled" and m["server"] is None and m["pool"] == "default",
              "scheduled", m)
        check(m["start"] == "2030-01-06T09:00:00Z" and m["modalities"] == ["audio", "video"],
              "values", m)
        check(m["predicted_load"] == 2 + 12 * 5, "expected load", m)
        r = c.post("/v1/meetings", {"organizer": "bob"})
        check(r.status == 201 and len(r.json["id"]) > 3, "generated id", r)
        check(r.json["start"] is None and r.json["expected_participants"] == 5
              and r.json["modalities"] == ["audio"], "meet-now defaults", r.json)
        check(c.post("/v1/meetings", {"id": "weekly", "organizer": "x"}).status == 409,
              "duplicate id 409")
        check(c.get("/v1/meetings/weekly").json["subject"] == "Weekly", "get")
        check(c.get("/v1/meetings/nope").status == 404, "get unknown")
        bad = [{}, {"organizer": ""}, {"organizer": "a", "start": "tomorrow"},
               {"organizer": "a", "start": "2030-01-06T10:00:00Z", "end": "2030-01-06T09:00:00Z"},
               {"organizer": "a", "expected_participants": 0},
               {"organizer": "a", "expected_participants": 2.5},
               {"organizer": "a", "modalities": ["smell"]}, {"organizer": "a", "modalities": []},
               {"organizer": "a", "pool": "nosuchpool"}, {"organizer": "a", "id": "a b"},
               {"organizer": "a", "extra": 1}]
        for b in bad:
            r = c.post("/v1/meetings", b)
            check(r.status == 400 and r.error_code() == "invalid_field", "rejects %r" % b, r)
        r = c.post("/v1/meetings/weekly/end")
        check(r.status == 200 and r.json["state"] == "ended", "end", r)
        check(c.post("/v1/meetings/weekly/end").status == 410, "end twice 410")
        check(c.delete("/v1/meetings/weekly").status == 410, "delete ended 410")
        check(c.post("/v1/meetings/nope/end").status == 404, "end unknown")
        check(c.delete("/v1/meetings/nope").status == 404, "delete unknown")


def test_meetings_list_and_cursor():
    with d_open() as d:
        c = d.client()
        c.add_server("fe1")
        for i in range(25):
            c.schedule("m%02d" % i)
        for i in range(0, 25, 5):
            c.join("m%02d" % i)
        ids, cursor = [], None
        while True:
            q = "/v1/meetings?limit=10" + ("&cursor=" + cursor if cursor else "")
            r = c.get(q)
            check(r.status == 200 and len(r.json["meetings"]) <= 10, "page", r)
            ids += [m["id"] for m in r.json["meetings"]]
            cursor = r.json["next"]
            if cursor is None:
                break
        check(ids == ["m%02d" % i for i in range(25)], "all pages in creation order", ids)
        r = c.get("/v1/meetings?state=active")
        check([m["id"] for m in r.json["meetings"]] == ["m00", "m05", "m10", "m15", "m20"],
              "filter by state", r)
        check(c.get("/v1/meetings?pool=default&state=scheduled").json["meetings"][0]["id"]
              == "m01", "filter by pool and state")
        check(c.get("/v1/meetings?pool=other").json["meetings"] == [], "empty pool filter")
        for q in ("state=bogus", "limit=0", "limit=5000", "limit=x", "cursor=-1", "cursor=abc"):
            r = c.get("/v1/meetings?" + q)
            check(r.status == 400 and r.error_code() == "invalid_field", "bad query " + q, r)


def test_join_leave_redirect():
    with d_open() as d:
        c = d.client()
        c.add_server("fe1", address="fe1.example.com:443")
        c.schedule("m1")
        r = c.join("m1", "bob")
        check(r.status == 200, "join", r)
        check(r.json == {"meeting": "m1", "server": {"id": "fe1", "address": "fe1.example.com:443"},
                         "participants": 1}, "join body", r.json)
        r = c.join("m1", "bob")
        check(r.json["participants"] == 1, "idempotent", r)
        r = c.join("m1", "carol")
        check(r.json["participants"] == 2, "second", r)
        r = c.get("/join/m1?participant=dave")
        check(r.status == 302 and r.header("Location") == "https://fe1.example.com:443/m1",
              "redirect", r, r.headers)
        check(c.get("/v1/meetings/m1").json["participants"] == 3, "counted")
        r = c.post("/v1/meetings/m1/leave", {"participant": "bob"})
        check(r.status == 204, "leave", r)
        check(c.post("/v1/meetings/m1/leave", {"participant": "bob"}).status == 204,
              "leave twice")
        check(c.join("nope").status == 404, "join unknown 404")
        check(c.get("/join/nope").status == 404, "redirect unknown 404")
        check(c.post("/v1/meetings/nope/leave", {"participant": "x"}).status == 404,
              "leave unknown")
        for b in ({}, {"participant": ""}, {"participant": "a/b"}, {"participant": "x",
                                                                    "modalities": ["x"]}):
            r = c.post("/v1/meetings/m1/join", b)
            check(r.status == 400, "bad join %r" % b, r)
        c.post("/v1/meetings/m1/end")
        r = c.join("m1", "late")
        check(r.status == 410 and r.error_code() == "gone", "join ended 410", r)
        check(c.get("/join/m1").status == 410, "redirect ended 410")
        check(c.post("/v1/meetings/m1/leave", {"participant": "x"}).status == 410, "leave ended")


def test_cancel_frees_server():
    with d_open() as d:
        c = d.client()
        c.add_server("fe1")
        c.schedule("m1", expected_participants=50)
        c.join("m1")
        check(c.get("/v1/servers/fe1").json["load"]["conference"] == 52, "loaded")
        check(c.delete("/v1/meetings/m1").status == 204, "cancel 204")
        s = c.get("/v1/servers/fe1").json
        check(s["load"]["conference"] == 0 and s["meetings"] == 0, "freed", s)
        check(c.get("/v1/meetings/m1").json["state"] == "ended", "ended")


def test_pool_summary():
    with d_open() as d:
        c = d.client()
        c.add_server("a", capacity=1000)
        c.add_server("b", capacity=1000)
        c.add_server("l1", capacity=5000, pool="large")
        for i in range(10):
            c.schedule("m%d" % i)
            c.join("m%d" % i)
        r = c.get("/v1/pool")
        p = r.json
        for k in ("pool", "servers", "up", "capacity", "load", "utilization", "active_meetings",
                  "participants", "imbalance"):
            check(k in p, "pool field " + k, p)
        check(p["pool"] == "default" and p["servers"] == 2 and p["capacity"] == 2000
              and p["active_meetings"] == 10 and p["load"] == 70, "values", p)
        check(abs(p["imbalance"] - 1.0) < 0.05, "balanced", p)
        check(c.get("/v1/pool?pool=large").json["servers"] == 1, "other pool")
        check(c.get("/v1/pool?pool=nosuch").status == 404, "unknown pool")


def test_routing_errors():
    with d_open() as d:
        c = d.client()
        r = c.get("/v2/whatever")
        check(r.status == 404 and r.error_code() == "not_found", "unknown path", r)
        r = c.request("PATCH", "/v1/servers/x", {"a": 1})
        check(r.status == 405 and r.error_code() == "method_not_allowed", "405", r)
        check("PUT" in r.header("Allow"), "Allow header", r.headers)
        r = c.post("/v1/meetings", raw=b"organizer=x", headers={
            "Content-Type": "application/x-www-form-urlencoded"})
        check(r.status == 400 and r.error_code() == "invalid_json", "a form body is not JSON", r)
        r = c.post("/v1/meetings", raw=b'{"id":"curl","organizer":"x"}', headers={
            "Content-Type": "application/x-www-form-urlencoded"})
        check(r.status == 201, "JSON sent with curl's default Content-Type is accepted", r)


if __name__ == "__main__":
    run([test_healthz, test_servers_crud, test_server_validation,
         test_drain_resume_and_delete_conflict, test_report, test_meetings_crud,
         test_meetings_list_and_cursor, test_join_leave_redirect, test_cancel_frees_server,
         test_pool_summary, test_routing_errors])
