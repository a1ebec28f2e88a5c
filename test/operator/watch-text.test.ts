// `landscaper watch`'s words and table, exactly: the change line for each state, the fold
// of each event type, the order of machines, and the table at a wide and a narrow width.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  applyEvent,
  changeLine,
  fromApi,
  printable,
  sortMachines,
  table,
  type WatchedMachine,
} from "../../src/cli/watch-view.js";
import type { WatchSource } from "../../src/registry/views.js";
import type { MachineEvent } from "../../src/registry/machine.js";
import type { Mac } from "../../src/core/mac.js";

const at = "2026-01-01T10:20:30.000Z";
const source = (over: Record<string, unknown> = {}) =>
  ({
    mac: "52:54:00:00:00:01",
    hostname: "web-1",
    state: "registered",
    generation: 2,
    phase: null,
    progress: null,
    failure: null,
    updatedAt: at,
    ...over,
  }) as WatchSource;
const ev = (type: string, state: string, extra: Record<string, unknown> = {}) =>
  ({ at, mac: "52:54:00:00:00:01", generation: 2, type, state, ...extra }) as MachineEvent;

test("fromApi: the latest step of this generation, the failure's message", () => {
  assert.deepEqual(fromApi(source()), {
    mac: "52:54:00:00:00:01",
    hostname: "web-1",
    state: "registered",
    generation: 2,
    phase: null,
    progress: null,
    failure: null,
    lastStep: null,
    updatedAt: at,
  });
  const m = fromApi(
    source({
      state: "failed",
      failure: { message: "disk gone" },
      events: [
        ev("kernel", "booting", { at: "a1" }),
        ev("initrd", "booting", { at: "a2" }),
        ev("job", "booting", { at: "a3" }),
        ev("script", "booting", { at: "a4", generation: 1 }),
      ],
    }),
  );
  assert.equal(m.failure, "disk gone");
  assert.deepEqual(m.lastStep, { at: "a3", text: "installer fetched its job" });
  assert.equal(fromApi(source({ events: [] })).lastStep, null);
});

test("applyEvent: each event type changes what it says and nothing else", () => {
  const m = fromApi(source({ phase: "disko", progress: 40, failure: { message: "old" } }));
  const later = "2026-01-01T10:21:00.000Z";
  assert.deepEqual(applyEvent(m, ev("kernel", "booting", { at: later })), {
    ...m,
    state: "booting",
    updatedAt: later,
    lastStep: { at: later, text: "kernel fetched" },
  });
  const progress = applyEvent(m, ev("progress", "installing", { phase: "install", progress: 0 }));
  assert.deepEqual([progress.phase, progress.progress], ["install", 0]);
  const bare = applyEvent(m, ev("progress", "installing", { phase: 7, progress: "50" }));
  assert.deepEqual([bare.phase, bare.progress], ["disko", 40]);
  // Only a progress event carries a phase or a percentage.
  const other = applyEvent(m, ev("tftp", "booting", { phase: "x", progress: 1 }));
  assert.deepEqual([other.phase, other.progress], ["disko", 40]);
  assert.equal(applyEvent(m, ev("complete", "installed")).progress, 100);
  assert.equal(applyEvent(m, ev("failed", "failed", { message: "boom" })).failure, "boom");
  assert.equal(applyEvent(m, ev("failed", "failed")).failure, "old");
  assert.equal(applyEvent(m, ev("hook", "installed", { message: "x" })).failure, "old");
  const rearmed = applyEvent(m, ev("rearmed", "registered", { generation: 3 }));
  assert.deepEqual(
    [rearmed.phase, rearmed.progress, rearmed.failure, rearmed.generation],
    [null, null, null, 3],
  );
});

test("changeLine: time, MAC, host, state, phase, progress, then what happened", () => {
  const m = fromApi(source());
  assert.equal(changeLine(m), "10:20:30 52:54:00:00:00:01 web-1 registered - -");
  assert.equal(
    changeLine({ ...m, hostname: null, updatedAt: "not a time" }),
    "--:--:-- 52:54:00:00:00:01 - registered - -",
  );
  const failed = applyEvent(m, ev("failed", "failed", { message: "boom\x1b[2J" }));
  assert.equal(
    changeLine(failed),
    "10:20:30 52:54:00:00:00:01 web-1 failed - - | failed: boom [2J",
  );
  // A failure kept from an earlier run is not what happened to an installing machine.
  assert.equal(
    changeLine({
      ...m,
      state: "installing",
      phase: "disko",
      progress: 5,
      failure: "old",
      lastStep: { at, text: "disko 5%" },
    }),
    "10:20:30 52:54:00:00:00:01 web-1 installing disko 5% | disko 5%",
  );
  assert.equal(
    changeLine({ ...m, state: "failed", failure: "old", lastStep: { at, text: "x" } }),
    "10:20:30 52:54:00:00:00:01 web-1 failed - - | failed: old",
  );
});

test("printable: C0, DEL and C1 controls become one space each", () => {
  assert.equal(printable("a\0b\x1fc\x7fd\x80e\x9ff\xa0g é"), "a b c d e f\xa0g é");
});

test("sortMachines: failed, installing, booting, registered, installed; then by name", () => {
  const m = fromApi(source());
  const ms = [
    { ...m, mac: "m1" as Mac, hostname: "b", state: "installed" },
    { ...m, mac: "m2" as Mac, hostname: "a", state: "installed" },
    { ...m, mac: "m3" as Mac, hostname: null, state: "registered" },
    { ...m, mac: "b0" as Mac, hostname: null, state: "registered" },
    { ...m, mac: "m4" as Mac, hostname: "z", state: "booting" },
    { ...m, mac: "m5" as Mac, hostname: "y", state: "installing" },
    { ...m, mac: "m6" as Mac, hostname: "x", state: "failed" },
    { ...m, mac: "m7" as Mac, hostname: "a", state: "registered" },
  ] as WatchedMachine[];
  assert.deepEqual(
    sortMachines(ms).map((x) => x.mac),
    ["m6", "m5", "m4", "m7", "b0", "m3", "m2", "m1"],
  );
  // By host name, not MAC, whichever comes first.
  const x = { ...m, mac: "9" as Mac, hostname: "a" };
  const y = { ...m, mac: "0" as Mac, hostname: "b" };
  assert.deepEqual(sortMachines([x, y]), [x, y]);
  assert.deepEqual(sortMachines([y, x]), [x, y]);
});

const ESC = "\x1b";
const K = `${ESC}[K`;
const RESET = `${ESC}[0m`;

test("table: header with counts, one row per machine, bar when wide and % when narrow", () => {
  const m = fromApi(source());
  const installing = applyEvent(
    { ...m, mac: "52:54:00:00:00:02" as Mac, hostname: "db-with-a-long-name" },
    ev("progress", "installing", { phase: "install", progress: 42 }),
  );
  const installed = applyEvent(
    { ...m, mac: "52:54:00:00:00:03" as Mac },
    ev("complete", "installed"),
  );
  const failed = applyEvent(
    { ...m, mac: "52:54:00:00:00:04" as Mac },
    ev("failed", "failed", { message: "boom" }),
  );
  const rows = [installing, installed, failed];
  const wide = table(rows, 120, "live").split("\n");
  assert.equal(wide.length, 6);
  assert.equal(wide[5], "");
  assert.equal(
    wide[0],
    `Landscaper: 3 machine(s), 1 installing, 1 installed, 1 failed  [live]${K}`,
  );
  const header = `${"MAC".padEnd(17)} ${"HOST".padEnd(14)} ${"STATE".padEnd(10)} ${"PHASE".padEnd(14)} ${"PROGRESS".padEnd(26)} LAST STEP`;
  assert.equal(wide[1], header + K);
  assert.equal(
    wide[2],
    `52:54:00:00:00:02 db-with-a-lon… ${ESC}[34minstalling${RESET} install${" ".repeat(7)} ` +
      `${"█".repeat(8)}${"░".repeat(12)}  42%${" ".repeat(1)} 10:20:30 install 42%${K}`,
  );
  assert.equal(
    wide[3],
    `52:54:00:00:00:03 web-1${" ".repeat(9)} ${ESC}[32minstalled ${RESET} -${" ".repeat(13)} ` +
      `${"█".repeat(20)} 100%${" ".repeat(1)} 10:20:30 installed${K}`,
  );
  assert.equal(
    wide[4],
    `52:54:00:00:00:04 web-1${" ".repeat(9)} ${ESC}[31mfailed    ${RESET} -${" ".repeat(13)} ` +
      `${"░".repeat(20)}   0%${" ".repeat(1)} 10:20:30 failed: boom${K}`,
  );
  const narrow = table(rows, 80, "reconnecting").split("\n");
  assert.equal(
    narrow[1],
    `${"MAC".padEnd(17)} ${"HOST".padEnd(12)} ${"STATE".padEnd(10)} ${"PHASE".padEnd(12)} %    LAST STEP${K}`,
  );
  assert.equal(
    narrow[2],
    `52:54:00:00:00:02 db-with-a-l… ${ESC}[34minstalling${RESET} install${" ".repeat(5)}  42% 10:20:30 install 42%${K}`,
  );
  assert.equal(
    narrow[3],
    `52:54:00:00:00:03 web-1${" ".repeat(7)} ${ESC}[32minstalled ${RESET} -${" ".repeat(11)} 100% 10:20:30 installed${K}`,
  );
  assert.equal(
    table([], 80, "live"),
    `Landscaper: 0 machine(s)  [live]${K}\n` +
      `${"MAC".padEnd(17)} ${"HOST".padEnd(12)} ${"STATE".padEnd(10)} ${"PHASE".padEnd(12)} %    LAST STEP${K}\n(no machines registered)${K}\n`,
  );
});

test("table: the failure over the last step, installed is 100 %, no colour for a state it does not know", () => {
  const m = fromApi(source());
  const rows = [
    // failed, with a last step that is not the failure: the failure is what is shown
    { ...m, state: "failed", failure: "no disk", lastStep: { at, text: "disko 5%" } },
    // installed from an API read: progress may be null, the bar is full regardless
    { ...m, mac: "52:54:00:00:00:02" as Mac, state: "installed", progress: null },
    { ...m, mac: "52:54:00:00:00:03" as Mac, state: "booting", progress: 250 },
    { ...m, mac: "52:54:00:00:00:04" as Mac, state: "from-a-newer-server", progress: -5 },
    // re-registered after a failure: the old failure is not what the row says
    {
      ...m,
      mac: "52:54:00:00:00:05" as Mac,
      hostname: null,
      failure: "old",
      lastStep: { at, text: "registered" },
    },
  ] as WatchedMachine[];
  const at110 = table(rows, 110, "live").split("\n");
  assert.match(at110[1]!, /PROGRESS/);
  assert.equal(
    at110[2],
    `52:54:00:00:00:01 web-1${" ".repeat(9)} ${ESC}[31mfailed    ${RESET} -${" ".repeat(13)} ` +
      `${"░".repeat(20)}   0%  10:20:30 failed: no disk${K}`,
  );
  assert.equal(
    at110[3],
    `52:54:00:00:00:02 web-1${" ".repeat(9)} ${ESC}[32minstalled ${RESET} -${" ".repeat(13)} ` +
      `${"█".repeat(20)} 100%  ${K}`,
  );
  assert.equal(
    at110[4],
    `52:54:00:00:00:03 web-1${" ".repeat(9)} ${ESC}[33mbooting   ${RESET} -${" ".repeat(13)} ` +
      `${"█".repeat(20)} 100%  ${K}`,
  );
  assert.equal(
    at110[5],
    `52:54:00:00:00:04 web-1${" ".repeat(9)} from-a-ne…${RESET} -${" ".repeat(13)} ` +
      `${"░".repeat(20)}   0%  ${K}`,
  );
  assert.equal(
    at110[6],
    `52:54:00:00:00:05 -${" ".repeat(13)} ${ESC}[37mregistered${RESET} -${" ".repeat(13)} ` +
      `${"░".repeat(20)}   0%  10:20:30 registered${K}`,
  );
  const at109 = table(rows, 109, "live").split("\n");
  assert.match(at109[1]!, / % {4}LAST STEP/);
  assert.equal(
    at109[3],
    `52:54:00:00:00:02 web-1${" ".repeat(7)} ${ESC}[32minstalled ${RESET} -${" ".repeat(11)} 100% ${K}`,
  );
  // Too narrow for the last step: the row ends after the percentage.
  const at40 = table(rows, 40, "live").split("\n");
  assert.equal(
    at40[2],
    `52:54:00:00:00:01 web-1${" ".repeat(7)} ${ESC}[31mfailed    ${RESET} -${" ".repeat(11)}   0% ${K}`,
  );
});
