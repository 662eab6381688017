"""confpool sim, sim --replay and plan, end to end on the real binary.

The replay test records a daemon's event log ([log] events=PATH) while
clients schedule, join (many refused: the servers are small), leave, end
and report under three policies, two of them random; then `confpool sim
--replay` must make every placement again, join for join, as the daemon
answered over HTTP."""

import json
import os
import random
import subprocess
import tempfile
import xml.dom.minidom

from cplib import BIN, SANITIZED, Daemon, check, run


def sim(*args, timeout=300):
    return subprocess.run([BIN] + list(args), capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def test_replay_reproduces_daemon_placements():
    work = tempfile.mkdtemp(prefix="confpool-sim-")
    events = os.path.join(work, "events.jsonl")
    # Attendance learning off in the daemon: the replay must take that from
    # the trace's start line, not from its own defaults.
    cfg = ("[log]\nevents = %s\n[pool.rnd]\npolicy = random\n[pool.p2]\npolicy = power_of_two\n"
           "[load]\nlearn_attendance = 0\n" % events)
    rnd = random.Random(11)
    answers = []  # (meeting, participant, status code, server) as the daemon replied
    with Daemon(config=cfg) as d:
        c = d.client()
        pools = {"default": [], "rnd": [], "p2": []}
        for pool in pools:
            for i in range(4):
                sid = "%s-fe%d" % (pool, i)
                c.add_server(sid, capacity=40 + 15 * i, pool=None if pool == "default" else pool)
                pools[pool].append(sid)
        # Meetings that turn out far smaller than announced: an engine that
        # learns attendance would from here on reserve less for expected
        # sizes, and place differently from this daemon.
        for i in range(25):
            mid = "small%d" % i
            c.schedule(mid, expected_participants=9)
            for p in range(2):
                r = c.join(mid, "p%d" % p)
                code = r.error_code() if r.status != 200 else "ok"
                answers.append((mid, "p%d" % p, code, (r.json or {}).get("server", {}).get("id")
                                if r.status == 200 else None))
            c.post("/v1/meetings/%s/end" % mid)
        live = []
        n = 120 if SANITIZED else 240
        for i in range(n):
            pool = ("default", "rnd", "p2")[i % 3]
            mid = "m%d" % i
            body = {"expected_participants": rnd.randint(1, 9)}
            if pool != "default":
                body["pool"] = pool
            if rnd.random() < 0.3:
                body["modalities"] = ["audio", "video"]
            c.schedule(mid, **body)
            for p in range(rnd.randint(1, 7)):
                r = c.join(mid, "p%d" % p)
                code = r.error_code() if r.status != 200 else "ok"
                answers.append((mid, "p%d" % p, code, (r.json or {}).get("server", {}).get("id")
                                if r.status == 200 else None))
            live.append(mid)
            if rnd.random() < 0.4 and live:
                m = live.pop(rnd.randrange(len(live)))
                for p in range(3):
                    c.post("/v1/meetings/%s/leave" % m, {"participant": "p%d" % p})
            if rnd.random() < 0.25 and live:
                c.post("/v1/meetings/%s/end" % live.pop(rnd.randrange(len(live))))
            if i % 20 == 5:
                sid = rnd.choice(pools["default"])
                c.post("/v1/servers/%s/report" % sid, {"other_load": rnd.randint(0, 20)})
                sid = rnd.choice(pools["rnd"])
                c.post("/v1/servers/%s/report" % sid, {"cpu": round(rnd.random() * 0.6, 3)})
            if i == n // 2:
                c.post("/v1/servers/p2-fe1/drain")
            if i == 3 * n // 4:
                c.post("/v1/servers/p2-fe1/resume")
        check(d.stop() == 0, "daemon stops cleanly")
    refused = sum(1 for a in answers if a[2] != "ok")
    check(refused > 20 and refused < len(answers) - 20, "both admitted and refused joins",
          refused, len(answers))
    lines = [json.loads(l) for l in open(events)]
    check(lines[0]["ev"] == "start" and lines[0]["engine"]["seed"], "header with engine and seed",
          lines[0])
    check(lines[0]["engine"]["learn_attendance"] is False, "header with attendance learning",
          lines[0])
    check(sum(1 for l in lines if l["ev"] == "join") == len(answers), "every join logged")
    placements = os.path.join(work, "placements.jsonl")
    r = sim("sim", "--replay", events, "--check", "--placements", placements, "--out",
            os.path.join(work, "out"))
    check(r.returncode == 0, "replay --check passes", r.stdout, r.stderr)
    check("placements reproduced: %d of %d (0 differ)" % (len(answers), len(answers)) in r.stdout,
          "all placements reproduced", r.stdout)
    rep = [json.loads(l) for l in open(placements)]
    check(len(rep) == len(answers), "one placement per join", len(rep))
    for (mid, pid, code, server), p in zip(answers, rep):
        check(p["meeting"] == mid and p["participant"] == pid, "same order", p, mid, pid)
        check(p["status"] == code and p["server"] == server,
              "replayed decision equals the daemon's reply", p, code, server)
    summary = json.load(open(os.path.join(work, "out", "summary.json")))
    check(summary["placements_reproduced"] == len(answers), "summary counts", summary)
    # What if: two servers and round robin, on the same trace.
    r = sim("sim", "--replay", events, "--servers", "2", "--capacity", "500", "--policy",
            "round_robin")
    check(r.returncode == 0 and "what if" in r.stdout and "round_robin" in r.stdout,
          "what-if replay", r.stdout, r.stderr)
    # A trace whose decisions were tampered with is caught.
    tampered = os.path.join(work, "tampered.jsonl")
    with open(tampered, "w") as f:
        swapped = False
        for l in lines:
            if not swapped and l["ev"] == "join" and l["status"] == "ok":
                l["server"] = "nowhere"
                swapped = True
            f.write(json.dumps(l) + "\n")
    r = sim("sim", "--replay", tampered, "--check")
    check(r.returncode == 1 and "1 differ" in r.stdout, "a different placement fails --check",
          r.stdout, r.stderr)


def test_sim_outputs_and_determinism():
    work = tempfile.mkdtemp(prefix="confpool-sim-")
    out1, out2 = os.path.join(work, "a"), os.path.join(work, "b")
    args = ["sim", "--model", "lync2013", "--servers", "12", "--policies",
            "least_utilization,random,clairvoyant", "--duration", "6h", "--start",
            "2026-03-02T07:00:00Z", "--seed", "9"]
    r1 = sim(*args, "--out", out1)
    check(r1.returncode == 0, "sim runs", r1.stdout, r1.stderr)
    check(r1.stderr == "", "no progress bar when output is not a terminal", r1.stderr)
    for name in ("least_utilization", "random", "clairvoyant"):
        check(name in r1.stdout, "table row", name, r1.stdout)
    for f in ("summary.json", "model.ini", "policies.svg", "util-least_utilization.svg",
              "minutes-random.csv", "servers-clairvoyant.csv"):
        check(os.path.exists(os.path.join(out1, f)), "output file", f)
    s = json.load(open(os.path.join(out1, "summary.json")))
    check([p["policy"] for p in s["policies"]] == ["least_utilization", "random", "clairvoyant"],
          "policies in order", s["policies"])
    check(s["servers"] == 12 and s["policies"][0]["joins"]["attempts"] > 1000, "summary", s)
    xml.dom.minidom.parse(os.path.join(out1, "util-least_utilization.svg"))
    xml.dom.minidom.parse(os.path.join(out1, "policies.svg"))
    rows = open(os.path.join(out1, "servers-random.csv")).read().splitlines()
    check(rows[0].startswith("minute,time,server,utilization") and len(rows) == 1 + 360 * 12,
          "one row per server and minute", rows[0], len(rows))
    r2 = sim(*args, "--out", out2, "--no-plots", "--no-csv")
    check(open(os.path.join(out1, "summary.json")).read() ==
          open(os.path.join(out2, "summary.json")).read(), "same seed, same summary.json")
    # The model file written back runs the same day.
    r3 = sim("sim", "--model", os.path.join(out1, "model.ini"), *args[3:], "--out", out2,
             "--no-plots", "--no-csv")
    check(r3.returncode == 0, "model.ini loads", r3.stderr)
    a = json.load(open(os.path.join(out1, "summary.json")))["policies"]
    b = json.load(open(os.path.join(out2, "summary.json")))["policies"]
    check(a == b, "model.ini reproduces the run")
    bad = sim("sim", "--set", "size.nope=1")
    check(bad.returncode == 2 and "[size] nope" in bad.stderr, "unknown key named", bad.stderr)
    bad = sim("sim", "--policy", "clairvoyant", "--duration", "10m", "--no-plots")
    check(bad.returncode == 0, "clairvoyant runs in the simulator", bad.stderr)


def test_plan_answers():
    r = sim("plan", "size", "--users", "20000", "--seeds", "1", "--max-refused", "1%")
    check(r.returncode == 0 and "answer:" in r.stdout, "plan size answers", r.stdout, r.stderr)
    n = int(r.stdout.split("answer: ")[1].split()[0])
    check(2 <= n <= 12, "a quarter of the users need a few servers", n)
    r = sim("plan", "meeting", "--size", "50", "--at", "10:00", "--seeds", "2")
    check(r.returncode in (0, 1) and "answer: fits on" in r.stdout, "plan meeting answers",
          r.stdout, r.stderr)
    r = sim("plan", "meeting", "--size", "50")
    check(r.returncode == 2, "plan meeting needs --at", r.stderr)
    # A meeting that fits only on a nearly empty server, with and without
    # the planner ([large] keys reach the engine through --set).
    big = ["plan", "meeting", "--size", "1000", "--at", "10:00", "--modalities", "audio",
           "--seeds", "2", "--set", "topology.capacity=1750", "--set", "large.lead=90m"]
    r = sim(*big)
    check(r.returncode == 0 and "planning on" in r.stdout and
          "admitted 2000 of 2000 participants (100.0%)" in r.stdout, "planned room", r.stdout)
    rows = [l.split() for l in r.stdout.splitlines() if l.split()[:1] in (["1"], ["2"])]
    check(len(rows) == 2 and all(x[2] == "ok" and x[3] == "hosted" and x[5] == "90m"
                                 for x in rows), "plan ok, hosted, 90 min lead", rows)
    r = sim(*big, "--set", "large.plan=0")
    check(r.returncode == 1 and "planning off" in r.stdout and
          "admitted 0 of 2000 participants" in r.stdout, "no room without planning", r.stdout)


if __name__ == "__main__":
    run([test_replay_reproduces_daemon_placements, test_sim_outputs_and_determinism,
         test_plan_answers])
