import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseMac, type Mac } from "../../src/core/mac.js";
import { EVENTS_KEPT } from "../../src/registry/registry.js";
import type { MachineEvent } from "../../src/registry/machine.js";
import { MINIMAL_REGISTRATION, testRegistry } from "../support/registry.js";

const dir = await mkdtemp(join(tmpdir(), `lst-registry-${process.pid}-`));
after(() => rm(dir, { recursive: true, force: true }));

test("every file fetch is an event; the history keeps its milestones and the newest fetches, in order", async () => {
  const { registry } = await testRegistry({ stateDir: dir });
  const mac = parseMac("52:54:00:ee:00:01") as Mac;
  await registry.upsert(mac, MINIMAL_REGISTRATION);
  const streamed: MachineEvent[] = [];
  const unsubscribe = registry.subscribe((e) => streamed.push(e));
  const fetches = EVENTS_KEPT + 50;
  for (let i = 0; i < fetches; i++)
    registry.noteBootStep(mac, { type: "kernel", bytes: i, status: 200 });
  unsubscribe();

  // A file fetch moves nothing (anyone may fetch a kernel): one event per fetch.
  assert.equal(streamed.length, fetches);
  const events = registry.get(mac)?.events ?? [];
  assert.equal(events.length, EVENTS_KEPT);
  const last = events.at(-1);
  assert.deepEqual(
    { ...last, at: undefined },
    {
      at: undefined,
      mac,
      generation: 1,
      type: "kernel",
      state: "registered",
      bytes: fetches - 1,
      status: 200,
    },
  );
  assert.ok(!Number.isNaN(Date.parse(last?.at ?? "")));
  // The milestones stay however many fetches follow; the oldest fetches make room.
  assert.deepEqual(
    events.slice(0, 1).map((e) => e.type),
    ["registered"],
  );
  assert.deepEqual(
    events.slice(1).map((e) => e.bytes),
    Array.from({ length: EVENTS_KEPT - 1 }, (_, i) => fetches - EVENTS_KEPT + 1 + i),
  );

  await registry.close();
  const onDisk = JSON.parse(await readFile(join(dir, "machines.json"), "utf8")) as {
    machines: { events: MachineEvent[] }[];
  };
  assert.deepEqual(onDisk.machines[0]?.events, events);

  // A detail may not override a fixed field: the compiler refuses it (never called).
  void (() =>
    // @ts-expect-error `mac` is a fixed field of every event, no step carries one
    registry.noteBootStep(mac, { type: "script", script: "install", mac: "00:00:00:00:00:00" }));
});
