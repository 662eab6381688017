"""Server failure through the API: a watched server that stops reporting
goes down and gets no placements; its meetings are re-homed on their next
join (or at once when eager) and show rehomed_from; when it returns, its
report is answered with the meetings it must end; static servers only go
down by hand; draining shows when a server became empty."""

import time

from cplib import Daemon, check, run


def wait_for(fn, what, timeout=15):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what + ": " + repr(last))


def state(c, sid):
    return c.get("/v1/servers/" + sid).json["state"]


def test_silent_server_goes_down_and_meeting_moves_on_next_join():
    with Daemon(config="[servers]\nreport_timeout = 1\n") as d:
        c = d.client()
        r = c.put("/v1/servers/a", {"address": "a.example.com:443", "capacity": 1000,
                                    "report_interval": 0.2})
        check(r.status == 201 and r.json["report_interval"] == 0.2, "watched server", r)
        c.schedule("m1")
        check(c.join("m1", "p1").json["server"]["id"] == "a", "placed on a")
        c.add_server("b")  # static
        s = wait_for(lambda: (lambda j: j if j["state"] == "down" else None)(
            c.get("/v1/servers/a").json), "a down")
        check(s["down_reason"] == "timeout" and s["down_since"], "down by timeout", s)
        check(state(c, "b") == "up", "the static server stays up")
        # no placement on a down server
        c.schedule("m2")
        check(c.join("m2", "p1").json["server"]["id"] == "b", "new meeting avoids a")
        # m1 moves on its next join, and says where it came from
        r = c.join("m1", "p2")
        check(r.status == 200 and r.json["server"]["id"] == "b", "re-homed on join", r)
        m = c.get("/v1/meetings/m1").json
        check(m["server"] == "b" and m["rehomed_from"] == "a" and m["participants"] == 2,
              "meeting shows the move", m)
        check("meeting re-homed" in d.logs(), "the move is logged")
        # a comes back and still lists m1: it is told to end it
        r = c.post("/v1/servers/a/report", {"other_load": 5, "meetings": {"m1": 2}})
        check(r.status == 200 and r.json == {"end": ["m1"]}, "told to end m1", r)
        check(state(c, "a") == "up", "a is up again")
        check(c.get("/v1/meetings/m1").json["server"] == "b", "never on two servers")
        # a report with nothing to end is still 204
        r = c.post("/v1/servers/a/report", {"other_load": 5})
        check(r.status == 204, "plain report", r)


def test_eager_rehome_moves_everything_at_timeout():
    with Daemon(config="[servers]\nreport_timeout = 1\nrehome = eager\n") as d:
        c = d.client()
        c.put("/v1/servers/a", {"address": "a:1", "capacity": 1000, "report_interval": 0.2})
        for i in range(5):
            c.schedule("m%d" % i)
            c.join("m%d" % i)
        c.add_server("b")
        wait_for(lambda: state(c, "a") == "down", "a down")
        ms = c.get("/v1/meetings?state=active").json["meetings"]
        check(len(ms) == 5 and all(m["server"] == "b" and m["rehomed_from"] == "a" for m in ms),
              "moved without a join", ms)
        check(c.get("/v1/servers/a").json["meetings"] == 0, "a is empty")


def test_static_server_down_by_hand_until_resume():
    with Daemon() as d:
        c = d.client()
        c.add_server("a")
        c.add_server("b")
        c.schedule("m1")
        home = c.join("m1").json["server"]["id"]
        other = "b" if home == "a" else "a"
        r = c.post("/v1/servers/%s/down" % home)
        check(r.status == 200 and r.json["state"] == "down" and r.json["down_reason"] == "admin",
              "down by hand", r)
        check(c.post("/v1/servers/nope/down").status == 404, "unknown server")
        r = c.post("/v1/servers/%s/report" % home, {"other_load": 1})
        check(state(c, home) == "down", "a report does not undo an admin's down")
        check(c.join("m1", "p2").json["server"]["id"] == other, "moved on next join")
        r = c.post("/v1/servers/%s/resume" % home)
        check(r.status == 200 and r.json["state"] == "up" and r.json["down_reason"] is None,
              "resumed", r)


def test_drain_shows_when_empty():
    with Daemon(config="[meetings]\nidle_grace = 0.2\n") as d:
        c = d.client()
        c.add_server("a")
        c.schedule("m1")
        c.join("m1", "p1")
        s = c.post("/v1/servers/a/drain").json
        check(s["state"] == "draining" and s["empty_since"] is None, "draining, not empty", s)
        c.add_server("b")
        c.schedule("m2")
        check(c.join("m2").json["server"]["id"] == "b", "no new meetings on a draining server")
        check(c.join("m1", "p2").json["server"]["id"] == "a", "joins to its meetings go on")
        c.post("/v1/meetings/m1/leave", {"participant": "p1"})
        c.post("/v1/meetings/m1/leave", {"participant": "p2"})
        s = wait_for(lambda: (lambda j: j if j["empty_since"] else None)(
            c.get("/v1/servers/a").json), "empty_since")
        check(s["meetings"] == 0 and s["empty_since"].endswith("Z"), "empty", s)


def test_down_state_survives_restart():
    with Daemon(config="[servers]\nreport_timeout = 1\n") as d:
        c = d.client()
        c.put("/v1/servers/a", {"address": "a:1", "capacity": 1000, "report_interval": 0.2})
        c.add_server("s")
        c.post("/v1/servers/s/down")
        wait_for(lambda: state(c, "a") == "down", "a down")
        d.restart()
        c = d.client()
        a, s = c.get("/v1/servers/a").json, c.get("/v1/servers/s").json
        check(a["state"] == "down" and a["down_reason"] == "timeout", "a still down", a)
        check(s["state"] == "down" and s["down_reason"] == "admin", "s still down", s)
        c.post("/v1/servers/a/report", {})
        check(state(c, "a") == "up", "a comes back with a report after the restart")


def test_restart_gives_watched_servers_a_grace_period():
    with Daemon(config="[servers]\nreport_timeout = 1\n") as d:
        c = d.client()
        c.put("/v1/servers/a", {"address": "a:1", "capacity": 1000, "report_interval": 0.2})
        c.post("/v1/servers/a/report", {})
        d.kill()
        time.sleep(1.5)  # longer than the timeout while confpool itself was down
        d.start()
        c = d.client()
        check(state(c, "a") == "up", "not declared down for our own outage")
        wait_for(lambda: state(c, "a") == "down", "a down after a full period")


if __name__ == "__main__":
    run([test_silent_server_goes_down_and_meeting_moves_on_next_join,
         test_eager_rehome_moves_everything_at_timeout, test_static_server_down_by_hand_until_resume,
         test_drain_shows_when_empty, test_down_state_survives_restart,
         test_restart_gives_watched_servers_a_grace_period])
