"""Bearer tokens and roles: missing and wrong tokens get 401, a token of
the wrong role gets 403, and a refused request changes nothing."""

import os
import subprocess

from cplib import BIN, Daemon, check, run

TOKENS = {"admin": "admin-secret-1", "scheduler": "sched-secret-2",
          "client": "client-secret-3", "server": "server-secret-4"}


def test_missing_and_wrong_tokens():
    with Daemon(tokens=TOKENS) as d:
        c = d.client()
        check(c.get("/healthz").status == 200, "healthz needs no token")
        r = c.get("/v1/servers")
        check(r.status == 401 and r.error_code() == "unauthorized", "missing", r)
        check(r.header("WWW-Authenticate") is not None, "challenge", r.headers)
        r = c.get("/v1/servers", token="nope-nope-nope")
        check(r.status == 401, "wrong token", r)
        r = c.get("/v1/servers", headers={"Authorization": "Basic YWRtaW46eA=="})
        check(r.status == 401, "wrong scheme", r)
        r = c.get("/v1/servers", token=TOKENS["admin"] + "x")
        check(r.status == 401, "token with a suffix", r)
        r = c.get("/v1/servers", token=TOKENS["admin"][:-1])
        check(r.status == 401, "token prefix", r)


def test_roles():
    with Daemon(tokens=TOKENS) as d:
        admin, sched = d.client(TOKENS["admin"]), d.client(TOKENS["scheduler"])
        client, server = d.client(TOKENS["client"]), d.client(TOKENS["server"])
        # only admin manages servers
        for who in (sched, client, server):
            r = who.put("/v1/servers/fe1", {"address": "a:1", "capacity": 10})
            check(r.status == 403 and r.error_code() == "forbidden", "put by non-admin", r)
        check(admin.get("/v1/servers").json["servers"] == [], "nothing created by refusals")
        admin.add_server("fe1")
        for who in (sched, client, server):
            check(who.post("/v1/servers/fe1/drain").status == 403, "drain by non-admin")
            check(who.delete("/v1/servers/fe1").status == 403, "delete by non-admin")
        # scheduler creates and cancels; others may not
        for who in (client, server):
            check(who.post("/v1/meetings", {"organizer": "x"}).status == 403, "create")
        r = sched.post("/v1/meetings", {"id": "m1", "organizer": "x"})
        check(r.status == 201, "scheduler creates", r)
        # client joins and leaves; scheduler and server may not
        for who in (sched, server):
            check(who.join("m1").status == 403, "join by non-client")
            check(who.get("/join/m1").status == 403, "redirect by non-client")
        check(client.join("m1").status == 200, "client joins")
        check(client.post("/v1/meetings/m1/leave", {"participant": "p1"}).status == 204,
              "client leaves")
        # server reports; client and scheduler may not
        for who in (sched, client):
            check(who.post("/v1/servers/fe1/report", {"other_load": 1}).status == 403,
                  "report by non-server")
        check(server.post("/v1/servers/fe1/report", {"other_load": 1}).status == 204,
              "server reports")
        # every role reads
        for who in (admin, sched, client, server):
            check(who.get("/v1/meetings/m1").status == 200, "read meeting")
            check(who.get("/v1/servers/fe1").status == 200, "read server")
            check(who.get("/v1/pool").status == 200, "read pool")
        for who in (client, server):
            check(who.delete("/v1/meetings/m1").status == 403, "cancel by non-scheduler")
            check(who.post("/v1/meetings/m1/end").status == 403, "end by non-scheduler")
        check(sched.post("/v1/meetings/m1/end").status == 200, "scheduler ends")
        # admin may do everything
        check(admin.post("/v1/meetings", {"organizer": "x"}).status == 201, "admin creates")


def test_tokens_from_environment():
    env = {"CONFPOOL_ADMIN_TOKEN": "env-admin-token"}
    with Daemon(env=env) as d:
        check(d.client().get("/v1/servers").status == 401, "env token enforced")
        check(d.client("env-admin-token").get("/v1/servers").status == 200, "env token works")


def test_no_tokens_refuses_non_loopback():
    p = subprocess.run([BIN, "serve", "--listen", "0.0.0.0:0", "--db", "/tmp/cp-never.db"],
                       capture_output=True, text=True, timeout=20,
                       env={k: v for k, v in os.environ.items() if not k.startswith("CONFPOOL_")})
    check(p.returncode != 0 and "refusing" in p.stderr, "refuses", p.returncode, p.stderr)
    check(not os.path.exists("/tmp/cp-never.db"), "did not even open the database")


def test_no_tokens_on_loopback_warns():
    with Daemon() as d:
        check(d.client().get("/v1/servers").status == 200, "open on loopback")
        check("without authentication" in d.logs(), "warning logged")


if __name__ == "__main__":
    run([test_missing_and_wrong_tokens, test_roles, test_tokens_from_environment,
         test_no_tokens_refuses_non_loopback, test_no_tokens_on_loopback_warns])
