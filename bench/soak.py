#!/usr/bin/env python3
"""make soak: 60 s of mixed load at about 70% of the maximum measured in the
same run, then proof that nothing acknowledged was lost.

  1. start confpool serve (12 servers) in a temporary directory;
  2. measure the maximum: confpool-load flat out for 5 s (after 2 s that
     fill the set of live meetings);
  3. soak: confpool-load paced at 70% of that for SOAK_SECONDS (60),
     sampling the daemon's VmRSS every second;
  4. verify every acknowledged meeting (state and server) against the
     running daemon, then again after SIGTERM and a restart (durability).

Passes with 0 errors, 0 lost acknowledgements and RSS growth < 5% from the
end of warm-up (the first 10 s of the soak) to the end. Everything runs on
127.0.0.1. Usage: bench/soak.py [BUILD]   (env: SOAK_SECONDS, SOAK_FRACTION)"""

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
BUILD = BUILD if os.path.isabs(BUILD) else os.path.join(ROOT, BUILD)
SECONDS = float(os.environ.get("SOAK_SECONDS", "60"))
FRACTION = float(os.environ.get("SOAK_FRACTION", "0.7"))
MAX_SECONDS = 5
WARMUP = min(10.0, SECONDS / 6)
SERVERS = 12
THREADS, DEPTH = 4, 16
CONFIG = """[meetings]
idle_grace = 1h
retain_ended = 5s
[log]
level = warn
"""


class Daemon:
    def __init__(self, workdir):
        self.dir = workdir
        self.proc = None
        self.port = None

    def start(self):
        cfg = os.path.join(self.dir, "confpool.ini")
        with open(cfg, "w") as f:
            f.write(CONFIG)
        log = open(os.path.join(self.dir, "confpool.log"), "ab")
        self.proc = subprocess.Popen(
            [os.path.join(BUILD, "confpool"), "serve", "--config", cfg, "--listen",
             "127.0.0.1:0", "--db", os.path.join(self.dir, "confpool.db"), "--log-level", "info"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.time() + 30
        while time.time() < deadline:
            m = re.search(rb"msg=listening url=http://127\.0\.0\.1:(\d+)/ pid=%d" % self.proc.pid,
                          open(os.path.join(self.dir, "confpool.log"), "rb").read())
            if m:
                self.port = int(m.group(1))
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        sys.exit("soak: confpool did not start:\n" + self.logs()[-2000:])

    def logs(self):
        return open(os.path.join(self.dir, "confpool.log"), errors="replace").read()

    def rss_kb(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def call(self, method, path, body=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            c.request(method, path, body=json.dumps(body) if body is not None else None)
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)


def load(d, seconds, rate, prefix, acks):
    cmd = [os.path.join(BUILD, "confpool-load"), "--port", str(d.port), "--threads",
           str(THREADS), "--depth", str(DEPTH), "--duration", str(seconds), "--rate",
           str(int(rate)), "--servers", str(SERVERS), "--prefix", prefix, "--acks", acks]
    return cmd, subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc):
    out, err = proc.communicate(timeout=600)
    if err:
        sys.stderr.write(err)
    lines = [l for l in out.splitlines() if l.startswith("{")]
    if not lines:
        sys.exit("soak: confpool-load printed no result (exit %s)" % proc.returncode)
    return json.loads(lines[-1])


def listed(d):
    out, cursor = {}, None
    while True:
        st, body = d.call("GET", "/v1/meetings?limit=1000" + ("&cursor=" + cursor if cursor else ""))
        if st != 200:
            sys.exit("soak: listing meetings failed: %d %s" % (st, body[:200]))
        j = json.loads(body)
        for m in j["meetings"]:
            out[m["id"]] = (m["state"], m["server"], m["participants"])
        cursor = j["next"]
        if not cursor:
            return out


def verify(d, ack_files):
    """Lists acknowledged meetings whose state, server or participant count
    is not what was acknowledged (ended meetings may have been purged after
    retain_ended)."""
    have = listed(d)
    lost, checked = [], 0
    for path in ack_files:
        with open(path) as f:
            for line in f:
                mid, state, server, parts = line.split()
                server = None if server == "-" else server
                checked += 1
                got = have.get(mid)
                if state == "ended":
                    ok = got is None or got[0] == "ended"
                else:
                    ok = got == (state, server, int(parts))
                if not ok:
                    lost.append((mid, state, server, got))
    return checked, lost


def main():
    for exe in ("confpool", "confpool-load"):
        if not os.access(os.path.join(BUILD, exe), os.X_OK):
            sys.exit("soak: %s/%s is not built (make soak builds it)" % (BUILD, exe))
    workdir = tempfile.mkdtemp(prefix="confpool-soak-")
    d = Daemon(workdir)
    ok = True
    try:
        d.start()
        for i in range(SERVERS):
            st, body = d.call("PUT", "/v1/servers/fe%02d" % i,
                              {"address": "fe%02d.example.com:443" % i, "capacity": 100000})
            assert st == 201, body
        print("== confpool soak (%s, %d cores, daemon pid %d)" % (
            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), os.cpu_count(), d.proc.pid))

        # the maximum of the steady mix: a short unmeasured run first fills
        # each connection's set of live meetings
        acks_warm = os.path.join(workdir, "acks-warm.txt")
        finish(load(d, 2, 0, "W", acks_warm)[1])
        acks_max = os.path.join(workdir, "acks-max.txt")
        cmd, p = load(d, MAX_SECONDS, 0, "M", acks_max)
        res_max = finish(p)
        print("max:  %7.0f req/s flat out for %ds (%d threads, pipeline depth %d), %d errors"
              % (res_max["rps"], MAX_SECONDS, THREADS, DEPTH, res_max["errors"]))
        print("      $ %s" % " ".join(cmd).replace(ROOT + "/", ""))
        rate = FRACTION * res_max["rps"]

        acks_soak = os.path.join(workdir, "acks-soak.txt")
        cmd, p = load(d, SECONDS, rate, "S", acks_soak)
        t0 = time.time()
        samples = []
        while p.poll() is None:
            samples.append((time.time() - t0, d.rss_kb()))
            time.sleep(1)
        res = finish(p)
        warm = [kb for t, kb in samples if t >= WARMUP]
        rss_start, rss_end, rss_max = warm[0], warm[-1], max(warm)
        growth = (rss_end - rss_start) / rss_start * 100
        print("soak: %7.0f req/s for %.0fs (target %.0f = %.0f%% of max), %d requests, %d errors, "
              "batch p50 %.2f ms p99 %.2f ms"
              % (res["rps"], res["seconds"], rate, FRACTION * 100, res["requests"], res["errors"],
                 res["batch_ms_p50"], res["batch_ms_p99"]))
        print("      mix: " + ", ".join("%s %d" % (k, res[k]) for k in
                                         ("create", "join", "leave", "get", "report", "end")))
        print("      $ %s" % " ".join(cmd).replace(ROOT + "/", ""))
        print("rss:  %d KiB after %.0fs warm-up, %d KiB at the end (max %d KiB): %+.2f%%"
              % (rss_start, WARMUP, rss_end, rss_max, growth))

        checked, lost = verify(d, [acks_warm, acks_max, acks_soak])
        print("acks: %d acknowledged meetings checked on the running daemon: %d lost"
              % (checked, len(lost)))
        rc = d.stop()
        d.start()
        checked2, lost2 = verify(d, [acks_warm, acks_max, acks_soak])
        print("      after SIGTERM (exit %d) and restart: %d checked, %d lost"
              % (rc, checked2, len(lost2)))
        for what, cond in (("errors", res["errors"] == 0 and res_max["errors"] == 0),
                           ("lost acknowledgements", not lost and not lost2),
                           ("clean stop", rc == 0),
                           ("RSS growth < 5%", growth < 5.0)):
            if not cond:
                ok = False
                print("FAIL: " + what)
        if res["rps"] < 0.9 * rate:
            # not a failure of confpool: the machine was busier than during
            # the measurement (other processes share these cores)
            print("WARNING: the soak ran at %.0f%% of the maximum, not %.0f%%: this machine "
                  "was busier than while the maximum was measured"
                  % (100 * res["rps"] / res_max["rps"], FRACTION * 100))
        for x in (lost + lost2)[:5]:
            print("  lost: %r" % (x,))
        print("soak: " + ("PASS" if ok else "FAIL"))
    finally:
        if d.proc and d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait()
        if ok:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print("soak: files kept in " + workdir)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
