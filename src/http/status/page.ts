/**
 * The status page: one HTML document with its CSS and script inline, so Landscaper serves it
 * from memory with no build step and no second request. The script keeps a map of machines
 * from the `/events` Server-Sent Events stream (a snapshot, then one machine per change)
 * and re-renders; EventSource reconnects by itself and the server sends a fresh snapshot.
 * Below the cards, "Seen, not registered": network-boot clients nobody registered (the
 * snapshot's newest, then one `discovered` event per new one), each with the command
 * that registers it. Every field goes through `esc`: a vendor class is whatever a LAN
 * host sent.
 */

const CSS = `
:root { color-scheme: light dark; --bg: #f6f7f9; --card: #fff; --fg: #1c2330; --muted: #667085;
  --line: #e3e6eb; --bar: #2f6fed; --registered: #667085; --booting: #b26b00; --installing: #2f6fed;
  --installed: #1b8a3a; --failed: #c4281c; }
@media (prefers-color-scheme: dark) { :root { --bg: #12151b; --card: #1b2029; --fg: #e6e9ef;
  --muted: #98a2b3; --line: #2b323e; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  background: var(--bg); color: var(--fg); }
header { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: baseline;
  padding: .8rem 1rem; border-bottom: 1px solid var(--line); background: var(--card);
  position: sticky; top: 0; z-index: 1; }
h1 { font-size: 1.15rem; margin: 0; }
#counts { display: flex; flex-wrap: wrap; gap: .4rem; font-size: .85rem; }
#conn { margin-left: auto; font-size: .8rem; color: var(--muted); }
#conn.live::before { content: "● "; color: var(--installed); }
#conn.down::before { content: "● "; color: var(--failed); }
main { padding: 1rem; display: grid; gap: 1rem;
  grid-template-columns: repeat(auto-fill, minmax(min(100%, 340px), 1fr)); }
.empty { color: var(--muted); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: .8rem 1rem; min-width: 0; }
.card h2 { font-size: 1.05rem; margin: 0; overflow-wrap: anywhere; }
.mac, .addr { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .85rem; color: var(--muted); }
.top { display: flex; justify-content: space-between; gap: .5rem; align-items: start; }
.state { font-size: .75rem; font-weight: 600; text-transform: uppercase; letter-spacing: .04em;
  padding: .15rem .5rem; border-radius: 999px; color: #fff; white-space: nowrap; }
.s-registered { background: var(--registered); } .s-booting { background: var(--booting); }
.s-installing { background: var(--installing); } .s-installed { background: var(--installed); }
.s-failed { background: var(--failed); }
.phase { margin: .6rem 0 .3rem; font-size: .9rem; overflow-wrap: anywhere; }
.bar { height: 8px; border-radius: 4px; background: var(--line); overflow: hidden; }
.bar > div { height: 100%; background: var(--bar); transition: width .4s; }
.s-installed-card .bar > div { background: var(--installed); }
.s-failed-card .bar > div { background: var(--failed); }
details { margin-top: .6rem; }
summary { cursor: pointer; font-size: .85rem; color: var(--muted); }
ol.steps { list-style: none; padding: 0; margin: .4rem 0 0; font-size: .85rem; }
ol.steps li { display: grid; grid-template-columns: 5.2em 4.8em 1fr; gap: .4rem;
  padding: .15rem 0; border-top: 1px dashed var(--line); }
ol.steps time, ol.steps .rel { font-variant-numeric: tabular-nums; color: var(--muted); }
ol.steps .text { overflow-wrap: anywhere; }
.failure { margin-top: .6rem; color: var(--failed); font-weight: 600; overflow-wrap: anywhere; }
#seen { padding: 0 1rem 1rem; }
#seen h2 { font-size: 1.05rem; margin: 0 0 .3rem; }
#seen .hint { margin: 0 0 .5rem; font-size: .85rem; color: var(--muted); }
.seen-wrap { overflow-x: auto; background: var(--card); border: 1px solid var(--line); border-radius: 10px; }
#seen table { border-collapse: collapse; width: 100%; font-size: .85rem; }
#seen th, #seen td { text-align: left; padding: .35rem .6rem; border-top: 1px solid var(--line);
  vertical-align: top; }
#seen th { border-top: 0; color: var(--muted); font-weight: 600; }
#seen td.vc { overflow-wrap: anywhere; min-width: 10em; }
#seen code { font-size: .8rem; white-space: nowrap; }
pre.log { margin: .4rem 0 0; padding: .5rem; max-height: 16rem; overflow: auto; font-size: .75rem;
  background: var(--bg); border: 1px solid var(--line); border-radius: 6px; white-space: pre-wrap;
  overflow-wrap: anywhere; }
`;

const SCRIPT = `
"use strict";
const machines = new Map();
// Whether the operator opened or closed a machine's step list; kept across redraws.
const chosen = new Map();
document.addEventListener("toggle", (ev) => {
  const d = ev.target;
  if (d.classList && d.classList.contains("steps-d")) chosen.set(d.closest("article").dataset.mac, d.open);
}, true);
const ORDER = ["failed", "installing", "booting", "registered", "installed"];
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
const clock = (iso) => new Date(iso).toLocaleTimeString([], { hour12: false });
function rel(iso, start) {
  const s = Math.max(0, Math.round((Date.parse(iso) - Date.parse(start)) / 1000));
  return s < 60 ? "+" + s + "s" : s < 3600 ? "+" + Math.floor(s / 60) + "m" + (s % 60) + "s"
    : "+" + Math.floor(s / 3600) + "h" + Math.floor((s % 3600) / 60) + "m";
}
// The reserved address and, in DHCP server mode, the one leased now; nothing when neither.
function addresses(m) {
  const parts = [];
  if (m.ipv4) parts.push("reserved " + m.ipv4);
  if (m.leasedIpv4) parts.push("leased " + m.leasedIpv4);
  return parts.length ? '<div class="addr">' + esc(parts.join(" · ")) + "</div>" : "";
}
function card(m) {
  const pct = m.state === "installed" ? 100 : m.progress == null ? 0 : Math.max(0, Math.min(100, m.progress));
  const phase = m.state === "installed" ? "installed" : m.phase ? m.phase : m.state === "registered" ? "waiting for the machine to boot" : m.state;
  const start = m.steps.length ? m.steps[0].at : m.registeredAt;
  const steps = m.steps.map((s) => '<li data-type="' + esc(s.type) + '"><time datetime="' + esc(s.at) + '">' +
    esc(clock(s.at)) + '</time><span class="rel">' + esc(rel(s.at, start)) + '</span><span class="text">' + esc(s.text) + "</span></li>").join("");
  const failure = m.failure ? '<div class="failure">' + esc(m.failure.message) + "</div>" +
    (m.failure.logTail ? "<details open><summary>log tail</summary><pre class=\\"log\\">" + esc(m.failure.logTail) + "</pre></details>" : "") : "";
  return '<article class="card s-' + esc(m.state) + '-card" data-mac="' + esc(m.mac) + '" data-state="' + esc(m.state) + '">' +
    '<div class="top"><div><h2>' + esc(m.hostname || m.mac) + '</h2><div class="mac">' + (m.hostname ? esc(m.mac) + " · " : "") +
    "gen " + esc(m.generation) + "</div>" + addresses(m) + '</div><span class="state s-' + esc(m.state) + '">' + esc(m.state) + "</span></div>" +
    '<div class="phase">' + esc(phase) + (m.progress != null && m.state !== "installed" ? " · " + esc(pct) + "%" : "") + "</div>" +
    '<div class="bar" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="' + pct + '"><div style="width:' + pct + '%"></div></div>' +
    failure + '<details class="steps-d"' + ((chosen.has(m.mac) ? chosen.get(m.mac) : m.state !== "failed") ? " open" : "") + "><summary>boot steps (" + m.steps.length + ")</summary><ol class=\\"steps\\">" + steps + "</ol></details></article>";
}
function render() {
  const list = [...machines.values()].sort((a, b) =>
    ORDER.indexOf(a.state) - ORDER.indexOf(b.state) || String(a.hostname || a.mac).localeCompare(String(b.hostname || b.mac)));
  $("machines").innerHTML = list.length ? list.map(card).join("") : '<p class="empty">No machines registered yet.</p>';
  const counts = {};
  for (const m of list) counts[m.state] = (counts[m.state] || 0) + 1;
  $("counts").innerHTML = ORDER.filter((s) => counts[s]).map((s) => '<span class="state s-' + s + '">' + counts[s] + " " + s + "</span>").join("");
  document.title = "Landscaper · " + list.length + " machine" + (list.length === 1 ? "" : "s");
}
const seen = new Map();
let seenTotal = 0;
const SEEN_SHOWN = 50;
function seenRow(d) {
  return '<tr data-mac="' + esc(d.mac) + '"><td class="mac">' + esc(d.mac) + "</td><td>" + esc(d.kind) + "</td><td>" +
    esc(d.arch == null ? "-" : d.arch) + '</td><td class="vc">' + esc(d.vendorClass == null ? "-" : d.vendorClass) +
    '</td><td><time datetime="' + esc(d.firstSeen) + '">' + esc(clock(d.firstSeen)) + '</time></td><td><time datetime="' +
    esc(d.lastSeen) + '">' + esc(clock(d.lastSeen)) + "</time></td><td>" + esc(d.count) + '</td><td><code>' + esc(d.register) + "</code></td></tr>";
}
function renderSeen() {
  const rows = [...seen.values()].sort((a, b) => String(b.lastSeen).localeCompare(String(a.lastSeen))).slice(0, SEEN_SHOWN);
  $("seen").hidden = rows.length === 0;
  $("seen-rows").innerHTML = rows.map(seenRow).join("");
  const more = Math.max(seenTotal, seen.size) - rows.length;
  $("seen-more").textContent = more > 0 ? more + " more: landscaper machines discovered lists them all." : "";
}
function connect() {
  const es = new EventSource("events");
  es.addEventListener("snapshot", (ev) => {
    machines.clear();
    const snap = JSON.parse(ev.data);
    for (const m of snap.machines) machines.set(m.mac, m);
    seen.clear();
    for (const d of snap.discovered || []) seen.set(d.mac, d);
    seenTotal = snap.discoveredTotal || 0;
    render();
    renderSeen();
  });
  es.addEventListener("discovered", (ev) => {
    const d = JSON.parse(ev.data);
    if (machines.has(d.mac)) return;
    if (!seen.has(d.mac)) seenTotal++;
    seen.set(d.mac, d);
    renderSeen();
  });
  es.addEventListener("machine", (ev) => {
    const d = JSON.parse(ev.data);
    if (d.machine) machines.set(d.mac, d.machine); else machines.delete(d.mac);
    // Registered now: no longer "seen, not registered".
    if (d.machine && seen.delete(d.mac)) { seenTotal = Math.max(0, seenTotal - 1); renderSeen(); }
    render();
  });
  es.onopen = () => { $("conn").textContent = "live"; $("conn").className = "live"; };
  es.onerror = () => { $("conn").textContent = "reconnecting…"; $("conn").className = "down"; };
}
connect();
`;

export const STATUS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Landscaper</title>
<link rel="icon" href="data:,">
<style>${CSS}</style>
</head>
<body>
<header><h1>Landscaper</h1><div id="counts"></div><span id="conn">connecting…</span></header>
<main id="machines"><p class="empty">Loading…</p></main>
<section id="seen" hidden><h2>Seen, not registered</h2>
<p class="hint">Network-boot clients whose MAC no machine has: nothing is installed on them until one is registered with the command in its row.</p>
<div class="seen-wrap"><table><thead><tr><th>MAC</th><th>kind</th><th>arch</th><th>vendor class</th><th>first seen</th><th>last seen</th><th>count</th><th>register with</th></tr></thead>
<tbody id="seen-rows"></tbody></table></div><p class="hint" id="seen-more"></p></section>
<noscript><p class="empty">This page needs JavaScript for its live view; <code>landscaper watch</code> shows the same in a terminal.</p></noscript>
<script>${SCRIPT}</script>
</body>
</html>
`;
