"""The dashboard at / in headless Chromium (Debian's chromium, driven over
WebDriver by chromedriver from chromium-driver): 12 servers registered and
meetings activated through the API show as 12 rows with the right states
and utilizations; a drained server shows as draining within the refresh
period; the read token is asked once and kept for the tab; the page fits a
phone. Screenshots go to tests/artifacts/.

Skips (exit 77) only when chromium or chromedriver is not installed;
`make test` installs both from deps/apt.txt."""

import os
import sys
import time

from cplib import Daemon, check, run
from webdriver import Browser, find_browser

ARTIFACTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "artifacts")
REFRESH_S = 2.0
TOKENS = {"admin": "admin-dash-token", "client": "client-dash-token"}

ROWS = """return Array.from(document.querySelectorAll('#servers .srv')).map(r => ({
  id: r.dataset.server, state: r.dataset.state, util: parseFloat(r.dataset.util),
  shown: r.querySelector('.util').textContent,
  meetings: r.querySelector('.meetings').textContent,
  people: r.querySelector('.people').textContent}));"""


def populate(c):
    """12 servers of mixed capacity and other load, ~80 meetings, one down."""
    for i in range(1, 13):
        c.add_server("fe%02d" % i, capacity=1250 if i % 4 else 2500)
        c.post("/v1/servers/fe%02d/report" % i, {"other_load": 60 * (i % 5)})
    for i in range(84):
        c.schedule("m%03d" % i, expected_participants=4 + (i * 7) % 30,
                   modalities=["audio", "video"] if i % 3 == 0 else ["audio"])
        for p in range(1 + i % 4):
            r = c.join("m%03d" % i, "p%d" % p)
            check(r.status == 200, "join", r)
    r = c.post("/v1/servers/fe12/down")
    check(r.status == 200, "down", r)
    # a large meeting in 30 min: its host is held from now (lead 60 min)
    start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 1800))
    m = c.schedule("allhands", expected_participants=900, start=start, subject="All hands")
    check(m["plan"]["status"] in ("ok", "at_risk") and m["plan"]["host"], "planned", m["plan"])
    return m["plan"]["host"]
    # a refusal, so the decisions table shows both kinds
    c.add_server("tiny", capacity=10, pool="edge")
    c.schedule("big", pool="edge", expected_participants=50)
    check(c.join("big", "x").status == 503, "refused")


def expected_rows(c):
    return {s["id"]: s for s in c.get("/v1/servers").json["servers"] if s["pool"] == "default"}


def check_rows(b, c):
    want = expected_rows(c)
    rows = b.js(ROWS)
    check(len(rows) == 12 and len(want) == 12, "12 server rows", rows)
    for r in rows:
        s = want[r["id"]]
        check(r["state"] == s["state"], "state of " + r["id"], r, s["state"])
        u = s["load"]["utilization"]
        check(abs(r["util"] - u) < 1e-9, "utilization of " + r["id"], r, u)
        check(r["shown"] == "%.1f%%" % (u * 100), "shown utilization of " + r["id"], r)
        check(r["meetings"] == str(s["meetings"]) and r["people"] == str(s["participants"]),
              "meetings and participants of " + r["id"], r, s)
    return rows


def test_dashboard_with_token_12_servers_drain_and_screenshots():
    found, why = find_browser()
    with Daemon(tokens=TOKENS) as d, Browser(*found) as b:
        c = d.client(TOKENS["admin"])
        host = populate(c)
        url = "http://127.0.0.1:%d/" % d.port
        b.get(url)
        # The page holds no data: it asks for a read token first.
        b.wait("return !document.getElementById('login').hidden", what="token form")
        b.screenshot(os.path.join(ARTIFACTS, "dashboard-login.png"))
        b.type("#token", TOKENS["client"])
        b.click("#login button")
        b.wait("return document.querySelectorAll('#servers .srv').length === 12",
               what="12 rows")
        rows = check_rows(b, c)
        check(sum(r["state"] == "down" for r in rows) == 1, "one down", rows)
        pool = c.get("/v1/pool").json
        cards = b.js("return ['c-meetings','c-participants','c-imbalance','c-holds']"
                     ".map(i => document.getElementById(i).textContent)")
        check(cards == [format(pool["active_meetings"], ","), format(pool["participants"], ","),
                        "%.3f" % pool["imbalance"], "1"], "summary cards", cards, pool)
        held = b.js("return Array.from(document.querySelectorAll('#servers .srv[data-held]'))"
                    ".map(r => r.dataset.server)")
        check(held == [host], "the held host is marked", held, host)
        holds = b.js("return Array.from(document.querySelectorAll('#holds tr'))"
                     ".map(t => [t.dataset.meeting, t.children[3].textContent])")
        check(holds == [["allhands", host + " (held)"]], "planned large meeting listed", holds)
        check(b.js("return document.getElementById('c-holds').textContent") == "1",
              "held servers card")
        dec = b.js("return Array.from(document.querySelectorAll('#decisions tr'))"
                   ".map(t => t.className)")
        check(dec and set(dec) <= {"placed", "refused"}, "recent decisions", dec)
        check(b.js("return sessionStorage.getItem('confpool.token')") == TOKENS["client"],
              "token kept in sessionStorage")

        # Drain one server: the page shows it within the refresh period.
        t0 = time.time()
        check(c.post("/v1/servers/fe03/drain").status == 200, "drain")
        b.wait("return document.querySelector('#servers .srv[data-server=\"fe03\"]')"
               ".dataset.state === 'draining'", timeout=REFRESH_S + 1.0, poll=0.02,
               what="fe03 draining")
        seen = time.time() - t0
        check(seen <= REFRESH_S + 1.0, "shown within the refresh period", seen)
        print("     drain shown after %.2fs (refresh %.1fs)" % (seen, REFRESH_S))
        check_rows(b, c)
        b.set_size(1280, 1280)  # tall enough for the whole page
        b.wait("return window.innerHeight > 1000", what="tall window")
        b.screenshot(os.path.join(ARTIFACTS, "dashboard.png"))

        # The token is entered once per tab: a reload goes straight to data.
        b.get(url)
        b.wait("return document.querySelectorAll('#servers .srv').length === 12 && "
               "document.getElementById('login').hidden", what="reload without token form")

        # A phone: nothing wider than the screen, every row still there.
        b.set_size(390, 844)
        b.wait("return window.innerWidth <= 420", what="phone width")
        b.wait("return document.querySelectorAll('#servers .srv').length === 12", what="rows")
        over = b.js("return document.documentElement.scrollWidth - window.innerWidth")
        check(over <= 0, "no horizontal scrolling on a phone", over)
        b.screenshot(os.path.join(ARTIFACTS, "dashboard-phone.png"))


def test_dashboard_without_tokens_just_works():
    found, _ = find_browser()
    with Daemon() as d, Browser(*found) as b:
        c = d.client()
        c.add_server("solo", capacity=100)
        c.schedule("m1", expected_participants=20)
        c.join("m1", "a")
        b.get("http://127.0.0.1:%d/" % d.port)
        b.wait("return document.querySelectorAll('#servers .srv').length === 1", what="row")
        check(b.js("return document.getElementById('login').hidden"), "no token form")
        rows = b.js(ROWS)
        check(rows[0]["id"] == "solo" and rows[0]["shown"] == "22.0%", "row", rows)


if __name__ == "__main__":
    found, why = find_browser()
    if not found:
        print("SKIP: browser test: %s" % why)
        sys.exit(77)
    run([test_dashboard_with_token_12_servers_drain_and_screenshots,
         test_dashboard_without_tokens_just_works])
