import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  applyEvent,
  changeLine,
  discoveredLine,
  fromApi,
  seenFooter,
  table,
  sortMachines,
  type WatchedMachine,
} from "../../src/cli/watch-view.js";
import type { MachineEvent } from "../../src/registry/machine.js";
import type { WatchSource } from "../../src/registry/views.js";

// Written as the JSON the control API sends: loose strings, cast once.
const base = fromApi({
  mac: "52:54:00:00:00:01",
  hostname: "web-1",
  state: "registered",
  generation: 1,
  phase: null,
  progress: null,
  failure: null,
  updatedAt: "2026-01-01T00:00:00.000Z",
} as WatchSource);
const ev = (type: string, state: string, extra: Record<string, unknown> = {}) =>
  ({
    at: "2026-01-01T00:00:05.000Z",
    mac: base.mac,
    generation: 1,
    type,
    state,
    ...extra,
  }) as MachineEvent;

test("events fold into the machine; a rearm clears phase, progress and failure", () => {
  let m = applyEvent(base, ev("progress", "installing", { phase: "disko", progress: 40 }));
  assert.equal(changeLine(m), "00:00:05 52:54:00:00:00:01 web-1 installing disko 40% | disko 40%");
  m = applyEvent(m, ev("failed", "failed", { message: "boom" }));
  assert.match(changeLine(m), /failed disko 40% \| failed: boom$/);
  m = applyEvent(m, { ...ev("rearmed", "registered"), generation: 2 });
  assert.deepEqual([m.phase, m.progress, m.failure, m.generation], [null, null, null, 2]);
});

test("table lines never exceed the terminal width (escape sequences aside)", () => {
  const ESC = String.fromCharCode(27);
  // the table's own sequences: colour, erase-line
  const strip = (s: string) => s.replace(new RegExp(`${ESC}\\[[0-9;]*[mK]`, "g"), "");
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          hostname: fc.option(fc.string({ maxLength: 40, unit: "binary" })),
          state: fc.constantFrom("registered", "booting", "installing", "installed", "failed"),
          phase: fc.option(fc.string({ maxLength: 40 })),
          progress: fc.option(fc.integer({ min: 0, max: 100 })),
          failure: fc.option(fc.string({ maxLength: 200, unit: "binary" })),
        }),
        { maxLength: 5 },
      ),
      fc.integer({ min: 60, max: 250 }),
      (rows, columns) => {
        const ms = rows.map((r, i) => ({
          ...base,
          ...r,
          mac: `52:54:00:00:00:${String(i).padStart(2, "0")}`,
        })) as WatchedMachine[];
        const out = strip(table(sortMachines(ms), columns, "live"));
        for (const line of out.split("\n")) {
          assert.ok([...line].length <= columns, line);
          assert.ok(!line.includes(ESC), "no escape sequence from the data");
        }
      },
    ),
  );
});

test("a client seen, not registered: one line with the register command; no escape from its vendor class", () => {
  const ESC = String.fromCharCode(27);
  const line = discoveredLine({
    at: "2026-01-01T00:00:07.000Z",
    type: "discovered",
    mac: "52:54:00:0d:00:01" as WatchedMachine["mac"],
    kind: "pxe",
    arch: 7,
    vendorClass: `PXEClient${ESC}[2J${ESC}]0;owned\u0007`,
  });
  assert.equal(
    line,
    "00:00:07 52:54:00:0d:00:01 seen, not registered: pxe arch 7 PXEClient [2J ]0;owned  | landscaper machines add 52:54:00:0d:00:01 --kernel KERNEL --initrd INITRD",
  );
  // Under the table, cut to the terminal's width.
  const footer = seenFooter([line], 60).split("\n").filter(Boolean);
  assert.equal(footer.length, 3);
  for (const l of footer) assert.ok([...l.replace(`${ESC}[K`, "")].length <= 60, l);
  assert.equal(seenFooter([], 60), "");
});
