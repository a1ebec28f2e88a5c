import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFile, mkdtemp, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { parseMac, type Mac } from "../../src/core/mac.js";
import type { BootStep } from "../../src/boot/plan.js";
import type { MachineRecord } from "../../src/registry/machine.js";
import { MINIMAL_REGISTRATION, testRegistry, tokenOf } from "../support/registry.js";

const mac = parseMac("52:54:00:00:07:01") as Mac;
const reg = { ...MINIMAL_REGISTRATION, job: { steps: [] } };
const offer: BootStep = { type: "dhcp", clientKind: "pxe", arch: 7, file: null, port: 67 };
const request: BootStep = { ...offer, port: 4011 };

async function open(stateDir?: string) {
  const dir = stateDir ?? (await mkdtemp(join(tmpdir(), "lst-journal-")));
  const lines: { msg: string; tornLines?: number }[] = [];
  const log = pino(
    { level: "warn" },
    { write: (l: string) => lines.push(JSON.parse(l) as (typeof lines)[number]) },
  );
  const { registry: r, metrics } = await testRegistry({ stateDir: dir, log });
  return { r, dir, logged: lines, metrics };
}

const journals = async (dir: string) =>
  (await readdir(dir)).filter((n) => n.startsWith("journal-")).sort();

test("milestones survive 10,000 repeated DHCP events; repeats become one entry with a count", async () => {
  const { r, dir } = await open();
  await r.upsert(mac, reg);
  const s = r.session(mac, tokenOf(r, mac));
  await s.fetchJob();
  await s.progress({ phase: "disko", progress: 30 });
  // Firmware retries alternate between the two ports; the window catches both.
  for (let i = 0; i < 10_000; i++) r.noteBootStep(mac, i % 2 ? request : offer);
  const events = r.get(mac)?.events ?? [];
  assert.deepEqual(
    events.map((e) => [e.type, e.count ?? 1]),
    [
      ["registered", 1],
      ["state", 1],
      ["job", 1],
      ["progress", 1],
      ["dhcp", 5000],
      ["dhcp", 5000],
    ],
  );
  const last = events.at(-1);
  assert.ok(typeof last?.firstAt === "string" && last.firstAt <= last.at);

  // The journal replays to the same history: from the journal alone, then from the snapshot.
  await r.close();
  const again = await open(dir);
  assert.deepEqual(again.r.get(mac)?.events, events);
});

test("lease renewals are one entry whose `until` is the last renewal's, replayed the same", async () => {
  const { r, dir } = await open();
  await r.upsert(mac, reg);
  const base = Date.parse("2026-12-02T12:00:00Z");
  for (let i = 0; i < 1_000; i++)
    r.noteBootStep(mac, {
      type: "dhcp-lease",
      lease: "ack",
      ip: "10.0.0.7",
      until: new Date(base + i * 300_000).toISOString(),
    });
  const events = r.get(mac)?.events ?? [];
  const acks = events.filter((e) => e.type === "dhcp-lease");
  assert.equal(acks.length, 1);
  assert.equal(acks[0]?.count, 1_000);
  assert.equal(acks[0]?.until, new Date(base + 999 * 300_000).toISOString());
  await r.close();
  assert.deepEqual((await open(dir)).r.get(mac)?.events, events);
});

test("a rearm summarises the older generation: outcomes kept, the rest counted", async () => {
  const { r } = await open();
  await r.upsert(mac, reg);
  for (let i = 0; i < 3; i++) r.noteBootStep(mac, { type: "kernel", bytes: i, status: 200 });
  await r.session(mac, tokenOf(r, mac)).fetchJob();
  await r.rearm(mac);
  const events = r.get(mac)?.events ?? [];
  assert.deepEqual(
    events.map((e) => [e.generation, e.type, e.omitted ?? null]),
    [
      [1, "registered", null],
      [1, "state", { kernel: 3, job: 1 }],
      [2, "rearmed", null],
    ],
  );
  await r.close();
});

test("a lease that still stands outlives a rearm's summary, live and replayed", async () => {
  const { r, dir } = await open();
  await r.upsert(mac, reg);
  const until = new Date(Date.now() + 3_600_000).toISOString();
  const lease = (l: "ack" | "released", ip: string) =>
    r.noteBootStep(mac, { type: "dhcp-lease", lease: l, ip, ...(l === "ack" ? { until } : {}) });
  lease("ack", "10.0.0.7");
  lease("released", "10.0.0.7");
  lease("ack", "10.0.0.8");
  r.noteBootStep(mac, { type: "kernel", bytes: 1, status: 200 });
  await r.rearm(mac);
  // The machine keeps its address while it reinstalls: the view says so before it renews.
  assert.equal(r.get(mac)?.leasedIpv4, "10.0.0.8");
  assert.deepEqual(
    (r.get(mac)?.events ?? []).map((e) => [e.generation, e.type, e.ip ?? null]),
    [
      [1, "registered", null],
      [1, "dhcp-lease", "10.0.0.8"],
      [2, "rearmed", null],
    ],
  );
  await r.close();
  const again = await open(dir);
  assert.equal(again.r.get(mac)?.leasedIpv4, "10.0.0.8");
  // Given back before the rearm: nothing stands, nothing is kept.
  again.r.noteBootStep(mac, { type: "dhcp-lease", lease: "released", ip: "10.0.0.8" });
  await again.r.rearm(mac);
  assert.equal(again.r.get(mac)?.leasedIpv4, null);
  assert.ok(!again.r.get(mac)?.events.some((e) => e.type === "dhcp-lease"));
  await again.r.close();
});

test("a boot step writes its journal line only: the snapshot is not rewritten", async () => {
  const { r, dir } = await open();
  await r.upsert(mac, reg);
  await r.close();
  const snapshot = await stat(join(dir, "machines.json"));
  const { r: r2 } = await open(dir);
  for (let i = 0; i < 1000; i++) r2.noteBootStep(mac, offer);
  await new Promise((res) => setTimeout(res, 300)); // past the group commit
  assert.equal((await stat(join(dir, "machines.json"))).mtimeMs, snapshot.mtimeMs);
  const [file] = await journals(dir);
  const text = await readFile(join(dir, file ?? ""), "utf8");
  const lines = text.trim().split("\n");
  // 1000 event lines and one short `set` (the first step starts the install clock).
  assert.equal(lines.length, 1001);
  assert.equal(lines.filter((l) => l.startsWith('{"set":')).length, 1);
  assert.ok(text.length / 1000 < 300, `${text.length / 1000} bytes a step`);
  const set = JSON.parse(lines.find((l) => l.startsWith('{"set":')) ?? "") as {
    set: Pick<MachineRecord, "bootStartedAt">;
  };
  assert.notEqual(set.set.bootStartedAt, null);
  // Replayed (and folded into the snapshot when closed), the clock is the one the step set.
  const replayed = await open(dir);
  await replayed.r.close();
  const folded = JSON.parse(await readFile(join(dir, "machines.json"), "utf8")) as {
    machines: MachineRecord[];
  };
  assert.equal(folded.machines[0]?.bootStartedAt, set.set.bootStartedAt);
  await r2.close();
});

test("a torn last journal line is ignored and counted; the start goes on", async () => {
  const { r, dir } = await open();
  await r.upsert(mac, reg);
  const m2 = parseMac("52:54:00:00:07:02") as Mac;
  await r.upsert(m2, reg);
  const [file] = await journals(dir);
  // What a crash mid-append leaves: half a record, no newline.
  await appendFile(join(dir, file ?? ""), '{"put":{"mac":"52:54:00:00:07:03","tok');
  const again = await open(dir);
  assert.deepEqual(
    again.r.list().map((m) => m.mac),
    [mac, m2],
  );
  assert.equal(again.logged.find((l) => l.tornLines !== undefined)?.tornLines, 1);
  assert.equal((await again.metrics.stateTornLines.get()).values[0]?.value, 1, "and counted");
  // The torn file is not appended to: what follows goes to a new file and loads too.
  await again.r.rearm(m2);
  const third = await open(dir);
  assert.equal(third.r.get(m2)?.generation, 2);
  await r.close();
});

test("a corrupt line in the middle of the journal refuses the start, naming file and line", async () => {
  const { r, dir } = await open();
  await r.upsert(mac, reg);
  await r.upsert(parseMac("52:54:00:00:07:02") as Mac, reg);
  const [file] = await journals(dir);
  const path = join(dir, file ?? "");
  const lines = (await readFile(path, "utf8")).split("\n");
  lines[1] = lines[1]?.replace('"mac"', '"m@c"') ?? "";
  await writeFile(path, lines.join("\n"));
  await assert.rejects(
    open(dir),
    (e: Error) =>
      e.name === "StateError" &&
      e.message.includes(`journal ${path} line 2 is corrupt`) &&
      e.message.includes("event without a valid mac"),
  );
});

test("a compaction cut short after its rename: the folded journal left behind is not replayed again", async () => {
  const { r, dir } = await open();
  await r.upsert(mac, reg);
  for (let i = 0; i < 50; i++) r.noteBootStep(mac, offer);
  await r.close(); // flushes, then compacts
  const expected = r.get(mac);
  const snapshot = JSON.parse(await readFile(join(dir, "machines.json"), "utf8")) as {
    journal: number;
  };
  assert.equal(snapshot.journal, 1);
  assert.deepEqual(await journals(dir), [], "the folded journal is deleted");
  // Put back what a crash between the rename and the deletion would have left.
  const again = await open(dir);
  assert.deepEqual(again.r.get(mac), expected);
  await writeFile(
    join(dir, "journal-000000.jsonl"),
    JSON.stringify({ ev: { ...expected?.events.at(-1), count: undefined, firstAt: undefined } }) +
      "\n",
  );
  const third = await open(dir);
  assert.deepEqual(third.r.get(mac), expected);
  assert.deepEqual(await journals(dir), [], "a stale journal is removed at start-up");
});

test("snapshot temp files that crashes left are removed at start", async () => {
  const { r, dir } = await open();
  await r.upsert(mac, reg);
  await r.close();
  for (let i = 0; i < 20; i++)
    await writeFile(join(dir, `machines.json.tmp-${4000 + i}`), '{"format": 2, "journal": 0');
  const again = await open(dir);
  assert.deepEqual(
    (await readdir(dir)).filter((n) => n.includes(".tmp")),
    [],
  );
  assert.deepEqual(
    again.r.list().map((m) => m.mac),
    [mac],
  );
  await again.r.close();
});

test("a boot step that arrives while a rearm is being written lands after it, live and replayed", async () => {
  const { r, dir } = await open();
  await r.upsert(mac, reg);
  const rearmed = r.rearm(mac);
  // The install script served to its machine: the one boot step that moves it to booting.
  r.noteBootStep(mac, { type: "script", script: "install" });
  assert.equal(r.get(mac)?.generation, 1, "not visible before it is written");
  await rearmed;
  await new Promise((res) => setImmediate(res));
  const live = r.get(mac);
  assert.equal(live?.generation, 2);
  assert.equal(live?.state, "booting", "the step counted for the new generation");
  assert.deepEqual(
    live?.events.slice(-3).map((e) => [e.generation, e.type]),
    [
      [2, "rearmed"],
      [2, "state"],
      [2, "script"],
    ],
  );
  await r.close();
  const again = await open(dir);
  assert.deepEqual(again.r.get(mac), live);
  await again.r.close();
});
