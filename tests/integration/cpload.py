"""cpload — pipelined HTTP/1.1 load for integration tests: many requests on
a few keep-alive connections, one thread each, each connection sending its
whole share at once and then reading the replies in order. Used where a
test needs thousands of requests in about a second (join storm, graceful
stop); cplib's one-request-at-a-time client is far too slow for that."""

import json
import socket
import threading
import time


def request(method, path, body=None, token=None):
    """One request as bytes (keep-alive, JSON body)."""
    head = "%s %s HTTP/1.1\r\nHost: confpool\r\n" % (method, path)
    if token:
        head += "Authorization: Bearer %s\r\n" % token
    data = b""
    if body is not None:
        data = json.dumps(body, separators=(",", ":")).encode()
        head += "Content-Type: application/json\r\nContent-Length: %d\r\n" % len(data)
    return head.encode() + b"\r\n" + data


class Reply:
    __slots__ = ("status", "body", "at")

    def __init__(self, status, body):
        self.status = status
        self.body = body
        self.at = time.time()  # when it was read

    def json(self):
        return json.loads(self.body) if self.body else None


def _parse(buf, replies, limit):
    """Takes complete replies off the front of buf; returns the rest."""
    while len(replies) < limit:
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return buf
        head = buf[:end]
        status = int(head[9:12])
        length = 0
        i = head.find(b"\r\nContent-Length: ")
        if i >= 0:
            j = head.find(b"\r\n", i + 2)
            length = int(head[i + 18:j if j >= 0 else len(head)])
        if len(buf) < end + 4 + length:
            return buf
        replies.append(Reply(status, buf[end + 4:end + 4 + length]))
        buf = buf[end + 4 + length:]
    return buf


def exchange(port, reqs, timeout=60.0, on_sent=None, sock=None):
    """Sends reqs pipelined on one connection (sock, or a new one); returns
    the replies read (all of them, or fewer if the server closed or the
    time ran out)."""
    s = sock or socket.create_connection(("127.0.0.1", port), timeout=timeout)
    replies = []
    try:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sender = threading.Thread(target=_send_all, args=(s, b"".join(reqs), on_sent))
        sender.start()
        buf = b""
        deadline = time.time() + timeout
        while len(replies) < len(reqs) and time.time() < deadline:
            try:
                chunk = s.recv(1 << 20)
            except (socket.timeout, OSError):
                break
            if not chunk:
                break
            buf = _parse(buf + chunk, replies, len(reqs))
        sender.join(timeout)
    finally:
        s.close()
    return replies


def _send_all(s, data, on_sent):
    try:
        s.sendall(data)
    except OSError:
        pass  # the server closed; the replies read so far are what counts
    if on_sent:
        on_sent()


def parallel(port, shares, timeout=60.0, on_sent=None):
    """Runs exchange() for each share (a list of requests) on its own
    connection and thread; returns the replies per share and the seconds
    from the first send to the last reply. Every connection is made before
    anything is sent."""
    out = [None] * len(shares)
    start = threading.Barrier(len(shares) + 1)
    socks = [socket.create_connection(("127.0.0.1", port), timeout=timeout) for _ in shares]

    def run(i):
        start.wait()
        out[i] = exchange(port, shares[i], timeout, on_sent, socks[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(shares))]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.time()
    for t in threads:
        t.join()
    return out, time.time() - t0
