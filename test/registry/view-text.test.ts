// The status page's and watch's words, exactly: every event type's line, each optional
// detail present and absent, the log tail's bounds, the secret scrubbing's edges, and the
// page's machine with a failure.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  LOG_TAIL_BYTES,
  LOG_TAIL_LINES,
  logTail,
  publicMachine,
  scrubSecrets,
  stepText,
  type StatusSource,
} from "../../src/registry/views.js";
import type { MachineEvent } from "../../src/registry/machine.js";

const event = (e: Record<string, unknown>) =>
  ({ at: "t", generation: 1, state: "registered", ...e }) as unknown as MachineEvent;

test("every event type reads as its line, with and without its details", () => {
  const rows: [Record<string, unknown>, string][] = [
    [{ type: "dhcp" }, "DHCP answer to client"],
    [{ type: "dhcp", clientKind: "", arch: "7", file: "", port: "67" }, "DHCP answer to client"],
    [{ type: "dhcp", arch: Infinity, port: NaN }, "DHCP answer to client"],
    [{ type: "dhcp", clientKind: "ipxe", arch: 7 }, "DHCP answer to ipxe (arch 7)"],
    [{ type: "dhcp", file: "x.efi" }, "DHCP answer to client: x.efi"],
    [{ type: "dhcp", port: 4011 }, "DHCP answer to client on port 4011"],
    [{ type: "tftp" }, "TFTP ? "],
    [{ type: "tftp", file: 7, outcome: true }, "TFTP ? "],
    [{ type: "tftp", file: "a", outcome: "refused" }, "TFTP a refused"],
    [{ type: "tftp", file: "a", outcome: "complete", bytes: 0 }, "TFTP a complete, 0 B"],
    [{ type: "tftp", file: "a", outcome: "complete", bytes: 1023 }, "TFTP a complete, 1023 B"],
    [{ type: "tftp", file: "a", outcome: "complete", bytes: 1024 }, "TFTP a complete, 1.0 KiB"],
    [
      { type: "tftp", file: "a", outcome: "complete", bytes: 1024 * 1024 - 1 },
      "TFTP a complete, 1024.0 KiB",
    ],
    [
      { type: "tftp", file: "a", outcome: "complete", bytes: 1024 * 1024 },
      "TFTP a complete, 1.0 MiB",
    ],
    [
      { type: "tftp", file: "a", outcome: "complete", bytes: 3 * 1024 * 1024 + 512 * 1024 },
      "TFTP a complete, 3.5 MiB",
    ],
    [{ type: "tftp", file: "a", outcome: "complete", ms: 0.4 }, "TFTP a complete in 0 ms"],
    [{ type: "tftp", file: "a", outcome: "complete", ms: "9" }, "TFTP a complete"],
    [{ type: "script" }, "iPXE script served"],
    [{ type: "kernel" }, "kernel fetched"],
    [{ type: "initrd" }, "initrd fetched"],
    [{ type: "job" }, "installer fetched its job"],
    [{ type: "progress" }, "progress"],
    [{ type: "progress", phase: "install", progress: 0 }, "install 0%"],
    [{ type: "progress", phase: "install", message: "" }, "install"],
    [
      { type: "progress", phase: "disko", progress: 10, message: "Bearer abcdef" },
      "disko 10%: Bearer [hidden]",
    ],
    [{ type: "complete" }, "installed"],
    [{ type: "failed" }, "failed: "],
    [{ type: "failed", message: "disk gone" }, "failed: disk gone"],
    [{ type: "state", state: "installing" }, "now installing"],
    [{ type: "registered" }, "registered"],
    [{ type: "updated" }, "registration updated"],
    [{ type: "rearmed" }, "re-armed (new generation)"],
    [{ type: "hook" }, "hook ran"],
    [{ type: "hook", message: "exit 2" }, "hook exit 2"],
    [{ type: "hook", outcome: "ok", message: "exit 0" }, "hook ok"],
    [
      { type: "warning", reason: "script-refused" },
      "warning: install script refused to ?, not this machine",
    ],
    [
      { type: "warning", reason: "script-refused", client: "10.0.0.9" },
      "warning: install script refused to 10.0.0.9, not this machine",
    ],
    [
      { type: "warning", reason: "job-fetched-again" },
      "warning: job and host key asked for again; someone else may have them (rearm)",
    ],
    [{ type: "warning", reason: "disk-small" }, "warning: disk-small"],
    [{ type: "warning" }, "warning: ?"],
    [{ type: "power", ok: true }, "power ?: nothing to send"],
    [
      { type: "power", action: "off", ok: true, sent: ["off", 3, null], power: "" },
      "power off: off",
    ],
    [{ type: "power", action: "off", ok: true, sent: "off" }, "power off: nothing to send"],
    [{ type: "power", action: "off", ok: "true" }, "power off failed: "],
    [{ type: "power", action: "on", ok: false, error: null }, "power on failed: "],
    [
      { type: "power", action: "on", ok: false, error: { message: "open /run/pw failed" } },
      "power on failed: open [path] failed",
    ],
    [
      { type: "power", action: "on", ok: false, error: { message: "/run/pw: no such file" } },
      "power on failed: [path] no such file",
    ],
    [{ type: "removed" }, "removed"],
    [{ type: "from-a-newer-server" }, "from-a-newer-server"],
  ];
  for (const [e, text] of rows) assert.equal(stepText(event(e)), text, JSON.stringify(e));
});

test("scrubSecrets: what is hidden, what is kept, exactly", () => {
  const rows: [string, string][] = [
    ["Authorization: Bearer abc.DEF-1~+/= next", "Authorization: Bearer [hidden] next"],
    ["bearer   xyz, bearer zzz", "bearer   [hidden], bearer [hidden]"],
    ["Bearer", "Bearer"],
    ['{"token": "0123456789abcdef"}', '{"token": "[hidden]"}'],
    ["token=01234567 token = 'abcdefgh'", "token=[hidden] token = '[hidden]'"],
    ["TOKEN:abcdefgh", "TOKEN:[hidden]"],
    // Short values and words merely ending in "token" are not secrets.
    ["token=1234567", "token=1234567"],
    ["mytoken=abcdefghij", "mytoken=abcdefghij"],
    ["x landscaper.token=s y", "x landscaper.token=[hidden] y"],
    [
      "a\n-----BEGIN EC PRIVATE KEY-----\nK\n-----END EC PRIVATE KEY-----\nb",
      "a\n[private key hidden]\nb",
    ],
    ["K1\n-----END OPENSSH PRIVATE KEY-----\nb", "[private key hidden]\nb"],
    // An END with no BEGIN: all before it may be a key's body, whatever else it holds.
    [
      "a\n-----BEGIN PRIVATE KEY-----\nK\n-----END PRIVATE KEY-----\nb\n-----END PRIVATE KEY-----\nc",
      "[private key hidden]\nc",
    ],
    ["no secrets here", "no secrets here"],
  ];
  for (const [input, output] of rows) assert.equal(scrubSecrets(input), output, input);
});

test("logTail: null for no log, the last lines as they are, at most LOG_TAIL_BYTES plus the mark", () => {
  assert.equal(logTail(null), null);
  assert.equal(logTail(""), null);
  assert.equal(logTail("one line"), "one line");
  assert.equal(logTail("a\nb\n"), "a\nb\n");
  const exact = "x".repeat(LOG_TAIL_BYTES);
  assert.equal(logTail(exact), exact);
  assert.equal(logTail(`y${exact}`), `…${exact}`);
  const lines = Array.from({ length: LOG_TAIL_LINES + 1 }, (_, i) => `l${i}`);
  assert.equal(logTail(lines.join("\n")), lines.slice(1).join("\n"));
});

test("publicMachine: the failure scrubbed with its log's tail; state lines that repeat an outcome dropped", () => {
  const source = {
    mac: "52:54:00:00:00:01",
    hostname: null,
    state: "failed",
    generation: 1,
    phase: "disko",
    progress: 10,
    failure: {
      message: "disko failed, landscaper.token=abc",
      log: "sh: Bearer zzz\nexit 1",
    },
    registeredAt: "r",
    updatedAt: "u",
    ipv4: "10.0.0.21",
    leasedIpv4: null,
    events: [
      { at: "t0", type: "registered", generation: 1, state: "registered" },
      { at: "t1", type: "state", generation: 1, state: "installing" },
      { at: "t2", type: "failed", generation: 1, state: "failed", message: "disko" },
      { at: "t3", type: "state", generation: 1, state: "failed" },
      { at: "t4", type: "complete", generation: 1, state: "installed" },
      { at: "t5", type: "state", generation: 1, state: "installed" },
      { at: "t6", type: "state", generation: 0, state: "installing" },
    ],
  } as unknown as StatusSource;
  assert.deepEqual(publicMachine(source), {
    mac: "52:54:00:00:00:01",
    hostname: null,
    state: "failed",
    generation: 1,
    phase: "disko",
    progress: 10,
    failure: {
      message: "disko failed, landscaper.token=[hidden]",
      logTail: "sh: Bearer [hidden]\nexit 1",
    },
    registeredAt: "r",
    updatedAt: "u",
    ipv4: "10.0.0.21",
    leasedIpv4: null,
    steps: [
      { at: "t0", type: "registered", text: "registered" },
      { at: "t1", type: "state", text: "now installing" },
      { at: "t2", type: "failed", text: "failed: disko" },
      { at: "t4", type: "complete", text: "installed" },
    ],
  });
  assert.equal(
    publicMachine({ ...source, failure: { message: "m", log: null } }).failure?.logTail,
    null,
  );
});
