// What a PUT /v1/machines/MAC body may say: each field's refusal, one fault per row with
// its whole message, and what an accepted body becomes.
import { test } from "node:test";
import { parseIp4 } from "../../src/core/ipv4.js";
import assert from "node:assert/strict";
import { InvalidRegistration, parseRegistration } from "../../src/registry/registration.js";
import { generateEd25519 } from "../../src/core/openssh-keys.js";
import { parseBmc } from "../../src/power/bmc.js";

const base = { kernel: "/srv/k", initrd: "/srv/i" };
const key = generateEd25519("install@web-1");
const bmc = { protocol: "ipmi", address: "10.0.0.5", username: "admin", passwordFile: "/run/pw" };

/** The refusal of `body`: its field and message (the test fails if it is accepted). */
function refusal(body: unknown): { field: string; message: string } {
  try {
    parseRegistration(body);
  } catch (e) {
    assert.ok(e instanceof InvalidRegistration, `not an InvalidRegistration: ${String(e)}`);
    assert.equal(e.name, "InvalidRegistration");
    assert.equal(e.status, 400);
    assert.deepEqual(e.extra, { field: e.field });
    return { field: e.field, message: e.message };
  }
  assert.fail(`accepted: ${JSON.stringify(body)}`);
}

const label63 = "a".repeat(63);
/** A host name of exactly `n` characters, in labels of at most 63. */
function hostnameOf(n: number): string {
  const labels: string[] = [];
  let left = n;
  while (left > 0) {
    const len = Math.min(63, left);
    labels.push("b".repeat(len));
    left -= len + 1; // the dot before the next label
  }
  return labels.join(".");
}

test("each bad field is refused with its name and a message saying what is wrong", () => {
  const rows: [unknown, string, string][] = [
    [null, "body", "body: expected a JSON object {kernel, initrd, ...}"],
    [[base], "body", "body: expected a JSON object {kernel, initrd, ...}"],
    ["kernel=/k", "body", "body: expected a JSON object {kernel, initrd, ...}"],
    [{ initrd: "/i" }, "kernel", "kernel: required: an absolute path on the appliance"],
    [{ ...base, kernel: "" }, "kernel", "kernel: required: an absolute path on the appliance"],
    [{ ...base, kernel: 7 }, "kernel", "kernel: required: an absolute path on the appliance"],
    [{ ...base, kernel: "k" }, "kernel", 'kernel: expected an absolute path, got "k"'],
    [{ ...base, kernel: "/k\0" }, "kernel", 'kernel: expected an absolute path, got "/k\\u0000"'],
    [{ kernel: "/k" }, "initrd", "initrd: required: an absolute path on the appliance"],
    [{ ...base, initrd: "i" }, "initrd", 'initrd: expected an absolute path, got "i"'],
    [{ ...base, cmdline: 1 }, "cmdline", "cmdline: expected a string"],
    [{ ...base, cmdline: "a\nb" }, "cmdline", "cmdline: contains a newline"],
    [{ ...base, cmdline: "a\x07" }, "cmdline", "cmdline: contains a control character"],
    [
      { ...base, cmdline: "quiet landscaper.token=x" },
      "cmdline",
      "cmdline: landscaper.* parameters are added by Landscaper and may not be set",
    ],
    [
      { ...base, cmdline: "landscaper.x=1" },
      "cmdline",
      "cmdline: landscaper.* parameters are added by Landscaper and may not be set",
    ],
    [{ ...base, hostname: 5 }, "hostname", "hostname: expected a DNS host name, got 5"],
    [{ ...base, hostname: "" }, "hostname", 'hostname: expected a DNS host name, got ""'],
    [{ ...base, hostname: "-web" }, "hostname", 'hostname: expected a DNS host name, got "-web"'],
    [{ ...base, hostname: "web-" }, "hostname", 'hostname: expected a DNS host name, got "web-"'],
    [{ ...base, hostname: "a..b" }, "hostname", 'hostname: expected a DNS host name, got "a..b"'],
    [
      { ...base, hostname: `${label63}b` },
      "hostname",
      `hostname: expected a DNS host name, got "${label63}b"`,
    ],
    [
      { ...base, hostname: hostnameOf(254) },
      "hostname",
      `hostname: expected a DNS host name, got "${hostnameOf(254)}"`,
    ],
    [{ ...base, job: [] }, "job", "job: expected an object {steps, after?}"],
    [
      { ...base, job: { steps: [{ phase: "x" }] } },
      "job",
      "job.steps[0].run: expected a non-empty shell command",
    ],
    [
      { ...base, installationHostKey: "ssh-ed25519 AAAA" },
      "installationHostKey",
      "installationHostKey: expected {publicKey, privateKey}",
    ],
    [
      { ...base, installationHostKey: { ...key, comment: "x" } },
      "installationHostKey.comment",
      "installationHostKey.comment: unknown field",
    ],
    [
      { ...base, installationHostKey: { ...key, publicKey: "nope" } },
      "installationHostKey.publicKey",
      "installationHostKey.publicKey: expected an OpenSSH public key line (ssh-ed25519 AAAA...)",
    ],
    [
      { ...base, installationHostKey: { publicKey: key.publicKey } },
      "installationHostKey.privateKey",
      "installationHostKey.privateKey: expected an OpenSSH private key (-----BEGIN OPENSSH PRIVATE KEY-----)",
    ],
    [
      { ...base, installationHostKey: { ...key, privateKey: "-----BEGIN RSA PRIVATE KEY-----" } },
      "installationHostKey.privateKey",
      "installationHostKey.privateKey: expected an OpenSSH private key (-----BEGIN OPENSSH PRIVATE KEY-----)",
    ],
    [
      { ...base, bmc: { ...bmc, protocol: "redfish" } },
      "bmc.protocol",
      'bmc.protocol: expected "ipmi" (IPMI over LAN), got "redfish"',
    ],
  ];
  for (const [body, field, message] of rows)
    assert.deepEqual(refusal(body), { field, message }, JSON.stringify(body));
  // The unknown-field message lists the known fields (the list grows with the API).
  const unknown = refusal({ ...base, colour: "red" });
  assert.equal(unknown.field, "colour");
  assert.match(unknown.message, /^colour: unknown field \(known: kernel, initrd, cmdline, /);
});

test("an accepted body: every field kept, cmdline and public key trimmed, absent ones null", () => {
  assert.deepEqual(parseRegistration(base), {
    ...base,
    cmdline: "",
    hostname: null,
    ipv4: null,
    job: null,
    installationHostKey: null,
    bmc: null,
  });
  const nulls = {
    cmdline: null,
    hostname: null,
    ipv4: null,
    job: null,
    installationHostKey: null,
    bmc: null,
  };
  assert.deepEqual(parseRegistration({ ...base, ...nulls }), { ...base, ...nulls, cmdline: "" });
  const job = { steps: [{ phase: "disko", run: "true", progress: 10 }], after: "none" };
  assert.deepEqual(
    parseRegistration({
      ...base,
      cmdline: "  console=ttyS0 xlandscaper.y=1 ",
      hostname: hostnameOf(253),
      ipv4: "10.0.0.21",
      job,
      installationHostKey: { publicKey: ` ${key.publicKey}\n`, privateKey: key.privateKey },
      bmc,
    }),
    {
      ...base,
      cmdline: "console=ttyS0 xlandscaper.y=1",
      hostname: hostnameOf(253),
      ipv4: parseIp4("10.0.0.21"),
      job,
      installationHostKey: { publicKey: key.publicKey, privateKey: key.privateKey },
      bmc: parseBmc(bmc),
    },
  );
  for (const hostname of ["a", "Web-1.Example.org", `${label63}.b`, "1.2.3.4"])
    assert.equal(parseRegistration({ ...base, hostname }).hostname, hostname);
});
