import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseMac, type Mac } from "../../src/core/mac.js";
import type { CallbackRefused } from "../../src/registry/doors.js";
import { MINIMAL_REGISTRATION as reg, testRegistry, tokenOf } from "../support/registry.js";

const mac = parseMac("52:54:00:00:00:01") as Mac;

async function fresh(stateDir?: string, afterInstall: "local-boot" | "ignore" = "local-boot") {
  const { registry: r, stateDir: dir } = await testRegistry({
    ...(stateDir ? { stateDir } : {}),
    afterInstall,
  });
  return { r, stateDir: dir };
}

test("states move forward only, and a generation ends at installed or failed", async () => {
  const { r } = await fresh();
  await r.upsert(mac, reg);
  const plan = r.bootFor(mac);
  assert.equal(plan.kind, "install");
  assert.equal(plan.kind === "install" && plan.generation, 1);
  // Only the install script (served to the machine alone) says it boots, not a file fetch.
  r.noteBootStep(mac, { type: "kernel", bytes: 1, status: 206 });
  assert.equal(r.get(mac)?.state, "registered");
  r.noteBootStep(mac, { type: "script", script: "install" });
  assert.equal(r.get(mac)?.state, "booting");
  const token = tokenOf(r, mac);
  const s = r.session(mac, token);
  await s.fetchJob();
  assert.equal(r.get(mac)?.state, "installing");
  await s.progress({ phase: "disko", progress: 40 });
  assert.equal(r.get(mac)?.phase, "disko");
  await s.complete(null);
  assert.equal(r.get(mac)?.state, "installed");
  assert.deepEqual(r.bootFor(mac), { kind: "local", mac, script: "local" });
  // Late reports from the finished installer cannot move it back.
  await assert.rejects(s.progress({ phase: "late" }), (e: CallbackRefused) => e.status === 409);
  // And its token opens nothing any more.
  assert.throws(
    () => r.session(mac, token),
    (e: CallbackRefused) => e.status === 403,
  );
  r.noteBootStep(mac, { type: "script", script: "local" });
  assert.equal(r.get(mac)?.state, "installed");
  await r.rearm(mac);
  assert.equal(r.get(mac)?.state, "registered");
  assert.equal(r.get(mac)?.generation, 2);
});

test("wrong and old tokens are refused and change nothing", async () => {
  const { r } = await fresh();
  await r.upsert(mac, reg);
  const old = tokenOf(r, mac);
  assert.throws(
    () => r.session(mac, "wrong"),
    (e: CallbackRefused) => e.status === 403,
  );
  const before = r.session(mac, old);
  await r.rearm(mac);
  assert.notEqual(tokenOf(r, mac), old);
  assert.throws(
    () => r.session(mac, old),
    (e: CallbackRefused) => e.status === 403,
  );
  // A session opened before the rearm is refused like its token would be.
  await assert.rejects(before.fetchJob(), (e: CallbackRefused) => e.status === 403);
  assert.equal(r.get(mac)?.state, "registered");
});

test("afterInstall ignore: an installed machine gets no answer at all", async () => {
  const { r } = await fresh(undefined, "ignore");
  await r.upsert(mac, reg);
  await r.session(mac, tokenOf(r, mac)).complete(null);
  assert.deepEqual(r.bootFor(mac), { kind: "none", script: "local" });
  assert.deepEqual(r.bootFor(parseMac("02:00:00:00:00:00") as Mac), {
    kind: "none",
    script: "unknown",
  });
});

test("state survives a reload: token, key, events, generation", async () => {
  const { r, stateDir } = await fresh();
  await r.upsert(mac, { ...reg, hostname: "a" });
  await r.rearm(mac);
  const before = { token: tokenOf(r, mac), view: r.get(mac) };
  // Read back from the journal alone (r is still running: nothing compacted yet) ...
  const { r: r2 } = await fresh(stateDir);
  assert.equal(tokenOf(r2, mac), before.token);
  assert.deepEqual(r2.get(mac), before.view);
  // ... and from the snapshot that closing writes.
  await r.close();
  const text = await readFile(join(stateDir, "machines.json"), "utf8");
  assert.match(text, /^\{"format": 2, "journal": \d+, "machines": \[\n\{"mac":"52:54:00:00:00:01"/);
  const { r: r3 } = await fresh(stateDir);
  assert.deepEqual(r3.get(mac), before.view);
});

test("events are bounded per machine", async () => {
  const { r } = await fresh();
  await r.upsert(mac, reg);
  for (let i = 0; i < 500; i++)
    r.noteBootStep(mac, { type: "dhcp", clientKind: "pxe", arch: 7, file: null, port: 67 });
  assert.ok((r.get(mac)?.events.length ?? 0) <= 200);
  await r.close();
});
