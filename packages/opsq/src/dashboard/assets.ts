/**
 * The dashboard's only assets, shipped in the package: a stylesheet and a little plain
 * JavaScript that refreshes a page's `<main>` in place (paused while the tab is hidden or a
 * form field has the focus), and applies a panel's Server-Sent Events. No framework, no CDN.
 *
 * @module
 */

/** The stylesheet, served at `assets/app.css`. */
export const STYLESHEET = `
:root { --fg:#1d2330; --muted:#6b7280; --line:#e5e7eb; --accent:#2563eb; --bad:#b91c1c; --ok:#15803d; --bg:#f8fafc; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, sans-serif; color:var(--fg); background:var(--bg); }
header { display:flex; gap:1.2rem; align-items:center; padding:.6rem 1.2rem; background:#111827; color:#fff; flex-wrap:wrap; }
header a { color:#cbd5e1; text-decoration:none; } header a.on, header a:hover { color:#fff; }
header .brand { font-weight:700; color:#fff; }
header .right { margin-left:auto; display:flex; gap:.8rem; align-items:center; color:#94a3b8; font-size:12px; }
main { padding:1rem 1.2rem; max-width:1200px; }
h1 { font-size:18px; margin:.2rem 0 .8rem; } h2 { font-size:15px; margin:1.2rem 0 .5rem; }
table { border-collapse:collapse; width:100%; background:#fff; border:1px solid var(--line); }
th, td { text-align:left; padding:.35rem .6rem; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-size:12px; color:var(--muted); font-weight:600; background:#f1f5f9; }
td.n, th.n { text-align:right; font-variant-numeric:tabular-nums; }
code, pre { font:12px/1.4 ui-monospace, monospace; } pre { background:#fff; border:1px solid var(--line); padding:.6rem; overflow:auto; white-space:pre-wrap; word-break:break-all; max-height:28rem; }
.muted { color:var(--muted); } .bad { color:var(--bad); } .ok { color:var(--ok); }
.note { color:var(--muted); font-size:12px; margin:.4rem 0; }
.flash { padding:.5rem .8rem; background:#ecfdf5; border:1px solid #a7f3d0; margin-bottom:.8rem; }
.flash.error { background:#fef2f2; border-color:#fecaca; }
form.inline { display:inline; } button { font:inherit; padding:.2rem .6rem; border:1px solid #cbd5e1; background:#fff; border-radius:4px; cursor:pointer; }
button.danger { border-color:#fca5a5; color:var(--bad); } button.primary { background:var(--accent); border-color:var(--accent); color:#fff; }
input[type=text], input[type=password], textarea { font:inherit; padding:.3rem .5rem; border:1px solid #cbd5e1; border-radius:4px; }
textarea { width:100%; }
svg.chart .pub { stroke:var(--accent); stroke-width:1.5; } svg.chart .del { stroke:var(--ok); stroke-width:1.5; }
.legend .pub { color:var(--accent); } .legend .del { color:var(--ok); }
tr.late { opacity:.6; } tr.lost { opacity:.3; } tr.stopped { opacity:.3; text-decoration:line-through; }
.card { background:#fff; border:1px solid var(--line); padding:1rem; max-width:28rem; }
`;

/** The script, served at `assets/app.js`: refreshes `main[data-refresh]` every few seconds. */
export const SCRIPT = `"use strict";
(function () {
  var main = document.querySelector("main[data-refresh]");
  var select = document.getElementById("refresh");
  var key = "opsq-dashboard-refresh";
  var every = Number(localStorage.getItem(key) || (main && main.getAttribute("data-refresh")) || 2000);
  if (select) {
    select.value = String(every);
    select.addEventListener("change", function () { every = Number(select.value); localStorage.setItem(key, String(every)); schedule(); });
  }
  var timer;
  function schedule() {
    clearTimeout(timer);
    if (main && every > 0) timer = setTimeout(tick, every);
  }
  function tick() {
    var active = document.activeElement;
    if (document.hidden || (active && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName) && active !== select)) { schedule(); return; }
    fetch(location.href, { headers: { "x-opsq-refresh": "1" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (text) {
        var next = new DOMParser().parseFromString(text, "text/html").querySelector("main");
        if (next) { main.innerHTML = next.innerHTML; main.setAttribute("data-updated", String(Date.now())); }
      })
      .catch(function () {})
      .then(schedule);
  }
  document.addEventListener("visibilitychange", function () { if (!document.hidden) schedule(); });
  schedule();
  // A panel's page with [data-events] is updated by Server-Sent Events on its own URL.
  var live = document.querySelector("[data-events]");
  if (live && window.EventSource) {
    var events = new EventSource(location.href);
    events.addEventListener("update", function (event) {
      var parts = JSON.parse(event.data);
      Object.keys(parts).forEach(function (id) { var node = document.getElementById(id); if (node) node.innerHTML = parts[id]; });
      live.setAttribute("data-updated", String(Date.now()));
    });
    events.addEventListener("end", function () { events.close(); live.setAttribute("data-ended", "1"); });
  }
})();
`;
