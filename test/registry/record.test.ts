// A machine record's life outside the registry's locks: created from a registration,
// changed by a new one (or not, when it says the same), and shown without its secrets.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  applyRegistration,
  newInstallToken,
  newRecord,
  toView,
} from "../../src/registry/record.js";
import { parseRegistration } from "../../src/registry/registration.js";
import { generateEd25519, publicKeyIdentity } from "../../src/core/openssh-keys.js";
import { parseMac } from "../../src/core/mac.js";
import type { Registration } from "../../src/registry/machine.js";

const mac = parseMac("52:54:00:00:00:01")!;
const reg = (body: Record<string, unknown> = {}): Registration =>
  parseRegistration({ kernel: "/k", initrd: "/i", ...body });
const bmc = { protocol: "ipmi", address: "10.0.0.5", username: "u", passwordFile: "/run/pw" };

test("an install token is 192 random bits, URL- and cmdline-safe", () => {
  const tokens = new Set(Array.from({ length: 50 }, () => newInstallToken()));
  assert.equal(tokens.size, 50);
  for (const t of tokens) assert.match(t, /^[A-Za-z0-9_-]{32}$/);
});

test("a new record: generation 1, registered, armed now, the registration's fields", () => {
  const r = newRecord(mac, reg({ cmdline: "quiet", hostname: "web-1", bmc }), "T");
  const { installationHostKey, token, ...rest } = r;
  assert.match(token, /^[A-Za-z0-9_-]{32}$/);
  assert.deepEqual(rest, {
    mac,
    kernel: "/k",
    initrd: "/i",
    cmdline: "quiet",
    hostname: "web-1",
    ipv4: null,
    job: null,
    hostKeyGiven: false,
    generation: 1,
    state: "registered",
    phase: null,
    progress: null,
    failure: null,
    hostPublicKey: null,
    registeredAt: "T",
    armedAt: "T",
    updatedAt: "T",
    bootStartedAt: null,
    keyHandedOutAt: null,
    bmc: reg({ bmc }).bmc,
    events: [],
  });
  // Generated, named for the host (or the MAC when it has no name).
  assert.notEqual(publicKeyIdentity(installationHostKey.publicKey), null);
  assert.match(installationHostKey.publicKey, / landscaper-install@web-1$/);
  assert.match(
    newRecord(mac, reg(), "T").installationHostKey.publicKey,
    / landscaper-install@52:54:00:00:00:01$/,
  );
  const given = generateEd25519("mine");
  const withKey = newRecord(mac, reg({ installationHostKey: given }), "T");
  assert.equal(withKey.hostKeyGiven, true);
  assert.deepEqual(withKey.installationHostKey, given);
});

test("a registration saying the same changes nothing; each field that differs is applied", () => {
  const body = { cmdline: "quiet", hostname: "web-1", job: { steps: [] }, bmc };
  const r = newRecord(mac, reg(body), "T");
  const key = r.installationHostKey;
  assert.equal(applyRegistration(r, reg(body)), false);
  assert.equal(
    applyRegistration(r, reg({ ...body, bmc: undefined, job: null, cmdline: "quiet" })),
    true,
  );
  assert.deepEqual([r.bmc, r.job], [null, null]);
  const changes: [string, unknown, keyof typeof r][] = [
    ["kernel", "/k2", "kernel"],
    ["initrd", "/i2", "initrd"],
    ["cmdline", "loud", "cmdline"],
    ["hostname", "web-2", "hostname"],
    ["job", { steps: [{ phase: "a", run: "true" }] }, "job"],
    ["bmc", { ...bmc, port: 624 }, "bmc"],
  ];
  for (const [field, value, key] of changes) {
    const before = newRecord(mac, reg(body), "T");
    const next = reg({ ...body, [field]: value });
    assert.equal(applyRegistration(before, next), true, field);
    assert.deepEqual(before[key], next[key as keyof Registration], field);
    assert.equal(applyRegistration(before, next), false, `${field} again`);
  }
  // Without a key in the registration, the generated one stays.
  assert.deepEqual(r.installationHostKey, key);
  // An older state file has no bmc: the same as none.
  const old = newRecord(mac, reg(), "T");
  delete old.bmc;
  assert.equal(applyRegistration(old, reg()), false);
});

test("a host key brought, replaced or dropped is applied, and counts as not handed out", () => {
  const r = newRecord(mac, reg(), "T");
  const generated = r.installationHostKey;
  r.keyHandedOutAt = "H";
  const given = generateEd25519("given");
  assert.equal(applyRegistration(r, reg({ installationHostKey: given })), true);
  assert.deepEqual([r.installationHostKey, r.hostKeyGiven, r.keyHandedOutAt], [given, true, null]);
  r.keyHandedOutAt = "H";
  assert.equal(applyRegistration(r, reg({ installationHostKey: given })), false);
  assert.equal(r.keyHandedOutAt, "H");
  const other = generateEd25519("other");
  assert.equal(applyRegistration(r, reg({ installationHostKey: other })), true);
  assert.deepEqual([r.installationHostKey, r.keyHandedOutAt], [other, null]);
  r.keyHandedOutAt = "H";
  // Dropped: a fresh generated key, neither the given one nor the first generated one.
  assert.equal(applyRegistration(r, reg()), true);
  assert.equal(r.hostKeyGiven, false);
  assert.equal(r.keyHandedOutAt, null);
  assert.notEqual(r.installationHostKey.publicKey, other.publicKey);
  assert.notEqual(r.installationHostKey.publicKey, generated.publicKey);
  // A generated key is replaced by a given one even if it were the same line.
  const g = newRecord(mac, reg(), "T");
  assert.equal(applyRegistration(g, reg({ installationHostKey: g.installationHostKey })), true);
  assert.equal(g.hostKeyGiven, true);
});

test("the view: no token, no private key; the public key, boot URL and a copy of the events", () => {
  const r = newRecord(mac, reg({ hostname: "web-1" }), "T");
  r.events.push({ at: "T", mac, generation: 1, type: "registered", state: "registered" });
  const v = toView(r, "http://x/boot/52:54:00:00:00:01.ipxe");
  assert.deepEqual(v, {
    mac,
    hostname: "web-1",
    ipv4: null,
    state: "registered",
    generation: 1,
    phase: null,
    progress: null,
    failure: null,
    bootUrl: "http://x/boot/52:54:00:00:00:01.ipxe",
    installationHostPublicKey: r.installationHostKey.publicKey,
    hostPublicKey: null,
    kernel: "/k",
    initrd: "/i",
    cmdline: "",
    job: null,
    registeredAt: "T",
    updatedAt: "T",
    bmc: null,
    leasedIpv4: null,
    events: r.events,
  });
  assert.notEqual(v.events, r.events);
  delete r.bmc;
  assert.equal(toView(r, "u").bmc, null);
});
