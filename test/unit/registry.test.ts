import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { parseMac, type Mac } from "../../src/core/mac.js";
import { createMetrics } from "../../src/core/metrics.js";
import type { CallbackRefused } from "../../src/registry/registry.js";
import { Registry } from "../../src/registry/registry.js";
import type { Registration } from "../../src/registry/machine.js";

const mac = parseMac("52:54:00:00:00:01") as Mac;
const reg: Registration = {
  kernel: "/k",
  initrd: "/i",
  cmdline: "",
  hostname: null,
  job: null,
  installationHostKey: null,
};

async function fresh(dir?: string, afterInstall: "local-boot" | "ignore" = "local-boot") {
  const stateDir = dir ?? (await mkdtemp(join(tmpdir(), "lst-reg-")));
  const r = new Registry({
    stateDir,
    afterInstall,
    answerUnknown: false,
    onInstalled: null,
    log: pino({ level: "silent" }),
    metrics: createMetrics(),
  });
  await r.load();
  return { r, stateDir };
}

const tokenOf = (r: Registry) => r.recordFor(mac)?.token ?? "";

test("states move forward only, and a generation ends at installed or failed", async () => {
  const { r } = await fresh();
  await r.upsert(mac, reg);
  assert.deepEqual(r.bootFor(mac), { kind: "install", mac, generation: 1 });
  r.noteHttpStep(mac, "kernel");
  assert.equal(r.get(mac)?.state, "booting");
  await r.fetchJob(mac, tokenOf(r));
  assert.equal(r.get(mac)?.state, "installing");
  await r.progress(mac, tokenOf(r), { phase: "disko", progress: 40 });
  assert.equal(r.get(mac)?.phase, "disko");
  await r.complete(mac, tokenOf(r), null);
  assert.equal(r.get(mac)?.state, "installed");
  assert.deepEqual(r.bootFor(mac), { kind: "local", mac });
  // Late reports from the finished installer cannot move it back.
  await assert.rejects(
    r.progress(mac, tokenOf(r), { phase: "late" }),
    (e: CallbackRefused) => e.status === 409,
  );
  r.noteHttpStep(mac, "script");
  assert.equal(r.get(mac)?.state, "installed");
  await r.rearm(mac);
  assert.equal(r.get(mac)?.state, "registered");
  assert.equal(r.get(mac)?.generation, 2);
});

test("wrong and old tokens are refused and change nothing", async () => {
  const { r } = await fresh();
  await r.upsert(mac, reg);
  const old = tokenOf(r);
  await assert.rejects(r.complete(mac, "wrong", null), (e: CallbackRefused) => e.status === 403);
  await r.rearm(mac);
  assert.notEqual(tokenOf(r), old);
  await assert.rejects(r.fetchJob(mac, old), (e: CallbackRefused) => e.status === 403);
  assert.equal(r.get(mac)?.state, "registered");
});

test("afterInstall ignore: an installed machine gets no answer at all", async () => {
  const { r } = await fresh(undefined, "ignore");
  await r.upsert(mac, reg);
  await r.complete(mac, tokenOf(r), null);
  assert.deepEqual(r.bootFor(mac), { kind: "none" });
  assert.deepEqual(r.bootFor(parseMac("02:00:00:00:00:00") as Mac), { kind: "none" });
});

test("state survives a reload: token, key, events, generation", async () => {
  const { r, stateDir } = await fresh();
  await r.upsert(mac, { ...reg, hostname: "a" });
  await r.rearm(mac);
  const before = { token: tokenOf(r), view: r.get(mac) };
  // Read back from the journal alone (r is still running: nothing compacted yet) ...
  const { r: r2 } = await fresh(stateDir);
  assert.equal(r2.recordFor(mac)?.token, before.token);
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
