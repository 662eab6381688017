"""cplib — helpers for integration tests: start the real confpool binary on
loopback, talk HTTP/JSON to it, kill and restart it.

Every daemon gets its own temporary directory (database, config, logs) and
an ephemeral port, read back from its "listening" log line. Daemons are
stopped by PID when a test ends, whatever happens."""

import atexit
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("CONFPOOL_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "confpool")
SANITIZED = os.environ.get("CP_SANITIZED", "0") in ("1", "ON", "TRUE", "true")
_LIVE = []


def _cleanup():
    for d in list(_LIVE):
        d.kill()


atexit.register(_cleanup)


class Daemon:
    """A confpool serve process with its own directory and port."""

    def __init__(self, config="", env=None, tokens=None, workdir=None, args=()):
        self.dir = workdir or tempfile.mkdtemp(prefix="confpool-it-")
        self.owns_dir = workdir is None
        self.config = config
        self.env = dict(os.environ)
        self.env.update(env or {})
        self.tokens = tokens or {}
        self.args = list(args)
        self.proc = None
        self.port = None
        self.log_path = os.path.join(self.dir, "confpool.log")

    @property
    def db(self):
        return os.path.join(self.dir, "confpool.db")

    def start(self, timeout=20):
        cfg = os.path.join(self.dir, "confpool.ini")
        with open(cfg, "w") as f:
            f.write(self.config)
            if self.tokens:
                f.write("\n[auth]\n")
                for role, tok in self.tokens.items():
                    f.write("%s_token = %s\n" % (role, tok))
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [BIN, "serve", "--config", cfg, "--listen", "127.0.0.1:0", "--db", self.db]
            + self.args,
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log, env=self.env)
        _LIVE.append(self)
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = re.search(rb"msg=listening url=http://127\.0\.0\.1:(\d+)/ pid=%d" % self.proc.pid,
                          open(self.log_path, "rb").read())
            if m:
                self.port = int(m.group(1))
                return self
            if self.proc.poll() is not None:
                raise RuntimeError("confpool exited with %s:\n%s" % (
                    self.proc.returncode, open(self.log_path).read()[-3000:]))
            time.sleep(0.02)
        raise RuntimeError("confpool did not start:\n" + open(self.log_path).read()[-3000:])

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)
        if self in _LIVE:
            _LIVE.remove(self)
        return self.proc.returncode if self.proc else None

    def stop(self, timeout=10):
        """SIGTERM and wait; returns the exit code."""
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=timeout)
        if self in _LIVE:
            _LIVE.remove(self)
        return rc

    def restart(self):
        self.kill()
        return self.start()

    def logs(self):
        return open(self.log_path, errors="replace").read()

    def cleanup(self):
        self.kill()
        if self.owns_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def client(self, token=None):
        return Client(self.port, token)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.raw = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def error_code(self):
        return (self.json or {}).get("error", {}).get("code")

    def __repr__(self):
        return "<%d %s>" % (self.status, self.raw[:300])


class Client:
    """A keep-alive HTTP/1.1 client for one daemon."""

    def __init__(self, port, token=None):
        self.port = port
        self.token = token
        self.conn = None

    def request(self, method, path, body=None, token=None, headers=None, raw=None):
        hdrs = {}
        tok = token if token is not None else self.token
        if tok:
            hdrs["Authorization"] = "Bearer " + tok
        data = None
        if raw is not None:
            data = raw
        elif body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.conn.request(method, path, body=data, headers=hdrs)
                r = self.conn.getresponse()
                body = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return Response(r.status, r.getheaders(), body)
            except (ConnectionError, http.client.HTTPException, socket.timeout):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def close(self):
        if self.conn:
            self.conn.close()
            self.conn = None

    # conveniences
    def add_server(self, sid, capacity=1250, pool=None, address=None, **kw):
        body = {"address": address or "%s.example.com:443" % sid, "capacity": capacity}
        if pool:
            body["pool"] = pool
        r = self.put("/v1/servers/" + sid, body, **kw)
        assert r.status in (200, 201), r
        return r.json

    def schedule(self, mid=None, **fields):
        body = {"organizer": "alice"}
        if mid:
            body["id"] = mid
        body.update(fields)
        r = self.post("/v1/meetings", body)
        assert r.status == 201, r
        return r.json

    def join(self, mid, participant="p1", **kw):
        return self.post("/v1/meetings/%s/join" % mid, {"participant": participant}, **kw)


def raw_exchange(port, data, timeout=5.0, read_until_close=True):
    """Sends raw bytes and returns everything read until close or timeout."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        chunks = []
        end = time.time() + timeout
        while time.time() < end:
            try:
                c = s.recv(65536)
            except socket.timeout:
                break
            if not c:
                break
            chunks.append(c)
            if not read_until_close:
                break
        return b"".join(chunks)
    finally:
        s.close()


class Failure(AssertionError):
    pass


def check(cond, what, *detail):
    if not cond:
        raise Failure(what + ("" if not detail else ": " + " ".join(repr(d) for d in detail)))


def run(tests):
    """Runs test functions; prints one line each; exits non-zero on failure."""
    failed = 0
    only = sys.argv[1:]
    for t in tests:
        if only and t.__name__ not in only:
            continue
        t0 = time.time()
        try:
            t()
            print("ok   %-55s %.2fs" % (t.__name__, time.time() - t0), flush=True)
        except Exception as e:  # noqa: BLE001 - report every failure
            failed += 1
            import traceback
            print("FAIL %-55s %.2fs" % (t.__name__, time.time() - t0), flush=True)
            traceback.print_exc()
    sys.exit(1 if failed else 0)
