// The lab's live view: one line per Landscaper event, the failure log tail below a failure.
import { test } from "node:test";
import assert from "node:assert/strict";
import { describe } from "../../scripts/lablib/watch.js";

test("watch describes each boot stage on one line", () => {
  assert.equal(
    describe({ type: "dhcp", clientKind: "pxe", arch: 7, port: 4011, file: "snponly.efi" }),
    "DHCP    pxe (arch 7, port 4011) -> snponly.efi",
  );
  assert.equal(
    describe({ type: "tftp", file: "snponly.efi", bytes: 173792, outcome: "complete", ms: 28 }),
    "TFTP    snponly.efi: 173792 bytes, complete, 28 ms",
  );
  assert.equal(
    describe({ type: "progress", phase: "disko", progress: 10, message: "step 1 of 2" }),
    "phase   disko 10% (step 1 of 2)",
  );
  assert.equal(describe({ type: "state", state: "installed" }), "state   -> installed");
  assert.equal(
    describe({
      type: "power",
      action: "arm",
      trigger: "registration",
      ok: true,
      sent: ["pxe-once", "on"],
      power: "on",
    }),
    "BMC     power arm (registration): pxe-once, on, power on",
  );
  assert.equal(
    describe({ type: "kernel", state: "booting", at: "x", mac: "m", generation: 1, bytes: 5 }),
    'kernel  (booting) {"bytes":5}',
  );
});

test("watch shows the last lines of a failure log, indented", () => {
  const log = Array.from({ length: 12 }, (_, i) => `line ${i}`).join("\n");
  const lines = describe({ type: "failed", message: "phase install failed (exit 3)", log }).split(
    "\n",
  );
  assert.equal(lines[0], "FAILED  phase install failed (exit 3)");
  assert.equal(lines.length, 9);
  assert.equal(lines[8], "          | line 11");
});
