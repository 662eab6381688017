"""kill -9 at random moments under mixed load, then restart: every
acknowledged meeting is still there, every acknowledged assignment and
participant is unchanged, no meeting is active on two servers (checked
through the API and in the database itself), and the database passes its
integrity check.

Several client threads schedule, join, leave, end and report. The test
keeps a model of everything the daemon acknowledged. A request that was in
flight when the daemon died may or may not have happened: it is marked
uncertain, the outcome found after the restart must be one of the two
possible ones, and it is then taken into the model. `[meetings] idle_grace`
is long, so no acknowledged assignment can legitimately lapse during the
test."""

import os
import random
import shutil
import sqlite3
import subprocess
import threading
import time

from cplib import SANITIZED, Client, Daemon, check, run

ITERATIONS = 24
WORKERS = 4
SERVERS = ["fe%d" % i for i in range(4)]
PARTICIPANTS = ["p%d" % i for i in range(6)]
CONFIG = "[meetings]\nidle_grace = 1h\n[servers]\nreport_timeout = 1h\n"


class Meeting:
    def __init__(self, mid):
        self.id = mid
        self.state = "scheduled"
        self.server = None  # acknowledged assignment
        self.parts = set()  # acknowledged participants
        self.pending = None  # (op, participant) in flight when the daemon died


class Model:
    def __init__(self):
        self.lock = threading.Lock()
        self.meetings = {}
        self.errors = []
        self.acks = 0
        self.killed_in_flight = 0


def owned(model, wid, nworkers):
    with model.lock:
        return [m for m in model.meetings.values()
                if m.state != "ended" and hash(m.id) % nworkers == wid]


def worker(port, wid, nworkers, it, model, stop):
    """Runs mixed requests until the daemon dies under it. Each meeting is
    touched by one worker only, so the model has no races to guess about."""
    c = Client(port)
    rnd = random.Random(it * 100 + wid)
    mine = owned(model, wid, nworkers)
    n = 0
    pending = None
    try:
        while not stop.is_set():
            n += 1
            op = rnd.random()
            if op < 0.25 or not mine:
                mid = "c%d-w%d-%d" % (it, wid, n)
                while hash(mid) % nworkers != wid:  # stays with this worker
                    n += 1
                    mid = "c%d-w%d-%d" % (it, wid, n)
                m = Meeting(mid)
                pending = (m, ("create", None))
                r = c.post("/v1/meetings", {"id": mid, "organizer": "o",
                                            "expected_participants": rnd.randint(2, 9)})
                pending = None
                if r.status != 201:
                    model.errors.append(("create", r.status, r.raw[:200]))
                    continue
                with model.lock:
                    model.meetings[mid] = m
                    model.acks += 1
                mine.append(m)
                continue
            m = rnd.choice(mine)
            if op < 0.60:
                p = rnd.choice(PARTICIPANTS)
                pending = (m, ("join", p))
                r = c.join(m.id, p)
                pending = None
                if r.status != 200:
                    model.errors.append(("join", m.id, r.status, r.raw[:200]))
                    continue
                sid = r.json["server"]["id"]
                if m.server is not None and sid != m.server:
                    model.errors.append(("join moved an active meeting", m.id, m.server, sid))
                with model.lock:
                    m.state, m.server = "active", sid
                    m.parts.add(p)
                    model.acks += 1
            elif op < 0.80:
                if not m.parts:
                    continue
                p = rnd.choice(sorted(m.parts))
                pending = (m, ("leave", p))
                r = c.post("/v1/meetings/%s/leave" % m.id, {"participant": p})
                pending = None
                if r.status != 204:
                    model.errors.append(("leave", m.id, r.status, r.raw[:200]))
                    continue
                with model.lock:
                    m.parts.discard(p)  # stays active: idle_grace is an hour
                    model.acks += 1
            elif op < 0.85:
                pending = (m, ("end", None))
                r = c.post("/v1/meetings/%s/end" % m.id)
                pending = None
                if r.status != 200:
                    model.errors.append(("end", m.id, r.status, r.raw[:200]))
                    continue
                with model.lock:
                    m.state, m.server = "ended", None
                    m.parts.clear()
                    model.acks += 1
                mine.remove(m)
            else:
                sid = rnd.choice(SERVERS)
                with model.lock:
                    hosted = {x.id: len(x.parts) for x in mine if x.server == sid}
                r = c.post("/v1/servers/%s/report" % sid,
                           {"other_load": rnd.randint(0, 200), "meetings": hosted})
                if r.status != 204:
                    model.errors.append(("report", sid, r.status, r.raw[:200]))
    except Exception:  # the daemon was killed under us
        if pending:
            m, what = pending
            with model.lock:
                m.pending = what
                if what[0] == "create":
                    model.meetings[m.id] = m
                model.killed_in_flight += 1
    finally:
        c.close()


def integrity_of_copy(db, scratch):
    """Checks the files exactly as the crash left them, on a copy, so the
    daemon itself is the one that recovers the originals."""
    os.makedirs(scratch, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        for f in (os.path.join(scratch, "copy.db" + suffix),):
            if os.path.exists(f):
                os.unlink(f)
        if os.path.exists(db + suffix):
            shutil.copyfile(db + suffix, os.path.join(scratch, "copy.db" + suffix))
    out = subprocess.run(["sqlite3", os.path.join(scratch, "copy.db"),
                          "PRAGMA integrity_check; PRAGMA foreign_key_check;"],
                         capture_output=True, text=True, timeout=60)
    check(out.returncode == 0 and out.stdout.strip() == "ok", "integrity_check", out.stdout,
          out.stderr)


def read_db(db):
    """The committed state, read-only, while the restarted daemon is idle."""
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    try:
        meetings = {row[0]: (row[1], row[2]) for row in
                    con.execute("SELECT id, state, server FROM meetings")}
        parts = {}
        for mid, pid in con.execute("SELECT meeting, participant FROM participants"):
            parts.setdefault(mid, set()).add(pid)
        check(con.execute("PRAGMA quick_check").fetchone()[0] == "ok", "quick_check after restart")
    finally:
        con.close()
    return meetings, parts


def list_api(c):
    listed, cursor = {}, None
    while True:
        r = c.get("/v1/meetings?limit=1000" + ("&cursor=" + cursor if cursor else ""))
        check(r.status == 200, "list", r)
        for m in r.json["meetings"]:
            check(m["id"] not in listed, "a meeting listed twice", m["id"])
            listed[m["id"]] = m
        cursor = r.json["next"]
        if not cursor:
            return listed


def resolve(m, api, db_parts):
    """Checks the outcome of the request that was in flight on m when the
    daemon died is one of the two possible, and takes it into the model."""
    op, p = m.pending
    m.pending = None
    got = api.get(m.id)
    if op == "create":
        if got is None:
            return "forget"
        check(got["state"] == "scheduled" and got["server"] is None, "half-created", got)
        return None
    parts = db_parts.get(m.id, set())
    if op == "join":
        if p in parts:
            check(got["state"] == "active", "joined but not active", got)
            check(m.server is None or got["server"] == m.server, "join in flight moved it",
                  m.server, got)
            m.state, m.server = "active", got["server"]
            m.parts.add(p)
        else:
            check(got["state"] == m.state and got["server"] == m.server,
                  "a join that did not happen changed the meeting", m.state, m.server, got)
    elif op == "leave":
        m.parts.discard(p)  # either outcome is possible; the checks below see which
        if p in parts:
            m.parts.add(p)
    elif op == "end":
        if got["state"] == "ended":
            m.state, m.server = "ended", None
            m.parts.clear()
        else:
            check(got["state"] == m.state and got["server"] == m.server,
                  "an end that did not happen changed the meeting", got)
    return None


def verify(d, model):
    c = d.client()
    api = list_api(c)
    db_meetings, db_parts = read_db(d.db)
    with model.lock:
        for m in list(model.meetings.values()):
            if m.pending and resolve(m, api, db_parts) == "forget":
                del model.meetings[m.id]
        meetings = list(model.meetings.values())
    for m in meetings:
        got = api.get(m.id)
        check(got is not None, "an acknowledged meeting is lost", m.id)
        check(got["state"] == m.state and got["server"] == m.server,
              "acknowledged state or assignment changed", m.id, m.state, m.server, got)
        check(db_meetings.get(m.id) == (m.state, m.server), "database disagrees", m.id,
              db_meetings.get(m.id), m.state, m.server)
        check(db_parts.get(m.id, set()) == m.parts, "acknowledged participants changed",
              m.id, sorted(m.parts), sorted(db_parts.get(m.id, set())))
        if m.state == "active":
            check(got["participants"] == len(m.parts), "participant count", m.id, got)
    # No meeting active on two servers: each active meeting names exactly
    # one server; the servers' own counts agree with the meetings, in the
    # API and in the database; only active meetings have participants.
    per_server = {}
    for mid, (state, server) in db_meetings.items():
        check((state == "active") == (server is not None), "server set iff active", mid, state,
              server)
        if state == "active":
            per_server[server] = per_server.get(server, 0) + 1
        check(api[mid]["state"] == state and api[mid]["server"] == server,
              "the API and the database disagree", mid, api[mid], state, server)
    check(set(api) == set(db_meetings), "the same meetings in the API and the database")
    for mid in db_parts:
        check(db_meetings.get(mid, ("?",))[0] == "active", "participants of an inactive meeting",
              mid)
    servers = {s["id"]: s["meetings"] for s in c.get("/v1/servers").json["servers"]}
    for sid in SERVERS:
        check(servers.get(sid) == per_server.get(sid, 0), "server meeting counts", sid,
              servers, per_server)
    c.close()
    return (sum(1 for m in meetings),
            sum(1 for m in meetings if m.state == "active"),
            sum(len(m.parts) for m in meetings))


def test_kill9_under_mixed_load_loses_nothing():
    d = Daemon(config=CONFIG)
    d.start()
    scratch = os.path.join(d.dir, "scratch")
    try:
        c = d.client()
        for sid in SERVERS:
            c.add_server(sid, capacity=100000)
        c.close()
        model = Model()
        rnd = random.Random(1234)
        totals = (0, 0, 0)
        t0 = time.time()
        for it in range(ITERATIONS):
            stop = threading.Event()
            threads = [threading.Thread(target=worker,
                                        args=(d.port, w, WORKERS, it, model, stop))
                       for w in range(WORKERS)]
            for t in threads:
                t.start()
            time.sleep(rnd.uniform(0.05, 0.4) * (2 if SANITIZED else 1))
            d.kill()  # SIGKILL, mid-write
            stop.set()
            for t in threads:
                t.join(timeout=30)
            integrity_of_copy(d.db, scratch)
            d.start()
            totals = verify(d, model)
        check(not model.errors, "unexpected replies", model.errors[:3])
        check(totals[0] > 200 and totals[1] > 50 and model.killed_in_flight >= ITERATIONS,
              "enough acknowledged work and requests cut by the kill", totals,
              model.killed_in_flight)
        print("  %d kills in %.1fs; %d acknowledged changes; %d requests in flight at a kill; "
              "%d meetings, %d active, %d participants all intact"
              % (ITERATIONS, time.time() - t0, model.acks, model.killed_in_flight, *totals))
    finally:
        d.cleanup()


def test_sigterm_exits_zero_and_keeps_everything():
    with Daemon() as d:
        c = d.client()
        c.add_server("fe1")
        for i in range(50):
            c.schedule("m%d" % i)
            c.join("m%d" % i)
        t0 = time.time()
        rc = d.stop()
        check(rc == 0, "exit code 0", rc)
        check(time.time() - t0 < 5, "within 5 s")
        integrity_of_copy(d.db, os.path.join(d.dir, "scratch"))
        d.start()
        c = d.client()
        ms = c.get("/v1/meetings?limit=1000").json["meetings"]
        check(len(ms) == 50 and all(m["server"] == "fe1" for m in ms), "all there", len(ms))


if __name__ == "__main__":
    run([test_kill9_under_mixed_load_loses_nothing, test_sigterm_exits_zero_and_keeps_everything])
