"""Hostile input over raw sockets, against a daemon with tokens: garbage,
truncated and pipelined requests, oversized and lying headers and bodies,
chunked bodies, invalid UTF-8, deep JSON, absurd numbers, hostile ids,
SQL metacharacters, tokens of the wrong role and slow-loris connections.

Every request must get the right 4xx (status and error code) or a closed
connection; the daemon stays healthy between batches; and the three
tables of the database are byte-for-byte the same before and after
(canonical dump through the sqlite3 tool)."""

import random
import socket
import subprocess
import threading
import time

from cplib import Daemon, check, run

TOKENS = {"admin": "admin-secret-1", "scheduler": "sched-secret-2",
          "client": "client-secret-3", "server": "server-secret-4"}
CONFIG = "[http]\nidle_timeout = 1\n"
CLOSED = "closed"  # the connection is closed without a reply


class Tally:
    def __init__(self):
        self.tried = 0
        self.by_batch = {}


def dump(db):
    """The three tables, every column, in a fixed order."""
    sql = ("SELECT * FROM servers ORDER BY id; SELECT * FROM meetings ORDER BY id; "
           "SELECT * FROM participants ORDER BY meeting, participant;")
    out = subprocess.run(["sqlite3", "-readonly", "-cmd", ".mode quote", db, sql],
                         capture_output=True, timeout=30)
    check(out.returncode == 0, "sqlite3 dump", out.stderr)
    return out.stdout


def req(method, path, body=None, token="admin", headers=(), version=b"HTTP/1.1",
        ctype=b"application/json"):
    """A well-formed request, as bytes; token is a role name, a raw header
    value (when it has a space) or None."""
    if isinstance(path, str):
        path = path.encode()
    lines = [method.encode() + b" " + path + b" " + version, b"Host: confpool"]
    if token:
        value = token if " " in token else "Bearer " + TOKENS[token]
        lines.append(b"Authorization: " + (value.encode() if isinstance(value, str) else value))
    if body is not None:
        if isinstance(body, str):
            body = body.encode()
        lines.append(b"Content-Type: " + ctype)
        lines.append(b"Content-Length: %d" % len(body))
    for h in headers:
        lines.append(h if isinstance(h, bytes) else h.encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + (body or b"")


def read_replies(s, want, timeout):
    """Reads up to `want` replies; returns (replies, closed). A reply is
    (status, body bytes)."""
    buf = b""
    replies = []
    closed = False
    deadline = time.time() + timeout
    while len(replies) < want and time.time() < deadline:
        s.settimeout(max(0.05, deadline - time.time()))
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        except (ConnectionResetError, BrokenPipeError):
            closed = True
            break
        if not chunk:
            closed = True
            break
        buf += chunk
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                break
            head = buf[:end].decode("latin-1").split("\r\n")
            status = int(head[0].split(" ")[1])
            length = 0
            for h in head[1:]:
                k, _, v = h.partition(":")
                if k.lower() == "content-length":
                    length = int(v)
            if len(buf) < end + 4 + length:
                break
            replies.append((status, buf[end + 4:end + 4 + length]))
            buf = buf[end + 4 + length:]
    if len(replies) >= want and not closed:
        # After the replies we expect, the server must close when it said so.
        pass
    return replies, closed


def wait_closed(s, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        s.settimeout(max(0.05, deadline - time.time()))
        try:
            if not s.recv(65536):
                return True
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            return True
    return False


def error_code(body):
    import json
    try:
        return json.loads(body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


def exchange(port, data, expect, halfclose=False, timeout=4.0):
    """Sends data on a fresh connection and checks the replies against
    expect: a list of (status, code or None), or CLOSED (no reply, closed),
    or a set of acceptable single outcomes."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            s.sendall(data)
            if halfclose:
                s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading: its reply (if any) is still readable
        options = expect if isinstance(expect, (set, frozenset)) else [expect]
        want = max(len(o) if isinstance(o, tuple) and o and isinstance(o[0], tuple) else
                   (0 if o == CLOSED else 1) for o in options)
        replies, closed = read_replies(s, want, timeout)
        got = tuple((st, error_code(b)) for st, b in replies)
        for o in options:
            if o == CLOSED:
                if not got and (closed or wait_closed(s, timeout)):
                    return got
                continue
            seq = o if isinstance(o[0], tuple) else (o,)
            if len(got) != len(seq):
                continue
            if all(g[0] == e[0] and (e[1] is None or g[1] == e[1]) for g, e in zip(got, seq)):
                # a 400/413 from the HTTP layer closes; the connection must go
                if seq[-1][0] in (400, 413) and seq[-1][1] in ("bad_request", "too_large"):
                    check(closed or wait_closed(s, timeout), "closed after a protocol error",
                          data[:80])
                return got
        raise AssertionError("%r: expected %r, got %r%s" % (
            data[:120], expect, got, " (closed)" if closed else ""))
    finally:
        s.close()


def healthy(d):
    check(d.proc.poll() is None, "daemon alive")
    out = exchange(d.port, req("GET", "/healthz", token=None), (200, None))
    check(out == ((200, None),), "healthz")


def batch(d, tally, name, cases):
    """cases: (bytes, expect[, halfclose])."""
    failures = []
    for case in cases:
        data, expect = case[0], case[1]
        half = case[2] if len(case) > 2 else False
        try:
            exchange(d.port, data, expect, halfclose=half)
        except AssertionError as e:
            failures.append("%s ... %r" % (str(e)[:300], data[-60:]))
        tally.tried += 1
        tally.by_batch[name] = tally.by_batch.get(name, 0) + 1
    check(not failures, "%s: %d of %d wrong" % (name, len(failures), len(cases)),
          *failures[:20])
    healthy(d)


BAD = (400, "bad_request")
LARGE = (413, "too_large")
JSON = (400, "invalid_json")
FIELD = (400, "invalid_field")
UNAUTH = (401, "unauthorized")
FORBID = (403, "forbidden")
NOTFOUND = (404, "not_found")
METHOD = (405, "method_not_allowed")


def garbage_cases():
    rnd = random.Random(7)
    cases = []
    for i in range(40):
        n = rnd.choice([1, 3, 17, 200, 1500])
        data = bytes(rnd.randrange(256) for _ in range(n))
        if data[:1].isalpha():
            data = b"\x00" + data  # not a method by accident
        cases.append((data + b"\r\n\r\n", {BAD, CLOSED}))
    cases += [
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40, BAD),  # TLS hello
        (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", BAD),
        (b"DELETE /v1/meetings/m2\r\n\r\n", {UNAUTH, BAD}),  # HTTP/0.9: no headers
        (b"GET /healthz HTTP/9.9\r\n\r\n", BAD),
        (b"FOO /healthz HTTP/1.1\r\n\r\n", BAD),
        # llhttp (non-strict) reads the next three as valid: without a token
        # they must still change nothing
        (b"DELETE  /v1/meetings/m2 HTTP/1.1\r\n\r\n", {UNAUTH, BAD}),
        (b"DELETE /v1/meetings/m2 HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", {UNAUTH, BAD}),
        (b"DELETE /v1/meetings/m2 HTTP/1.1\r\n: novalue\r\n\r\n", {UNAUTH, BAD}),
        (b"DELETE /v1/meetings/m2 HTTP/1.1\r\nAuthorization: Bearer\r\n " +
         TOKENS["client"].encode() + b"\r\n\r\n", {UNAUTH, FORBID, BAD}),
        (b"POST /v1/meetings HTTP/1.1\r\nContent-Length : 5\r\n\r\nhello", BAD),
        (b"POST /v1/meetings HTTP/1.1\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n", BAD),
        (b"GET /hea\x00lthz HTTP/1.1\r\n\r\n", BAD),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n", BAD),
        (b"DELETE /v1/meetings/m2 HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n", {UNAUTH, BAD}),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n", BAD),
        (req("GET", "/healthz", token=None) + b"NOT HTTP AT ALL\r\n\r\n", ((200, None), BAD)),
        (req("GET", "/healthz", token=None) * 3 + b"\xff\xfe\r\n\r\n",
         ((200, None), (200, None), (200, None), BAD)),
        (b"\xff\xfe\r\n\r\n" + req("GET", "/healthz", token=None), BAD),
        (req("GET", "/v1/servers", token="client") + b"GET /x HTTP/1.1\r\nContent-Length: z\r\n\r\n",
         ((200, None), BAD)),
        (b"CONNECT confpool:443 HTTP/1.1\r\nHost: confpool\r\n\r\n", METHOD),
        (req("GET", "/healthz", token=None, headers=["Connection: Upgrade", "Upgrade: websocket"]),
         BAD),
        (req("GET", "/healthz", token=None, headers=["Connection: Upgrade", "Upgrade: h2c",
                                                     "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA"]),
         BAD),
    ]
    # truncated: a create cut short, then the client half-closes: never answered
    full = req("POST", "/v1/meetings", '{"id":"trunc","organizer":"eve"}', token="scheduler")
    for cut in range(1, len(full), max(1, len(full) // 30)):
        cases.append((full[:cut], CLOSED, True))
    return cases


def limit_cases():
    big = "a" * 20000
    cases = [
        (req("GET", "/healthz", token=None, headers=["X-Big: " + big]), {LARGE, CLOSED}),
        (req("GET", "/healthz", token=None, headers=["X-%d: v" % i for i in range(3000)]),
         {LARGE, CLOSED}),
        (req("GET", "/" + big, token=None), {LARGE, CLOSED}),
        (req("GET", "/v1/meetings?" + "a=b&" * 5000, token="admin"), {LARGE, CLOSED}),
        (req("GET", "/healthz", token="Bearer " + big), {LARGE, CLOSED}),
        (b"G" * 20000 + b" / HTTP/1.1\r\n\r\n", {BAD, LARGE, CLOSED}),
    ]
    meeting = b'{"organizer":"x","subject":"' + b"s" * (70 * 1024) + b'"}'
    cases += [
        (req("POST", "/v1/meetings", meeting, token="scheduler"), LARGE),
        (b"POST /v1/meetings HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n", LARGE),
        (b"POST /v1/meetings HTTP/1.1\r\nHost: x\r\nContent-Length: 65537\r\n\r\n" + b"{" * 100,
         LARGE),
        (b"POST /v1/meetings HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n",
         BAD),
        (b"POST /v1/meetings HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", BAD),
        (b"POST /v1/meetings HTTP/1.1\r\nHost: x\r\nContent-Length: 1e3\r\n\r\n", BAD),
        (b"POST /v1/meetings HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n", BAD),
        (b"POST /v1/meetings HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"
         b"hello!", BAD),
        (b"POST /v1/meetings HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
         b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", BAD),
        (b"POST /v1/meetings HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nxx", BAD),
    ]
    # Content-Length shorter than the body: the body is cut (bad JSON) and
    # the rest is read as the next request (garbage)
    sched = ("Authorization: Bearer " + TOKENS["scheduler"]).encode()
    body = b'{"id":"liar","organizer":"x"}'
    for short in (1, 5, 12, len(body) - 1):
        cases.append((b"POST /v1/meetings HTTP/1.1\r\nHost: x\r\n" + sched +
                      b"\r\nContent-Length: %d\r\n\r\n" % short + body, (JSON, BAD)))
    # longer than the body: it waits for the rest, which never comes
    for extra in (1, 100, 60000):
        data = (b"POST /v1/meetings HTTP/1.1\r\nHost: x\r\n" + sched +
                b"\r\nContent-Length: %d\r\n\r\n" % (len(body) + extra) + body)
        cases.append((data, CLOSED, True))
    return cases


def idle_cases():
    """Bodies that never complete and headers that never end: the idle
    timeout (1 s here) closes them. Run in parallel."""
    sched = ("Authorization: Bearer " + TOKENS["scheduler"]).encode()
    body = b'{"id":"liar2","organizer":"x"}'
    return [
        (b"POST /v1/meetings HTTP/1.1\r\nHost: x\r\n" + sched +
         b"\r\nContent-Length: %d\r\n\r\n" % (len(body) + 10) + body, CLOSED),
        (b"POST /v1/meetings HTTP/1.1\r\nHost: x\r\n" + sched +
         b"\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", CLOSED),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Never: ends", CLOSED),
        (b"GET /heal", CLOSED),
        (b"", CLOSED),
    ]


def chunked(path, chunks, token="scheduler", trailer=b""):
    head = (b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
            TOKENS[token].encode() + b"\r\nTransfer-Encoding: chunked\r\n\r\n")
    return head + b"".join(chunks) + b"0\r\n" + trailer + b"\r\n"


def chunk(data):
    return b"%x\r\n%s\r\n" % (len(data), data)


def chunked_cases():
    head = (b"POST /v1/meetings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
            TOKENS["scheduler"].encode() + b"\r\nTransfer-Encoding: chunked\r\n\r\n")
    cases = [
        (chunked("/v1/meetings", [chunk(b'{"organizer":'), chunk(b'"x",'), chunk(b'"pool":"nope"}')]),
         FIELD),
        (chunked("/v1/meetings", [chunk(b'{"organizer":"x"')]), JSON),
        (chunked("/v1/meetings", [chunk(b"[" * 5000), chunk(b"]" * 5000)]), JSON),
        (chunked("/v1/meetings", [chunk(b'{"organizer":"x","bogus":1}')]), FIELD),
        (chunked("/v1/meetings", [chunk(b'{"organizer":"x","pool":"nope"}')],
                 trailer=b"X-Trailer: 1\r\n"), FIELD),
        (chunked("/v1/meetings", [chunk(b"x" * 8000)] * 9), LARGE),
        (chunked("/v1/meetings", [chunk(b"x" * 65537)]), LARGE),
        (chunked("/v1/meetings", [chunk(b'{"organizer":"x"}')], token="client"), FORBID),
        (head + b"zz\r\nhello\r\n0\r\n\r\n", BAD),
        (head + b"-5\r\nhello\r\n0\r\n\r\n", BAD),
        (head + b"ffffffffffffffffffff\r\nhello\r\n0\r\n\r\n", BAD),
        (head + b"7fffffffffffffff\r\nhello\r\n0\r\n\r\n", LARGE),
        (head + b"10001\r\n" + b"x" * 70000 + b"\r\n0\r\n\r\n", LARGE),
        (head + b"5\r\nhelloEXTRA\r\n0\r\n\r\n", BAD),
        (head + b"5\r\nhel", CLOSED, True),
        (head + b"5 \r\nhello\r\n0\r\n\r\n", BAD),
        (head + b"5;" + b"e" * 20000 + b"\r\nhello\r\n0\r\n\r\n", LARGE),
        (head + b"5\r\nhello\r\n0\r\nX-T: " + b"t" * 20000 + b"\r\n\r\n", LARGE),
        (head + b"\r\n\r\n", BAD),
        (head + b"5\nhello\n0\n\n", {BAD, JSON, CLOSED}),
    ]
    return cases


def utf8_and_json_cases():
    bad_utf8 = [b"\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\xe2\x82", b"\xf4\x90\x80\x80",
                b"\x80", b"\xfe\xfe\xff\xff"]
    cases = []
    for b in bad_utf8:
        cases.append((req("POST", "/v1/meetings", b'{"organizer":"' + b + b'"}', token="scheduler"),
                      JSON))
        cases.append((req("PUT", "/v1/servers/fe9", b'{"address":"' + b + b'","capacity":1}'),
                      JSON))
        cases.append((req("POST", "/v1/meetings/m1/join", b'{"participant":"' + b + b'"}',
                          token="client"), JSON))
        cases.append((req("GET", b"/v1/meetings/" + b, token="client"), {BAD, FIELD}))
        cases.append((req("GET", "/v1/servers", token="Bearer " + "x" * 10,
                          headers=[b"X-Junk: " + b]), {UNAUTH, BAD}))
    deep = [b"[" * 10000 + b"]" * 10000, b'{"a":' * 10000 + b"1" + b"}" * 10000,
            b"[" * 10000, b'{"organizer":"x","subject":' + b"[" * 10000 + b"]" * 10000 + b"}"]
    for body in deep:
        for path, tok in (("/v1/meetings", "scheduler"), ("/v1/meetings/m1/join", "client"),
                          ("/v1/servers/fe1/report", "server")):
            cases.append((req("POST", path, body, token=tok), JSON))
        cases.append((req("PUT", "/v1/servers/fe9", body), JSON))
    for body in [b"{", b"}", b"[]", b'"s"', b"nul", b"true", b"1", b'{"a":1,}', b"{'a':1}",
                 b'{"organizer":"x","organizer":"y"}', b'{"organizer":"x"} {}', b"\x00",
                 b'{"organizer":"x\\u0000y"}', b'{"organizer":"\\ud800"}', b"\xef\xbb\xbf{}",
                 b'{"organizer":"x",}']:
        cases.append((req("POST", "/v1/meetings", body, token="scheduler"), JSON))
    # the body is JSON whatever the Content-Type says
    cases.append((req("POST", "/v1/meetings", b"organizer=x&id=form", token="scheduler",
                      ctype=b"application/x-www-form-urlencoded"), JSON))
    return cases


def number_cases():
    cases = []
    for cap in (b"-1", b"0", b"-0", b"1e-12", b"0.0001", b"1e10", b"1e300", b'"100"', b"true",
                b"null", b"[100]", b"{}", b"-1e300"):
        cases.append((req("PUT", "/v1/servers/fe9", b'{"address":"a:1","capacity":' + cap + b"}"),
                      FIELD))
    for cap in (b"1e400", b"-1e400", b"NaN", b"nan", b"Infinity", b"-Infinity", b"0x10", b"01",
                b"1.", b".5", b"+1", b"99999999999999999999999999"):
        cases.append((req("PUT", "/v1/servers/fe9", b'{"address":"a:1","capacity":' + cap + b"}"),
                      JSON))
    for n in (b"0", b"-1", b"1000001", b"1.5", b"1e3", b'"5"', b"9223372036854775807"):
        cases.append((req("POST", "/v1/meetings", b'{"organizer":"x","expected_participants":' +
                          n + b"}", token="scheduler"), FIELD))
    for n in (b"99999999999999999999", b"NaN", b"-Infinity"):
        cases.append((req("POST", "/v1/meetings", b'{"organizer":"x","expected_participants":' +
                          n + b"}", token="scheduler"), JSON))
    for body in (b'{"other_load":-1}', b'{"other_load":1e10}', b'{"cpu":1.5}', b'{"cpu":-0.1}',
                 b'{"cpu":"0.5"}', b'{"meetings":{"m1":-1}}', b'{"meetings":{"m1":1e7}}',
                 b'{"meetings":{"m1":"3"}}', b'{"meetings":{"m1":2.5}}', b'{"meetings":[1]}',
                 b'{"meetings":{"bad id":1}}', b'{"meetings":{"m1":{"x":1}}}',
                 b'{"other_load":1,"extra":2}'):
        cases.append((req("POST", "/v1/servers/fe1/report", body, token="server"), FIELD))
    for body in (b'{"start":"2030-13-01T00:00:00Z","organizer":"x"}',
                 b'{"start":"yesterday","organizer":"x"}',
                 b'{"start":"2030-01-01T10:00:00Z","end":"2030-01-01T09:00:00Z","organizer":"x"}',
                 b'{"start":12345,"organizer":"x"}', b'{"modalities":["smell"],"organizer":"x"}',
                 b'{"modalities":[],"organizer":"x"}', b'{"modalities":"audio","organizer":"x"}',
                 b'{"organizer":""}', b'{"organizer":"' + b"o" * 300 + b'"}',
                 b'{"organizer":"x","subject":"' + b"s" * 1100 + b'"}', b"{}"):
        cases.append((req("POST", "/v1/meetings", body, token="scheduler"), FIELD))
    return cases


HOSTILE_IDS = ["a/b", "..", ".", "a%2Fb", "..%2F..%2Fetc", "a%00b", "%00", "a\"b", "a%22b", "'",
               "a'b", "a%27%20OR%20%271%27=%271", "x;DROP%20TABLE%20meetings", "a%20b",
               "a\\b", "%C3%A9t%C3%A9", "x" * 65, "*", "a%0d%0aX:1", "%2e%2e", "a;b", "a b"]


def id_cases():
    cases = []
    for hid in HOSTILE_IDS:
        p = hid.encode()
        expect_get = {FIELD, NOTFOUND, BAD}  # BAD: bytes the HTTP parser refuses
        cases += [
            (req("GET", b"/v1/meetings/" + p, token="client"), expect_get),
            (req("GET", b"/v1/servers/" + p, token="client"), expect_get),
            (req("PUT", b"/v1/servers/" + p, b'{"address":"a:1","capacity":10}'), expect_get),
            (req("POST", b"/v1/meetings/" + p + b"/join", b'{"participant":"p9"}',
                 token="client"), expect_get),
            (req("DELETE", b"/v1/meetings/" + p, token="scheduler"), expect_get),
            (req("GET", b"/join/" + p, token="client"), expect_get),
        ]
        import json
        esc = json.dumps(hid).encode()
        cases += [
            (req("POST", "/v1/meetings", b'{"id":' + esc + b',"organizer":"x"}',
                 token="scheduler"), FIELD),
            (req("POST", "/v1/meetings/m1/join", b'{"participant":' + esc + b"}", token="client"),
             FIELD),
            (req("PUT", "/v1/servers/fe9", b'{"address":"a:1","capacity":1,"pool":' + esc + b"}"),
             FIELD),
        ]
    # SQL metacharacters where they must be refused
    sql = ["x' OR '1'='1", "x'; DROP TABLE meetings; --", "\" OR 1=1 --", "1; DELETE FROM servers",
           "x%27%3B%20DROP%20TABLE%20servers%3B--"]
    import urllib.parse
    for s in sql:
        q = urllib.parse.quote(s, safe="")
        cases += [
            (req("GET", "/v1/meetings?pool=" + q, token="client"), FIELD),
            (req("GET", "/v1/meetings?state=" + q, token="client"), FIELD),
            (req("GET", "/v1/meetings?limit=" + q, token="client"), FIELD),
            (req("GET", "/v1/meetings?cursor=" + q, token="client"), FIELD),
            (req("GET", "/v1/pool?pool=" + q, token="client"), {FIELD, NOTFOUND}),
            (req("GET", "/join/m1?participant=" + q, token="client"), FIELD),
            # free text is stored verbatim when valid; here the pool is unknown, so nothing is
            (req("POST", "/v1/meetings", ('{"organizer":%s,"subject":%s,"pool":"nopool"}'
                                          % (json.dumps(s), json.dumps(s))).encode(),
                 token="scheduler"), FIELD),
        ]
    for q in ("limit=0", "limit=1001", "limit=-1", "limit=abc", "limit=1e3", "limit=%00",
              "cursor=-1", "cursor=abc", "state=bogus", "pool=%ZZ", "pool=%", "pool=" + "p" * 100):
        cases.append((req("GET", "/v1/meetings?" + q, token="client"), FIELD))
    return cases


def role_cases():
    wrong = {  # route -> roles that may not call it
        ("PUT", "/v1/servers/fe9", b'{"address":"a:1","capacity":10}'): ["scheduler", "client", "server"],
        ("DELETE", "/v1/servers/fe2", None): ["scheduler", "client", "server"],
        ("POST", "/v1/servers/fe1/drain", None): ["scheduler", "client", "server"],
        ("POST", "/v1/servers/fe1/resume", None): ["scheduler", "client", "server"],
        ("POST", "/v1/servers/fe1/down", None): ["scheduler", "client", "server"],
        ("POST", "/v1/servers/fe1/report", b'{"other_load":1}'): ["scheduler", "client"],
        ("POST", "/v1/meetings", b'{"organizer":"x"}'): ["client", "server"],
        ("DELETE", "/v1/meetings/m2", None): ["client", "server"],
        ("POST", "/v1/meetings/m2/end", None): ["client", "server"],
        ("POST", "/v1/meetings/m2/join", b'{"participant":"z"}'): ["scheduler", "server"],
        ("POST", "/v1/meetings/m1/leave", b'{"participant":"p1"}'): ["scheduler", "server"],
        ("GET", "/join/m2", None): ["scheduler", "server"],
    }
    bad_tokens = ["Bearer nope-nope-nope", "Bearer " + TOKENS["admin"] + "x",
                  "Bearer " + TOKENS["admin"][:-1], "Bearer", "Bearer ", "Basic YWRtaW46eA==",
                  "Token " + TOKENS["admin"], TOKENS["admin"], "Bearer  " + TOKENS["admin"],
                  "Bearer " + TOKENS["admin"].upper()]
    cases = []
    for (method, path, body), roles in wrong.items():
        for role in roles:
            cases.append((req(method, path, body, token=role), FORBID))
        for tok in bad_tokens:
            cases.append((req(method, path, body, token=None,
                              headers=["Authorization: " + tok]), UNAUTH))
        cases.append((req(method, path, body, token=None), UNAUTH))
        cases.append((req(method, path, body, token="client",
                          headers=["Authorization: Bearer " + TOKENS["admin"]]), BAD))
    cases.append((req("PUT", "/v1/servers/fe9?token=" + TOKENS["admin"],
                      b'{"address":"a:1","capacity":10}', token=None), UNAUTH))
    for method in ("PATCH", "OPTIONS", "TRACE"):
        cases.append((req(method, "/v1/meetings", token="admin"), METHOD))
    cases.append((req("POST", "/v1/servers", b"{}"), METHOD))
    cases.append((req("DELETE", "/v1/meetings", token="admin"), METHOD))
    cases.append((req("GET", "/v2/meetings", token="admin"), NOTFOUND))
    cases.append((req("GET", "http://confpool/v1/servers", token="admin"), NOTFOUND))
    return cases


def slow_loris(d, tally, n=20):
    """n connections dribble a request a byte at a time; each must be
    closed by the server (idle timeout 1 s), and /healthz stays fast."""
    data = req("POST", "/v1/meetings", '{"id":"loris","organizer":"x"}', token="scheduler")
    socks = [socket.create_connection(("127.0.0.1", d.port), timeout=5) for _ in range(n)]
    closed_at = [None] * n
    t0 = time.time()
    i = 0
    while time.time() - t0 < 6 and any(c is None for c in closed_at):
        for k, s in enumerate(socks):
            if closed_at[k] is not None:
                continue
            try:
                s.send(data[i % len(data):i % len(data) + 1])
            except OSError:
                closed_at[k] = time.time() - t0
                continue
            s.settimeout(0.001)
            try:
                if s.recv(1) == b"":
                    closed_at[k] = time.time() - t0
            except socket.timeout:
                pass
            except OSError:
                closed_at[k] = time.time() - t0
        if i % 5 == 0:
            t = time.time()
            healthy(d)
            check(time.time() - t < 2.0, "healthz slow during slow-loris")
        i += 1
        time.sleep(0.1)
    for s in socks:
        s.close()
    check(all(c is not None and c < 4 for c in closed_at), "slow connections closed", closed_at)
    tally.tried += n
    tally.by_batch["slow-loris"] = n
    return max(closed_at)


def idle_parallel(d, tally):
    cases = idle_cases()
    errors = []

    def one(data, expect):
        try:
            exchange(d.port, data, expect, timeout=4)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=one, args=c) for c in cases]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(not errors, "idle connections", errors[:2])
    tally.tried += len(cases)
    tally.by_batch["idle"] = len(cases)
    healthy(d)


def test_hostile_requests_change_nothing():
    with Daemon(config=CONFIG, tokens=TOKENS) as d:
        admin = d.client(TOKENS["admin"])
        admin.add_server("fe1")
        admin.add_server("fe2")
        sched = d.client(TOKENS["scheduler"])
        sched.schedule("m1")
        sched.schedule("m2")
        sched.schedule("m3")
        check(sched.post("/v1/meetings/m3/end").status == 200, "m3 ended")
        check(d.client(TOKENS["client"]).join("m1", "p1").status == 200, "m1 active")
        for c in (admin, sched):
            c.close()
        time.sleep(0.2)
        before = dump(d.db)
        check(b"'m1'" in before and b"'fe1'" in before and b"'p1'" in before, "dump works", before)
        tally = Tally()
        t0 = time.time()
        batch(d, tally, "garbage+truncated+pipelined", garbage_cases())
        batch(d, tally, "header+body limits, lying lengths", limit_cases())
        batch(d, tally, "chunked", chunked_cases())
        batch(d, tally, "utf-8+json", utf8_and_json_cases())
        batch(d, tally, "numbers", number_cases())
        batch(d, tally, "ids+sql", id_cases())
        batch(d, tally, "roles+tokens+methods", role_cases())
        idle_parallel(d, tally)
        slow_loris(d, tally)
        after = dump(d.db)
        check(after == before, "the database changed", before.decode(errors="replace"),
              after.decode(errors="replace"))
        check(tally.tried >= 300, "enough hostile requests", tally.tried)
        check("fatal" not in d.logs(), "no fatal error logged")
        print("  %d hostile requests in %.1fs, all answered with the right 4xx or closed; "
              "database unchanged" % (tally.tried, time.time() - t0))
        print("  " + ", ".join("%s: %d" % kv for kv in tally.by_batch.items()))


if __name__ == "__main__":
    run([test_hostile_requests_change_nothing])
