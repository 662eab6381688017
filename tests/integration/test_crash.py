"""kill -9 in the middle of writes, then restart: every acknowledged
meeting and every acknowledged assignment is still there, no meeting is
active on two servers, and the database passes its integrity check."""

import random
import subprocess
import threading
import time

from cplib import SANITIZED, Daemon, check, run

ITERATIONS = 20


class Acks:
    def __init__(self):
        self.lock = threading.Lock()
        self.meetings = set()
        self.assign = {}  # meeting -> server id from an acknowledged join
        self.errors = []


def worker(port, wid, acks, stop):
    from cplib import Client
    c = Client(port)
    n = 0
    rnd = random.Random(wid)
    while not stop.is_set():
        n += 1
        mid = "w%d-%d-%d" % (wid, int(time.time() * 1000) % 100000000, n)
        try:
            r = c.post("/v1/meetings", {"id": mid, "organizer": "o",
                                        "expected_participants": rnd.randint(2, 9)})
            if r.status != 201:
                acks.errors.append(("create", r.status, r.raw[:200]))
                continue
            with acks.lock:
                acks.meetings.add(mid)
            if rnd.random() < 0.7:
                r = c.join(mid, "p1")
                if r.status == 200:
                    with acks.lock:
                        acks.assign[mid] = r.json["server"]["id"]
                elif r.status != 503:
                    acks.errors.append(("join", r.status, r.raw[:200]))
            if rnd.random() < 0.2:
                c.post("/v1/servers/fe%d/report" % rnd.randint(0, 3),
                       {"other_load": rnd.randint(0, 200)})
        except Exception:  # the daemon was killed under us: stop
            return


def verify(d, acks):
    c = d.client()
    with acks.lock:
        meetings = set(acks.meetings)
        assign = dict(acks.assign)
    listed = {}
    cursor = None
    while True:
        r = c.get("/v1/meetings?limit=1000" + ("&cursor=" + cursor if cursor else ""))
        check(r.status == 200, "list", r)
        for m in r.json["meetings"]:
            listed[m["id"]] = m
        cursor = r.json["next"]
        if not cursor:
            break
    missing = meetings - set(listed)
    check(not missing, "acknowledged meetings lost", sorted(missing)[:5])
    for mid, sid in assign.items():
        m = listed[mid]
        check(m["state"] == "active" and m["server"] == sid, "assignment changed", mid, sid, m)
    # each active meeting counted on exactly one server
    per_server = {}
    for m in listed.values():
        if m["state"] == "active":
            per_server[m["server"]] = per_server.get(m["server"], 0) + 1
    servers = {s["id"]: s["meetings"] for s in c.get("/v1/servers").json["servers"]}
    for sid, n in per_server.items():
        check(servers.get(sid) == n, "server meeting counts match", sid, n, servers)
    return len(meetings), len(assign)


def integrity(db):
    out = subprocess.run(["sqlite3", db, "PRAGMA integrity_check; PRAGMA foreign_key_check;"],
                         capture_output=True, text=True, timeout=60)
    check(out.returncode == 0 and out.stdout.strip() == "ok", "integrity_check", out.stdout,
          out.stderr)


def test_kill9_during_writes_loses_nothing():
    d = Daemon()
    d.start()
    try:
        c = d.client()
        for i in range(4):
            c.add_server("fe%d" % i, capacity=100000)
        acks = Acks()
        rnd = random.Random(1234)
        total = (0, 0)
        for it in range(ITERATIONS):
            stop = threading.Event()
            threads = [threading.Thread(target=worker, args=(d.port, w + it * 10, acks, stop))
                       for w in range(4)]
            for t in threads:
                t.start()
            time.sleep(rnd.uniform(0.05, 0.4) * (3 if SANITIZED else 1))
            d.kill()  # SIGKILL, mid-write
            stop.set()
            for t in threads:
                t.join(timeout=30)
            integrity(d.db)
            d.start()
            total = verify(d, acks)
        check(not acks.errors, "unexpected errors", acks.errors[:3])
        check(total[0] > 50 and total[1] > 20, "enough acknowledged work", total)
        print("  %d kills; %d acknowledged meetings, %d acknowledged assignments survived"
              % (ITERATIONS, total[0], total[1]))
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
        integrity(d.db)
        d.start()
        c = d.client()
        ms = c.get("/v1/meetings?limit=1000").json["meetings"]
        check(len(ms) == 50 and all(m["server"] == "fe1" for m in ms), "all there", len(ms))


if __name__ == "__main__":
    run([test_kill9_during_writes_loses_nothing, test_sigterm_exits_zero_and_keeps_everything])
