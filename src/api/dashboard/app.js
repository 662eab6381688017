// app.js — the confpool dashboard: polls the API every 2 s and draws the
// pool. Reads GET /v1/servers, /v1/pool and /v1/decisions with the read
// token kept in sessionStorage (none is needed when the daemon runs
// without tokens). No library, no build step.
"use strict";

(function () {
  const REFRESH_MS = 2000;
  const KEY = "confpool.token";
  const $ = (id) => document.getElementById(id);
  let thresholds = { new_meeting: 0.8, join: 0.95 };
  let timer = null;

  function token() { return sessionStorage.getItem(KEY) || ""; }

  async function api(path) {
    const headers = { Accept: "application/json" };
    if (token()) headers.Authorization = "Bearer " + token();
    const r = await fetch(path, { headers, cache: "no-store" });
    let body = null;
    try { body = await r.json(); } catch (e) { body = null; }
    if (!r.ok) {
      const err = new Error((body && body.error && body.error.message) || r.statusText);
      err.status = r.status;
      throw err;
    }
    return body;
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  const pct = (x) => (x * 100).toFixed(1) + "%";
  const units = (x) => (Math.round(x * 10) / 10).toLocaleString("en");
  const health = (u) => (u >= thresholds.join ? "full" : u > thresholds.new_meeting ? "busy" : "ok");

  function setStatus(text, bad) {
    const s = $("status");
    s.textContent = text;
    s.classList.toggle("bad", !!bad);
  }

  // One row per server: a bar with other load and conference load against
  // capacity, and marks at the admission thresholds.
  function serverRow(s) {
    const u = s.load.utilization;
    const row = el("div", "srv " + s.state + " " + health(u));
    row.dataset.server = s.id;
    row.dataset.state = s.state;
    row.dataset.util = String(u);
    const name = el("span", "id", s.id);
    name.title = s.address;
    row.append(name);
    const st = el("span", "statecell");
    st.append(el("span", "state st-" + s.state, s.state));
    if (s.held) {
      row.classList.add("held");
      row.dataset.held = "1";
      const h = el("span", "state st-held", "held");
      h.title = "held for " + (s.holds || []).join(", ") + ": takes no new meetings";
      st.append(h);
    }
    row.append(st);

    const bar = el("span", "bar");
    bar.setAttribute("role", "img");
    bar.setAttribute("aria-label", s.id + ": other " + units(s.load.other) + ", conference " +
                     units(s.load.conference) + " of " + units(s.capacity));
    const cap = s.capacity > 0 ? s.capacity : 1;
    const other = Math.min(100, (s.load.other / cap) * 100);
    const conf = Math.max(0, Math.min(100 - other, (s.load.conference / cap) * 100));
    const o = el("i", "seg other");
    o.style.width = other + "%";
    const c = el("i", "seg conf");
    c.style.width = conf + "%";
    const m1 = el("i", "mark");
    m1.style.left = thresholds.new_meeting * 100 + "%";
    const m2 = el("i", "mark full");
    m2.style.left = thresholds.join * 100 + "%";
    bar.append(o, c, m1, m2);
    const cell = el("span", "barcell");
    cell.append(bar, el("span", "cap", units(s.load.total) + " / " + units(s.capacity)));
    row.append(cell);

    row.append(el("span", "num util", pct(u)));
    row.append(el("span", "num meetings", String(s.meetings)));
    row.append(el("span", "num people", String(s.participants)));
    return row;
  }

  function drawServers(servers) {
    const box = $("servers");
    box.replaceChildren(...servers.map(serverRow));
    $("no-servers").hidden = servers.length > 0;
    const n = { up: 0, draining: 0, down: 0 };
    servers.forEach((s) => { n[s.state] = (n[s.state] || 0) + 1; });
    $("c-servers").textContent = String(servers.length);
    $("c-states").textContent = n.up + " up · " + n.draining + " draining · " + n.down + " down";
  }

  function drawPool(p) {
    $("c-meetings").textContent = p.active_meetings.toLocaleString("en");
    $("c-participants").textContent = p.participants.toLocaleString("en");
    $("c-util").textContent = pct(p.utilization);
    $("c-load").textContent = units(p.load) + " of " + units(p.capacity) + " units";
    $("c-imbalance").textContent = p.imbalance.toFixed(3);
    $("c-meetings-s").textContent = "policy " + p.policy;
  }

  function when(iso) {
    if (!iso) return "—";
    const d = new Date(iso);
    if (isNaN(d)) return iso;
    const today = new Date().toDateString() === d.toDateString();
    return (today ? "" : d.toLocaleDateString([], { month: "short", day: "numeric" }) + " ") +
      d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false });
  }

  // Large meetings planned on the pool's servers (their holds), with the
  // plan of each; at most 8 are looked up per refresh.
  async function drawHolds(servers) {
    const held = servers.filter((s) => s.held).length;
    const planned = [];
    servers.forEach((s) => (s.holds || []).forEach((id) => planned.push([s, id])));
    $("c-holds").textContent = String(held);
    $("c-holds-s").textContent = planned.length + " large meeting" +
      (planned.length === 1 ? "" : "s") + " planned";
    const meetings = await Promise.all(planned.slice(0, 8).map(([s, id]) =>
      api("/v1/meetings/" + encodeURIComponent(id)).then((m) => [s, m], () => null)));
    const rows = meetings.filter(Boolean).map(([s, m]) => {
      const p = m.plan || {};
      const tr = el("tr", s.held ? "held" : "");
      tr.dataset.meeting = m.id;
      tr.append(el("td", "", m.id), el("td", "num", String(m.expected_participants)),
                el("td", "", when(m.start)), el("td", "", (p.host || s.id) + (s.held ? " (held)" : "")),
                el("td", "", when(p.hold_from)), el("td", "plan-" + (p.status || "none"),
                                                   (p.status || "—").replace("_", " ")));
      return tr;
    });
    $("holds").replaceChildren(...rows);
    $("no-holds").hidden = rows.length > 0;
  }

  function clock(iso) {
    const d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleTimeString([], { hour12: false });
  }

  function drawDecisions(d) {
    thresholds = d.thresholds || thresholds;
    $("l-new").textContent = thresholds.new_meeting.toFixed(2);
    $("l-join").textContent = thresholds.join.toFixed(2);
    $("d-total").textContent = d.total + " since start";
    const rows = d.decisions.map((x) => {
      const tr = el("tr", x.result);
      tr.dataset.meeting = x.meeting;
      tr.append(el("td", "t", clock(x.time)));
      const m = el("td", "m", x.meeting);
      m.title = "request " + x.request + ", policy " + x.policy;
      tr.append(m);
      tr.append(el("td", "r", x.result === "placed" ? "placed" : x.reason.replace("_", " ")));
      tr.append(el("td", "srvid", x.server || "—"));
      tr.append(el("td", "num", x.util_before === null ? "—"
        : pct(x.util_before) + " → " + pct(x.util_after)));
      return tr;
    });
    $("decisions").replaceChildren(...rows);
    $("no-decisions").hidden = rows.length > 0;
  }

  function drawPools(servers) {
    const sel = $("pool");
    const names = Array.from(new Set(servers.map((s) => s.pool).concat(["default"]))).sort();
    const have = Array.from(sel.options).map((o) => o.value);
    if (names.join() !== have.join()) {
      const cur = sel.value;
      sel.replaceChildren(...names.map((n) => { const o = el("option", "", n); o.value = n; return o; }));
      sel.value = names.includes(cur) ? cur : "default";
    }
  }

  function showLogin(message) {
    $("login").hidden = false;
    $("main").hidden = true;
    setStatus(message, true);
    $("token").focus();
  }

  async function refresh() {
    clearTimeout(timer);
    try {
      const pool = $("pool").value || "default";
      const q = "?pool=" + encodeURIComponent(pool);
      const [sv, dec] = await Promise.all([api("/v1/servers"), api("/v1/decisions?limit=12&pool=" + encodeURIComponent(pool))]);
      drawPools(sv.servers);
      drawDecisions(dec);
      const mine = sv.servers.filter((s) => s.pool === pool);
      drawServers(mine);
      await drawHolds(mine);
      try {
        drawPool(await api("/v1/pool" + q));
      } catch (e) {
        if (e.status !== 404) throw e; // a pool with no server yet
      }
      $("login").hidden = true;
      $("main").hidden = false;
      $("forget").hidden = !token();
      setStatus("live");
      $("updated").textContent = " · updated " + new Date().toLocaleTimeString([], { hour12: false });
      document.body.dataset.refreshed = String(Date.now());
    } catch (e) {
      if (e.status === 401) {
        const had = token();
        sessionStorage.removeItem(KEY);
        showLogin(had ? "token refused" : "token needed");
        return; // wait for the form
      }
      setStatus("unreachable: " + e.message, true);
    }
    timer = setTimeout(refresh, REFRESH_MS);
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("login").addEventListener("submit", (ev) => {
      ev.preventDefault();
      sessionStorage.setItem(KEY, $("token").value.trim());
      $("token").value = "";
      refresh();
    });
    $("forget").addEventListener("click", () => {
      sessionStorage.removeItem(KEY);
      showLogin("token forgotten");
    });
    $("pool").addEventListener("change", refresh);
    refresh();
  });
})();
