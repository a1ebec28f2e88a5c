// Address reservations (a registration's `ipv4`): the registry's index the DHCP server asks,
// one address to one machine (409 naming the other), freed on change and removal, durable
// first, and the same after a restart from the journal, from the snapshot, or from a state
// file written before the field existed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseIp4, type Ip4 } from "../../src/core/ipv4.js";
import { parseMac, type Mac } from "../../src/core/mac.js";
import type { Refusal } from "../../src/core/refusal.js";
import type { MachineEvent, Registration } from "../../src/registry/machine.js";
import { InvalidRegistration, parseRegistration } from "../../src/registry/registration.js";
import { MINIMAL_REGISTRATION, testRegistry } from "../support/registry.js";

const A = parseMac("52:54:00:0e:00:01") as Mac;
const B = parseMac("52:54:00:0e:00:02") as Mac;
const C = parseMac("52:54:00:0e:00:03") as Mac;
const ip = (text: string) => parseIp4(text) as Ip4;
const reg = (ipv4: string | null, hostname: string | null = null): Registration => ({
  ...MINIMAL_REGISTRATION,
  hostname,
  ipv4: ipv4 === null ? null : ip(ipv4),
});

async function open(t: { after(fn: () => Promise<void>): void }, stateDir?: string) {
  const r = await testRegistry(stateDir ? { stateDir } : {});
  t.after(r.cleanup);
  return r;
}

const conflict = (other: Mac, name: string | null) => (e: Refusal) =>
  e.status === 409 &&
  e.message.includes(`reserved for machine ${other}${name ? ` (${name})` : ";"}`) &&
  e.extra.field === "ipv4";

test("a reserved address is indexed both ways and shown in the view", async (t) => {
  const { registry: r } = await open(t);
  const { machine } = await r.upsert(A, reg("10.0.0.5", "web-1"));
  assert.equal(machine.ipv4, "10.0.0.5");
  assert.equal(r.reservedFor(A), ip("10.0.0.5"));
  assert.equal(r.reservedBy(ip("10.0.0.5")), A);
  assert.equal(r.reservedFor(B), null);
  assert.equal(r.reservedBy(ip("10.0.0.6")), null);
  assert.equal(r.get(A)?.events[0]?.ipv4, "10.0.0.5", "the registration event names it");
  await r.upsert(B, reg(null));
  assert.equal(r.get(B)?.ipv4, null);
  assert.equal(r.reservedFor(B), null);
});

test("a second machine with the address is refused 409 naming the first; nothing changes", async (t) => {
  const { registry: r } = await open(t);
  await r.upsert(A, reg("10.0.0.5", "web-1"));
  const events: MachineEvent[] = [];
  r.subscribe((e) => events.push(e));
  // A new machine: not registered at all.
  await assert.rejects(r.upsert(B, reg("10.0.0.5", "web-2")), conflict(A, "web-1"));
  assert.equal(r.get(B), null);
  // A registered one: keeps what it had.
  await r.upsert(C, reg("10.0.0.7", "web-3"));
  const before = r.get(C);
  await assert.rejects(r.upsert(C, reg("10.0.0.5", "web-3")), conflict(A, "web-1"));
  assert.deepEqual(r.get(C), before);
  assert.equal(r.reservedBy(ip("10.0.0.5")), A);
  assert.equal(r.reservedBy(ip("10.0.0.7")), C);
  assert.deepEqual(
    events.map((e) => [e.mac, e.type]),
    [[C, "registered"]],
    "a refused upsert makes no event",
  );
  // The same registration again is no conflict with itself.
  await r.upsert(A, reg("10.0.0.5", "web-1"));
});

test("two registrations racing for one address: exactly one wins", async (t) => {
  const { registry: r } = await open(t);
  const outcomes = await Promise.allSettled([
    r.upsert(A, reg("10.0.0.9")),
    r.upsert(B, reg("10.0.0.9")),
  ]);
  // Which one wins depends on which file check returns first (both await the disk).
  const won = outcomes.map((o) => o.status === "fulfilled");
  assert.equal(won.filter(Boolean).length, 1, JSON.stringify(outcomes.map((o) => o.status)));
  const [winner, loser] = won[0] ? [A, B] : [B, A];
  const refused = outcomes.find((o) => o.status === "rejected")!;
  assert.equal((refused.reason as { status?: number }).status, 409);
  assert.equal(r.reservedBy(ip("10.0.0.9")), winner);
  assert.equal(r.get(loser), null);
});

test("changing, dropping or removing a machine frees its address; each change is an event", async (t) => {
  const { registry: r } = await open(t);
  await r.upsert(A, reg("10.0.0.5"));
  const events: MachineEvent[] = [];
  r.subscribe((e) => events.push(e));

  await r.upsert(A, reg("10.0.0.6"));
  assert.equal(r.reservedBy(ip("10.0.0.5")), null);
  assert.equal(r.reservedBy(ip("10.0.0.6")), A);
  await r.upsert(B, reg("10.0.0.5")); // free again

  await r.upsert(A, reg(null));
  assert.equal(r.reservedFor(A), null);
  assert.equal(r.reservedBy(ip("10.0.0.6")), null);
  await r.upsert(A, { ...reg(null), cmdline: "quiet" }); // a change that is not the address

  await r.remove(B);
  assert.equal(r.reservedBy(ip("10.0.0.5")), null);
  assert.equal(r.reservedFor(B), null);
  await r.upsert(C, reg("10.0.0.5"));
  assert.equal(r.reservedBy(ip("10.0.0.5")), C);

  assert.deepEqual(
    events.map((e) => [e.mac, e.type, e.ipv4]),
    [
      [A, "updated", "10.0.0.6"],
      [B, "registered", "10.0.0.5"],
      [A, "updated", null],
      [A, "updated", undefined],
      [B, "removed", undefined],
      [C, "registered", "10.0.0.5"],
    ],
  );
});

test("a write that fails reserves nothing: the address stays free", async (t) => {
  const { registry: r, stateDir } = await open(t);
  // Nothing written yet: with its directory gone, the journal cannot be opened.
  await rm(stateDir, { recursive: true });
  await assert.rejects(r.upsert(A, reg("10.0.0.5")), (e: Error) => e.name === "StateWriteFailed");
  assert.equal(r.reservedBy(ip("10.0.0.5")), null);
  assert.equal(r.get(A), null);
  await mkdir(stateDir);
  await r.upsert(B, reg("10.0.0.5"));
  assert.equal(r.reservedBy(ip("10.0.0.5")), B);
});

test("the index is rebuilt at start: from the journal, then from the snapshot", async (t) => {
  const first = await open(t);
  const r = first.registry;
  await r.upsert(A, reg("10.0.0.5"));
  await r.upsert(B, reg("10.0.0.6"));
  await r.upsert(A, reg("10.0.0.7")); // .5 freed
  await r.upsert(C, reg("10.0.0.5"));
  await r.remove(B); // .6 freed
  const expect = (again: typeof r) => {
    assert.equal(again.reservedBy(ip("10.0.0.7")), A);
    assert.equal(again.reservedBy(ip("10.0.0.5")), C);
    assert.equal(again.reservedBy(ip("10.0.0.6")), null);
    assert.equal(again.reservedFor(B), null);
    assert.equal(again.get(C)?.ipv4, "10.0.0.5");
  };
  // The first registry still runs: the second reads its journal, as after a kill -9.
  assert.deepEqual(
    (await readdir(first.stateDir)).filter((n) => n === "machines.json"),
    [],
  );
  const fromJournal = await testRegistry({ stateDir: first.stateDir });
  expect(fromJournal.registry);
  // And the rule holds after the restart.
  await assert.rejects(fromJournal.registry.upsert(B, reg("10.0.0.7")), conflict(A, null));
  await fromJournal.registry.close();
  await r.close(); // folds the journal into machines.json
  const fromSnapshot = await testRegistry({ stateDir: first.stateDir });
  assert.match(await readFile(join(first.stateDir, "machines.json"), "utf8"), /"ipv4":16777/);
  expect(fromSnapshot.registry);
  await fromSnapshot.cleanup();
});

test("a state file from before reservations loads: no machine has an address", async (t) => {
  const first = await open(t);
  await first.registry.upsert(A, reg(null, "web-1"));
  await first.registry.close();
  // Written before the field existed: no `ipv4` key at all, in the snapshot and the journal.
  const path = join(first.stateDir, "machines.json");
  const text = await readFile(path, "utf8");
  assert.match(text, /"ipv4":null/);
  await writeFile(path, text.replace(/,"ipv4":null/g, ""));
  const put = (await readFile(path, "utf8")).split("\n")[1]!.replace(/,$/, "");
  const old = JSON.parse(put) as Record<string, unknown>;
  assert.equal("ipv4" in old, false);
  await writeFile(
    join(first.stateDir, "journal-000009.jsonl"),
    JSON.stringify({ put: { ...old, mac: B, events: undefined } }) + "\n",
  );
  const again = await testRegistry({ stateDir: first.stateDir });
  for (const mac of [A, B]) {
    assert.equal(again.registry.get(mac)?.ipv4, null);
    assert.equal(again.registry.reservedFor(mac), null);
  }
  // And such a machine may take an address.
  await again.registry.upsert(A, reg("10.0.0.5", "web-1"));
  assert.equal(again.registry.reservedBy(ip("10.0.0.5")), A);
  await again.cleanup();
});

test("a stored ipv4 that is not an address refuses the start, naming the machine", async (t) => {
  const first = await open(t);
  await first.registry.upsert(A, reg("10.0.0.5"));
  await first.registry.close();
  const path = join(first.stateDir, "machines.json");
  await writeFile(path, (await readFile(path, "utf8")).replace(/"ipv4":\d+/, '"ipv4":"10.0.0.5"'));
  await assert.rejects(
    testRegistry({ stateDir: first.stateDir }),
    (e: Error) => e.name === "StateError" && e.message.includes(`machine ${A} has an invalid ipv4`),
  );
});

test("ipv4 must be an IPv4 unicast address: a 400 naming the field", () => {
  const base = { kernel: "/k", initrd: "/i" };
  assert.equal(parseRegistration({ ...base, ipv4: "192.168.10.21" }).ipv4, ip("192.168.10.21"));
  assert.equal(parseRegistration({ ...base, ipv4: null }).ipv4, null);
  assert.equal(parseRegistration(base).ipv4, null);
  const bad: [unknown, RegExp][] = [
    ["10.0.0", /^ipv4: expected an IPv4 unicast address such as "10\.0\.0\.5", got "10\.0\.0"$/],
    ["10.0.0.256", /got "10\.0\.0\.256"/],
    ["fe80::1", /got "fe80::1"/],
    [167772165, /got 167772165$/],
    ["web-1.example.org", /got "web-1\.example\.org"/],
    ["224.0.0.251", /^ipv4: 224\.0\.0\.251 is a multicast address, not a machine's address$/],
    ["255.255.255.255", /is reserved/],
    ["127.0.0.1", /is a loopback address/],
    ["0.0.0.0", /this network/],
    ["169.254.3.4", /is link-local/],
  ];
  for (const [ipv4, message] of bad)
    assert.throws(
      () => parseRegistration({ ...base, ipv4 }),
      (e: InvalidRegistration) =>
        e instanceof InvalidRegistration &&
        e.status === 400 &&
        e.field === "ipv4" &&
        message.test(e.message),
      String(ipv4),
    );
});
