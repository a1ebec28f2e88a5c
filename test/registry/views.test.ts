import { test } from "node:test";
import assert from "node:assert/strict";
import {
  leasedIpv4,
  logTail,
  publicMachine,
  scrubSecrets,
  stepText,
  LOG_TAIL_LINES,
  type StatusSource,
} from "../../src/registry/views.js";
import type { MachineEvent } from "../../src/registry/machine.js";

/** Test data is written as the JSON it stands for: loose strings, cast once here. */
const event = (e: Record<string, unknown>) => e as unknown as MachineEvent;

test("scrubSecrets hides tokens, bearer headers and private keys", () => {
  const s = scrubSecrets(
    "BOOT_IMAGE=/k landscaper.token=abcDEF123 x\nAuthorization: Bearer abc.def-123\n" +
      "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNz\n-----END OPENSSH PRIVATE KEY-----\nafter\n" +
      '{"token": "0123456789abcdef"}',
  );
  assert.doesNotMatch(s, /abcDEF123|abc\.def-123|b3BlbnNz|0123456789abcdef/);
  assert.match(s, /landscaper\.token=\[hidden\] x/);
  assert.match(s, /\[private key hidden\]\nafter/);
  // a truncated key (log cut mid-key) is hidden to the end
  assert.equal(scrubSecrets("-----BEGIN RSA PRIVATE KEY-----\nMIIE"), "[private key hidden]");
});

test("logTail keeps the last lines, bounded in size", () => {
  const log = Array.from({ length: 500 }, (_, i) => `line ${i}`).join("\n");
  const tail = logTail(log)!;
  assert.equal(tail.split("\n").length, LOG_TAIL_LINES);
  assert.ok(tail.endsWith("line 499"));
  assert.ok(logTail("x".repeat(100_000))!.length <= 8193);
  assert.equal(logTail(null), null);
});

test("publicMachine whitelists fields and keeps this generation's steps", () => {
  const view = {
    mac: "52:54:00:00:00:01",
    hostname: "a",
    state: "installing",
    generation: 2,
    phase: "disko",
    progress: 10,
    failure: null,
    registeredAt: "2026-01-01T00:00:00Z",
    updatedAt: "2026-01-01T00:01:00Z",
    cmdline: "console=ttyS0",
    installationHostPublicKey: "ssh-ed25519 AAAA",
    bootUrl: "http://x/boot/52:54:00:00:00:01.ipxe",
    ipv4: "10.0.0.21",
    leasedIpv4: "10.0.0.21",
    events: [
      { at: "t0", type: "registered", generation: 1, state: "registered" },
      { at: "t1", type: "rearmed", generation: 2, state: "registered" },
      {
        at: "t2",
        type: "progress",
        generation: 2,
        state: "installing",
        phase: "disko",
        progress: 10,
      },
    ],
  };
  const p = publicMachine(view as unknown as StatusSource);
  assert.deepEqual(Object.keys(p).sort(), [
    "failure",
    "generation",
    "hostname",
    "ipv4",
    "leasedIpv4",
    "mac",
    "phase",
    "progress",
    "registeredAt",
    "state",
    "steps",
    "updatedAt",
  ]);
  assert.deepEqual(
    p.steps.map((s) => s.text),
    ["re-armed (new generation)", "disko 10%"],
  );
});

test("leasedIpv4: the last ACKed address until that address is released or declined", () => {
  const lease = (lease: string, ip: string, generation = 1) =>
    event({ at: "t", generation, state: "registered", type: "dhcp-lease", lease, ip });
  const other = event({ at: "t", generation: 1, state: "registered", type: "dhcp" });
  assert.equal(leasedIpv4([]), null);
  assert.equal(leasedIpv4([other]), null, "proxy mode: no lease events");
  assert.equal(leasedIpv4([lease("ack", "10.0.0.7"), other]), "10.0.0.7");
  assert.equal(leasedIpv4([lease("ack", "10.0.0.7"), lease("released", "10.0.0.7")]), null);
  assert.equal(leasedIpv4([lease("ack", "10.0.0.7"), lease("declined", "10.0.0.7")]), null);
  // A release of an older address leaves the newer lease standing.
  assert.equal(
    leasedIpv4([lease("ack", "10.0.0.7"), lease("ack", "10.0.0.8"), lease("released", "10.0.0.7")]),
    "10.0.0.8",
  );
  assert.equal(
    leasedIpv4([
      lease("ack", "10.0.0.7"),
      lease("released", "10.0.0.7"),
      lease("ack", "10.0.0.7", 2),
    ]),
    "10.0.0.7",
    "leased again, in a later generation",
  );
  assert.equal(leasedIpv4([lease("ack", "10.0.0.7"), lease("in use", "10.0.0.9")]), "10.0.0.7");
});

test("leasedIpv4: a lease that ran out unrenewed is not shown; a renewal moves its end", () => {
  const ack = (ip: string, until?: string) =>
    event({
      at: "t",
      generation: 1,
      state: "registered",
      type: "dhcp-lease",
      lease: "ack",
      ip,
      until,
    });
  const noon = Date.parse("2026-12-02T12:00:00Z");
  assert.equal(leasedIpv4([ack("10.0.0.7", "2026-12-02T13:00:00.000Z")], noon), "10.0.0.7");
  assert.equal(leasedIpv4([ack("10.0.0.7", "2026-12-02T11:59:59.999Z")], noon), null, "ran out");
  assert.equal(leasedIpv4([ack("10.0.0.7", "2026-12-02T12:00:00.000Z")], noon), null, "ends now");
  assert.equal(
    leasedIpv4(
      [ack("10.0.0.7", "2026-12-02T11:00:00Z"), ack("10.0.0.7", "2026-12-02T13:00:00Z")],
      noon,
    ),
    "10.0.0.7",
    "renewed before it ran out",
  );
  assert.equal(
    leasedIpv4(
      [ack("10.0.0.7", "2026-12-02T13:00:00Z"), ack("10.0.0.8", "2026-12-02T11:00:00Z")],
      noon,
    ),
    null,
    "the last ack decides",
  );
  // Acks from before leases carried their end, or with an unreadable one: still shown.
  assert.equal(leasedIpv4([ack("10.0.0.7")], noon), "10.0.0.7");
  assert.equal(leasedIpv4([ack("10.0.0.7", "soon")], noon), "10.0.0.7");
});

test("stepText says what a power action did, and why one failed, without file paths", () => {
  const base = { at: "t", generation: 1, state: "registered", type: "power" };
  assert.equal(
    stepText(
      event({
        ...base,
        action: "arm",
        trigger: "registration",
        ok: true,
        sent: ["pxe-once", "on"],
        power: "on",
      }),
    ),
    "power arm (registration): pxe-once, on, power on",
  );
  assert.equal(
    stepText(event({ ...base, action: "ensure-on", trigger: "reapply", ok: true, sent: [] })),
    "power ensure-on (reapply): nothing to send",
  );
  const failed = stepText(
    event({
      ...base,
      action: "arm",
      trigger: "rearm",
      ok: false,
      sent: [],
      error: {
        kind: "auth",
        message:
          'power arm of web-1 through BMC 10.0.9.12:623 failed: "status": the BMC refused the password; check the user name and the password file (user "admin", /etc/landscaper/bmc-web-1)',
      },
    }),
  );
  assert.equal(
    failed,
    'power arm (rearm) failed (auth): power arm of web-1 through BMC 10.0.9.12:623 failed: "status": the BMC refused the password; check the user name and the password file (user "admin", [path])',
  );
});

test("stepText says what each boot step was", () => {
  const base = { at: "t", generation: 1, state: "registered" };
  assert.equal(
    stepText(
      event({
        ...base,
        type: "dhcp",
        clientKind: "pxe-bios",
        arch: 0,
        file: "undionly.kpxe",
        port: 67,
      }),
    ),
    "DHCP answer to pxe-bios (arch 0): undionly.kpxe on port 67",
  );
  assert.equal(
    stepText(
      event({
        ...base,
        type: "tftp",
        file: "snponly.efi",
        outcome: "complete",
        bytes: 2048,
        ms: 12.4,
      }),
    ),
    "TFTP snponly.efi complete, 2.0 KiB in 12 ms",
  );
  assert.equal(
    stepText(event({ ...base, type: "failed", message: "x landscaper.token=s" })),
    "failed: x landscaper.token=[hidden]",
  );
  assert.equal(
    stepText(
      event({
        ...base,
        type: "warning",
        reason: "script-refused",
        client: "10.0.0.9",
        owner: "02:00:00:00:00:09",
      }),
    ),
    "warning: install script refused to 10.0.0.9 (02:00:00:00:00:09), not this machine",
  );
  assert.match(
    stepText(event({ ...base, type: "warning", reason: "job-fetched-again" })),
    /someone else may have them/,
  );
});

test("a key inside a log's tail, or straddling its cut, never shows", () => {
  const key =
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nSECRETBODY\n-----END OPENSSH PRIVATE KEY-----";
  const lines = (n: number) => Array.from({ length: n }, (_, i) => `line ${i}`);
  // Inside the tail: only scrubbing hides it.
  const inside = logTail(["start", key, ...lines(10)].join("\n"))!;
  assert.ok(inside.includes("[private key hidden]") && !inside.includes("SECRETBODY"), inside);
  // The tail's first lines are the key's body and END, its BEGIN line is cut away: only
  // scrubbing before cutting hides it.
  const straddling = logTail(["start", key, ...lines(LOG_TAIL_LINES - 2)].join("\n"))!;
  assert.ok(!straddling.includes("SECRETBODY"), straddling);
  assert.ok(straddling.endsWith(`line ${LOG_TAIL_LINES - 3}`));
  // Stored logs are cut to their tail: the BEGIN line may be gone.
  assert.ok(
    !scrubSecrets("SECRETBODY\n-----END OPENSSH PRIVATE KEY-----\nafter").includes("SECRETBODY"),
  );
  assert.match(scrubSecrets("SECRETBODY\n-----END OPENSSH PRIVATE KEY-----\nafter"), /after$/);
});

test("stepText says server mode's lease events with the address", () => {
  const base = { at: "t", generation: 1, state: "registered", type: "dhcp-lease" };
  const text = (lease: string) => stepText(event({ ...base, lease, ip: "10.79.0.101" }));
  assert.equal(text("ack"), "DHCP address 10.79.0.101 leased");
  assert.equal(text("released"), "DHCP address 10.79.0.101 released");
  assert.equal(text("declined"), "DHCP address 10.79.0.101 declined by the machine (in use)");
  assert.equal(text("in use"), "DHCP address 10.79.0.101 answers ping: not offered");
});
