"""Malformed JSON, oversized bodies and headers, and hostile ids get a
clear 4xx error and change nothing."""

import json

from cplib import Daemon, check, raw_exchange, run


def snapshot(c):
    return (c.get("/v1/servers").raw, c.get("/v1/meetings?limit=1000").raw)


def test_malformed_json_changes_nothing():
    with Daemon() as d:
        c = d.client()
        c.add_server("fe1")
        c.schedule("m1")
        before = snapshot(c)
        bodies = [b"{", b"{\"organizer\":", b"[]", b"\"str\"", b"nul", b"{\"a\":1,}",
                  b"{\"organizer\":\"x\",\"organizer\":\"y\"}", b"\xff\xfe{}",
                  b"{\"organizer\":\"\xc3\x28\"}", b"[" * 10000 + b"]" * 10000,
                  b"{\"organizer\":\"x\",\"expected_participants\":1e400}",
                  b"{\"organizer\":\"x\",\"expected_participants\":99999999999999999999999}",
                  b"{\"organizer\":\"x\",\"expected_participants\":NaN}"]
        for body in bodies:
            for path in ("/v1/meetings", "/v1/meetings/m1/join", "/v1/servers/fe1/report"):
                r = c.post(path, raw=body, headers={"Content-Type": "application/json"})
                check(r.status == 400 and r.error_code() in ("invalid_json", "invalid_field"),
                      "%s %r" % (path, body[:40]), r)
            r = c.put("/v1/servers/fe2", raw=body, headers={"Content-Type": "application/json"})
            check(r.status == 400, "put %r" % body[:40], r)
        check(snapshot(c) == before, "nothing changed")


def test_oversized_body_changes_nothing():
    with Daemon() as d:
        c = d.client()
        before = snapshot(c)
        big = json.dumps({"organizer": "x", "subject": "s" * (70 * 1024)}).encode()
        r = c.post("/v1/meetings", raw=big, headers={"Content-Type": "application/json"})
        check(r.status == 413 and r.error_code() == "too_large", "413", r)
        c.close()
        # lying about the length: the server must not wait forever or accept it
        req = (b"POST /v1/meetings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Content-Length: 100000000\r\n\r\n{\"organizer\":\"x\"}")
        out = raw_exchange(d.port, req)
        check(out.startswith(b"HTTP/1.1 413"), "declared length over the limit", out[:100])
        # chunked body over the limit
        chunk = b"x" * 8000
        req = (b"POST /v1/meetings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n" +
               b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(10)) + b"0\r\n\r\n")
        out = raw_exchange(d.port, req)
        check(out.startswith(b"HTTP/1.1 413"), "chunked over the limit", out[:100])
        check(snapshot(d.client()) == before, "nothing changed")


def test_chunked_body_within_limit_works():
    with Daemon() as d:
        body = json.dumps({"id": "chunky", "organizer": "x"}).encode()
        req = (b"POST /v1/meetings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
               b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
        out = raw_exchange(d.port, req)
        check(out.startswith(b"HTTP/1.1 201"), "chunked create", out[:200])
        check(d.client().get("/v1/meetings/chunky").status == 200, "stored")


def test_oversized_headers():
    with Daemon() as d:
        req = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n"
        out = raw_exchange(d.port, req)
        check(out.startswith(b"HTTP/1.1 413") or out == b"", "header limit", out[:100])
        check(d.client().get("/healthz").status == 200, "still healthy")


def test_garbage_and_hostile_ids():
    with Daemon() as d:
        c = d.client()
        c.add_server("fe1")
        before = snapshot(c)
        out = raw_exchange(d.port, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n")
        check(out.startswith(b"HTTP/1.1 400") or out == b"", "TLS hello gets 400", out[:80])
        out = raw_exchange(d.port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\nNOT HTTP AT ALL\r\n\r\n")
        check(b"HTTP/1.1 400" in out, "pipelined garbage gets 400", out[:300])
        for path in ("/v1/meetings/..%2F..%2Fetc", "/v1/meetings/a%00b", "/v1/meetings/'%20OR%201=1",
                     "/v1/servers/a%22b", "/v1/meetings/" + "x" * 65):
            r = c.get(path)
            check(r.status in (400, 404), "hostile id " + path, r)
        r = c.post("/v1/meetings", {"id": "x'; DROP TABLE meetings; --", "organizer": "o"})
        check(r.status == 400, "sql in id", r)
        r = c.post("/v1/meetings", {"id": "sqlsafe", "organizer": "x'); DROP TABLE meetings; --"})
        check(r.status == 201, "sql in a free-text field is just text", r)
        check(c.get("/v1/meetings/sqlsafe").json["organizer"].startswith("x')"), "stored verbatim")
        check(c.get("/v1/servers").raw == before[0], "servers unchanged")


if __name__ == "__main__":
    run([test_malformed_json_changes_nothing, test_oversized_body_changes_nothing,
         test_chunked_body_within_limit_works, test_oversized_headers,
         test_garbage_and_hostile_ids])
