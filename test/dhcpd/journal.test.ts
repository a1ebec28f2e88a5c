import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openJournal, readJournal, type LeaseStore } from "../../src/dhcpd/journal.js";
import fc from "fast-check";
import {
  decodeRecord,
  encodeRecord,
  type ClientKey,
  type LeaseRecord,
} from "../../src/dhcpd/lease.js";
import { formatIp4, parseIp4, type Ip4 } from "../../src/core/ipv4.js";
import type { Mac } from "../../src/core/mac.js";

const rec = (i: number, state: LeaseRecord["state"] = "bound"): LeaseRecord => ({
  ip: (parseIp4("10.0.0.0")! + i) as Ip4,
  client: `02:00:00:00:00:${(i & 255).toString(16).padStart(2, "0")}` as Mac,
  mac: `02:00:00:00:00:${(i & 255).toString(16).padStart(2, "0")}` as Mac,
  state,
  expiresAt: 1_800_000_000_000 + i,
});

/** `write` as a promise: resolves once `r` is durable, rejects with the disk's error. */
const append = (store: LeaseStore, r: LeaseRecord) =>
  new Promise<void>((resolve, reject) => store.write(r, (e) => (e ? reject(e) : resolve())));

function dir(t: { after(fn: () => void): void }): string {
  const d = mkdtempSync(join(tmpdir(), "lst-leases-"));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test("appends made together are written with one fsync, and read back in order", async (t) => {
  const path = join(dir(t), "leases.jsonl");
  const j = await openJournal(path, () => []);
  assert.deepEqual(j.records, []);
  await Promise.all(Array.from({ length: 500 }, (_, i) => append(j.store, rec(i))));
  assert.equal(j.store.stats.records, 500);
  assert.ok(j.store.stats.syncs <= 2, `group commit: ${j.store.stats.syncs} fsyncs for 500`);
  await j.store.close();
  const again = await openJournal(path, () => []);
  assert.deepEqual(
    again.records,
    Array.from({ length: 500 }, (_, i) => rec(i)),
  );
  await again.store.close();
});

test("a torn last line (crash mid-write) is skipped and cut off; appends continue cleanly", async (t) => {
  const path = join(dir(t), "leases.jsonl");
  const j = await openJournal(path, () => []);
  await append(j.store, rec(1));
  await j.store.close();
  appendFileSync(path, '{"ip":"10.0.0.2","c":"hw:02:00:0');
  const k = await openJournal(path, () => []);
  assert.deepEqual([k.records, k.skipped], [[rec(1)], 1]);
  await append(k.store, rec(3));
  await k.store.close();
  assert.deepEqual(
    readFileSync(path, "utf8").trim().split("\n").length,
    2,
    "the torn bytes are gone before the next record",
  );
  const reader = await openJournal(path, () => []);
  assert.deepEqual(reader.records, [rec(1), rec(3)]);
  await reader.store.close();
});

test("compaction rewrites the journal as the owner's live records", async (t) => {
  const path = join(dir(t), "leases.jsonl");
  const live = [rec(7), rec(8, "declined")];
  const j = await openJournal(path, () => live, 100);
  for (let round = 0; round < 5; round++)
    await Promise.all(Array.from({ length: 60 }, (_, i) => append(j.store, rec(i))));
  await j.store.close();
  const lines = readFileSync(path, "utf8").trim().split("\n").length;
  assert.ok(lines < 200, `compacted: ${lines} lines for 300 appends`);
  const back = await openJournal(path, () => []);
  assert.deepEqual(back.records.slice(0, 2), live, "the snapshot comes first");
  await back.store.close();
  assert.ok(statSync(path).size > 0);
});

test("fsync off: records are written (and read back) without an fsync", async (t) => {
  const path = join(dir(t), "leases.jsonl");
  const j = await openJournal(path, () => [], 10_000, false);
  await Promise.all([append(j.store, rec(1)), append(j.store, rec(2))]);
  assert.deepEqual(j.store.stats, { syncs: 0, records: 2, compactions: 0 });
  // Read back before close: the kernel has the bytes once the write called back.
  const reader = await openJournal(path, () => []);
  assert.deepEqual(reader.records, [rec(1), rec(2)]);
  await reader.store.close();
  await j.store.close();
});

/** The journal's records folded by address, later ones winning (as restore reads them). */
async function lastByIp(path: string): Promise<Map<Ip4, LeaseRecord>> {
  const m = new Map<Ip4, LeaseRecord>();
  for (const r of (await readJournal(path)).records) m.set(r.ip, r);
  return m;
}

for (const sync of [true, false]) {
  test(`fsync ${sync ? "on" : "off"}: at every acknowledgement the file holds every acknowledged record, through compactions`, async (t) => {
    const path = join(dir(t), "leases.jsonl");
    // The owner's state, ahead of the journal as the engine is: 1,500 leases, so that a
    // compaction takes several writes and appends land while it runs.
    const live = new Map<Ip4, LeaseRecord>();
    for (let i = 0; i < 1500; i++) live.set(rec(i).ip, rec(i));
    const j = await openJournal(path, () => live.values(), 50, sync);
    let compactionsSeen = 0;
    for (let step = 0; step < 400; step++) {
      const r = rec((step * 7) % 1500, step % 3 === 0 ? "released" : "bound");
      const next = { ...r, expiresAt: r.expiresAt + step };
      live.set(next.ip, next);
      await append(j.store, next);
      if (existsSync(`${path}.tmp`)) compactionsSeen++;
      // A crash now (kill -9) leaves exactly this file: nothing acknowledged may be missing.
      const onDisk = await lastByIp(path);
      for (let k = 0; k <= step; k++) {
        const ip = rec((k * 7) % 1500).ip;
        assert.deepEqual(onDisk.get(ip), live.get(ip), `step ${step}: ${formatIp4(ip)}`);
      }
    }
    await j.store.close();
    assert.ok(j.store.stats.compactions >= 1, "compacted at least once");
    // With fsync off an acknowledgement waits for no disk: some come while the snapshot is
    // being written, which the compaction used to hold them for.
    if (!sync) assert.ok(compactionsSeen > 0, "appends were acknowledged while a compaction ran");
    const lines = readFileSync(path, "utf8").trim().split("\n").length;
    assert.ok(lines < 1500 + 400, `compacted: ${lines} lines`);
    assert.deepEqual(await lastByIp(path), live);
    assert.ok(!existsSync(`${path}.tmp`));
  });
}

test("write calls back once per record, after its group is written", async (t) => {
  const path = join(dir(t), "leases.jsonl");
  const j = await openJournal(path, () => [], 10_000, false);
  const told: Array<Error | null> = [];
  j.store.write(rec(1), (e) => told.push(e));
  j.store.write(rec(2), (e) => told.push(e));
  assert.deepEqual(told, [], "not before the group is written");
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(told, [null, null]);
  await j.store.close();
});

test("a journal line is JSON.stringify's text of the record, and reads back as it", () => {
  // In memory a client without option 61 is keyed by its MAC; on disk it is "hw:MAC".
  const hex = fc.integer({ min: 0, max: 255 }).map((b) => b.toString(16).padStart(2, "0"));
  const mac = fc.array(hex, { minLength: 6, maxLength: 6 }).map((b) => b.join(":") as Mac);
  const record = fc.record({
    ip: fc.integer({ min: 0, max: 0xffffffff }).map((n) => n as Ip4),
    client: fc.oneof(
      fc.constant(""),
      fc.string().map((t) => `id:${t}`),
      mac,
    ) as fc.Arbitrary<ClientKey | "">,
    mac: fc.option(mac),
    state: fc.constantFrom<LeaseRecord["state"]>("bound", "released", "declined"),
    expiresAt: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })),
  });
  fc.assert(
    fc.property(record, (r) => {
      const line = encodeRecord(r);
      const { ip, client, mac: m, state: s, expiresAt: e } = r;
      const c = client === "" || client.startsWith("id:") ? client : `hw:${client}`;
      assert.equal(line, JSON.stringify({ ip: formatIp4(ip), c, m, s, e }));
      // JSON has no -0: it reads back as 0.
      assert.deepEqual(decodeRecord(line), { ...r, expiresAt: Object.is(e, -0) ? 0 : e });
    }),
    { numRuns: 2000 },
  );
});

test("a journal line whose client is none of id:, hw:MAC or empty is skipped", () => {
  const line = (c: string) =>
    `{"ip":"10.0.0.1","c":${JSON.stringify(c)},"m":"02:00:00:00:00:01","s":"bound","e":1}`;
  assert.equal(decodeRecord(line("hw:02:00:00:00:00:01"))?.client, "02:00:00:00:00:01");
  assert.equal(decodeRecord(line("id:01ab"))?.client, "id:01ab");
  for (const c of ["02:00:00:00:00:01", "hw:not-a-mac", "xx:1"])
    assert.equal(decodeRecord(line(c)), null, c);
});
