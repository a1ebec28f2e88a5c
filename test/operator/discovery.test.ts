/**
 * Discovery end to end, with the real `landscaper serve` and its proxyDHCP on loopback: a
 * captured firmware DISCOVER from an unregistered MAC shows up in `machines discovered`,
 * on `/v1/events`, in `watch` and on the status page (in Chromium, its attacker-written
 * vendor class as text), and leaves them when the MAC is registered. Then a flood of
 * 10,000 random MACs: the list stays at its bound and the events at their rate.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import dgram from "node:dgram";
import { once } from "node:events";
import { request, type IncomingMessage } from "node:http";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Browser } from "playwright-core";
import { controlRequest } from "../../src/control/client.js";
import type { DiscoveredClient } from "../../src/registry/doors.js";
import { DISCOVERED_KEPT, DISCOVERY_EVENTS_PER_SECOND } from "../../src/registry/sightings.js";
import { EDK2_DISCOVER } from "../dhcp/fixtures.js";
import { rewrite } from "../dhcp/rewrite.js";
import { CLI, cleanup, freePort, startServe, type RunningServe } from "../support/appliance.js";
import { LineWatcher } from "../support/lines.js";
import { launchChromium } from "./chromium.js";

const run = promisify(execFile);
const A = "52:54:00:0d:00:01";
const B = "52:54:00:0d:00:02";
/** Option 60 as a hostile LAN host writes it: still a PXE client, with markup after. */
const EVIL = `PXEClient:Arch:00007:<img src=x onerror=globalThis.pwned=1>"'&amp;<b>bold</b>`;

let s: RunningServe | null = null;
let browser: Browser | null = null;
const children: ChildProcess[] = [];
const sockets: dgram.Socket[] = [];
const streams: IncomingMessage[] = [];
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const r of streams) r.destroy();
  for (const u of sockets) u.close();
  await browser?.close();
  if (s) await cleanup(s);
});

/** `GET /v1/events` on the control socket, its lines collected. */
async function events(socket: string): Promise<LineWatcher> {
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = request({ socketPath: socket, path: "/v1/events" }, resolve);
    req.on("error", reject);
    req.end();
  });
  streams.push(res);
  return new LineWatcher(res);
}

async function discovered(socket: string): Promise<DiscoveredClient[]> {
  const r = await run(process.execPath, [
    CLI,
    "machines",
    "discovered",
    "--json",
    "--socket",
    socket,
  ]);
  return JSON.parse(r.stdout) as DiscoveredClient[];
}

/** Polls (bounded) until `pred` holds of the discovered list. */
async function discoveredUntil(
  socket: string,
  pred: (l: DiscoveredClient[]) => boolean,
): Promise<DiscoveredClient[]> {
  let last: DiscoveredClient[] = [];
  for (let i = 0; i < 50; i++) {
    last = await discovered(socket);
    if (pred(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`discovered list never matched: ${JSON.stringify(last).slice(0, 2000)}`);
}

/** From `/metrics`: new clients (sent + rate-limited), ignored PXE packets, the list's size. */
async function counts(base: string) {
  const text = await (await fetch(`${base}/metrics`)).text();
  const value = (series: string) => {
    const line = text.split("\n").find((l) => l.startsWith(series + " "));
    return line ? Number(line.slice(series.length + 1)) : 0;
  };
  return {
    discovered:
      value('landscaper_discovered_total{event="sent"}') +
      value('landscaper_discovered_total{event="rate_limited"}'),
    ignored: value('landscaper_dhcp_packets_total{outcome="ignored",client="pxe"}'),
    clients: value("landscaper_discovered_clients"),
  };
}

function discover(mac: string, xid: number, vendorClass = EVIL): Buffer {
  return rewrite(EDK2_DISCOVER(), { mac, xid, set: { 60: Buffer.from(vendorClass, "latin1") } });
}

test("an unregistered DISCOVER: machines discovered, /v1/events, watch, status page; registering clears it", async () => {
  const dhcp = { port: await freePort(), proxyPort: await freePort() };
  s = await startServe({ dhcp });
  const socket = s.socket;
  const stream = await events(socket);
  const w = spawn(process.execPath, [CLI, "watch", "--lines", "--socket", socket], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(w);
  const watched = new LineWatcher(w.stdout);
  // A registered machine's line says watch is live (else the one event could pass it by).
  const kernel = join(s.dir, "vmlinuz");
  await writeFile(kernel, "k");
  const C = "52:54:00:0d:00:03";
  await controlRequest(socket, "PUT", `/v1/machines/${C}`, { kernel, initrd: kernel });
  await watched.waitFor((l) => l.includes(C), 10_000, "watch to be live");
  const udp = dgram.createSocket("udp4");
  sockets.push(udp);
  udp.bind(0, "127.0.0.1");
  await once(udp, "listening");

  udp.send(discover(A, 1), dhcp.port, "127.0.0.1");
  udp.send(discover(A, 2), dhcp.port, "127.0.0.1"); // the firmware retries: counted, not news
  const list = await discoveredUntil(socket, (l) => l[0]?.count === 2);
  assert.equal(list.length, 1);
  assert.deepEqual(
    { mac: list[0]!.mac, kind: list[0]!.kind, arch: list[0]!.arch, vc: list[0]!.vendorClass },
    { mac: A, kind: "pxe", arch: 7, vc: EVIL },
  );
  const ev = JSON.parse(
    await stream.waitFor((l) => l.includes('"discovered"'), 5000, "the discovered event"),
  ) as Record<string, unknown>;
  assert.deepEqual(
    { type: ev.type, mac: ev.mac, kind: ev.kind, arch: ev.arch, vendorClass: ev.vendorClass },
    { type: "discovered", mac: A, kind: "pxe", arch: 7, vendorClass: EVIL },
  );
  assert.equal(stream.lines.filter((l) => l.includes('"discovered"')).length, 1, "one event");
  const line = await watched.waitFor((l) => l.includes("seen, not registered"), 5000);
  assert.match(
    line,
    new RegExp(
      `${A} seen, not registered: pxe arch 7 .* \\| landscaper machines add ${A} --kernel KERNEL --initrd INITRD$`,
    ),
  );

  // The text form: a table and the command that registers the newest.
  const text = await run(process.execPath, [CLI, "machines", "discovered", "--socket", socket]);
  assert.match(text.stdout, /^MAC\s+KIND\s+ARCH\s+VENDOR CLASS\s+FIRST SEEN\s+LAST SEEN\s+COUNT$/m);
  assert.match(text.stdout, new RegExp(`^${A}\\s+pxe\\s+7\\s+PXEClient:Arch:00007:<img`, "m"));
  assert.match(
    text.stdout,
    new RegExp(
      `^register one with: landscaper machines add ${A} --kernel KERNEL --initrd INITRD$`,
      "m",
    ),
  );

  // The status page: the row is there, every field as text; a new client arrives live.
  browser = await launchChromium();
  const page = await browser.newPage();
  await page.goto(`${s.base}/`);
  const rowA = page.locator(`#seen tr[data-mac="${A}"]`);
  await rowA.waitFor({ timeout: 10_000 });
  assert.equal(await rowA.locator("td.vc").textContent(), EVIL);
  assert.equal(
    await rowA.locator("code").textContent(),
    `landscaper machines add ${A} --kernel KERNEL --initrd INITRD`,
  );
  await page.locator("#conn.live").waitFor({ timeout: 10_000 });
  udp.send(discover(B, 3, "PXEClient:Arch:00000:UNDI:002001"), dhcp.port, "127.0.0.1");
  await page.locator(`#seen tr[data-mac="${B}"]`).waitFor({ timeout: 10_000 });
  assert.equal(await page.locator("#seen img, #seen b").count(), 0, "no element injected");
  assert.equal(await page.evaluate("globalThis.pwned"), undefined, "no handler ran");

  // Registered: off the list, off the page.
  await controlRequest(socket, "PUT", `/v1/machines/${A}`, { kernel, initrd: kernel });
  await rowA.waitFor({ state: "detached", timeout: 10_000 });
  assert.deepEqual(
    (await discovered(socket)).map((c) => c.mac),
    [B],
  );
  // Its next DISCOVER is a registered machine's, not a stranger's.
  udp.send(discover(A, 4), dhcp.port, "127.0.0.1");
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(
    (await discovered(socket)).map((c) => c.mac),
    [B],
  );
});

test("10,000 random MACs over the wire: the list stays at its bound, the events at their rate", async () => {
  assert.ok(s, "runs after the first test, on its serve");
  const socket = s.socket;
  const dhcpPort = Number(/--dhcp-port (\d+)/.exec(s.proc.spawnargs.join(" "))?.[1]);
  const stream = await events(socket);
  const udp = sockets[0]!;
  const before = await counts(s.base);
  const started = Date.now();
  const template = EDK2_DISCOVER();
  for (let i = 0; i < 10_000; i++) {
    const mac = Array.from({ length: 6 }, (_, k) =>
      (k === 0 ? 0x02 : Math.floor(Math.random() * 256)).toString(16).padStart(2, "0"),
    ).join(":");
    udp.send(rewrite(template, { mac, xid: i }), dhcpPort, "127.0.0.1");
    // Batches, so the 4 MiB receive buffer is never the limit being tested.
    if (i % 200 === 199) await new Promise((r) => setImmediate(r));
  }
  const list = await discoveredUntil(socket, (l) => l.length === DISCOVERED_KEPT);
  await new Promise((r) => setTimeout(r, 500)); // the tail of the flood
  const seconds = (Date.now() - started) / 1000;
  assert.equal((await discovered(socket)).length, DISCOVERED_KEPT);
  assert.ok(list.every((c) => c.kind === "pxe" && c.arch === 7));
  const sent = stream.lines.filter((l) => l.includes('"discovered"')).length;
  assert.ok(sent >= 1, "the first new clients are announced");
  assert.ok(
    sent <= DISCOVERY_EVENTS_PER_SECOND * (1 + Math.ceil(seconds)),
    `${sent} events in ${seconds} s`,
  );
  // The rest are counted, not lost: every flood DISCOVER that arrived (each one ignored,
  // from a new MAC) is a new client, announced or rate-limited.
  const now = await counts(s.base);
  const arrived = now.ignored - before.ignored;
  assert.ok(arrived >= DISCOVERED_KEPT, `${arrived} of 10,000 arrived`);
  assert.equal(now.discovered - before.discovered, arrived);
  assert.equal(now.clients, DISCOVERED_KEPT);
});
