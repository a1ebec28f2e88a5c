import { test } from "node:test";
import assert from "node:assert/strict";
import { create, errorOf, outputsOf, runProvider, update } from "./harness.js";

const MAC = "52:54:00:12:34:56";
const pxe = { mac: MAC, kernel: "/nix/store/k/bzImage", initrd: "/nix/store/i/initrd" };

test("one response line per request, in order, until EOF; stdout carries only protocol lines", async () => {
  const run = await runProvider([
    create("ssh_keypair", {}),
    create("nope", {}),
    "",
    create("ssh_keypair", { comment: "x" }),
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.responses.length, 3, "a blank line is not a request");
  outputsOf(run.responses[0]);
  errorOf(run.responses[1]);
  assert.match(outputsOf(run.responses[2]).publicKey as string, / x$/);
  assert.match(run.stderr, /"msg":"request"/, "logs go to stderr");
});

test("an unknown resource type is an error naming the type and the known ones", async () => {
  const run = await runProvider([create("ssh_keypairs", {}), update("pxe", {}, {}, {})]);
  assert.match(errorOf(run.responses[0]), /unknown resource type "ssh_keypairs".*ssh_keypair/);
  assert.match(errorOf(run.responses[1]), /unknown resource type "pxe"/);
});

test("missing, unknown and wrongly typed inputs are errors naming the input", async () => {
  const run = await runProvider([
    create("pxe_nbp", { mac: MAC, kernel: "/k" }),
    create("pxe_nbp", { ...pxe, kernal: "/k" }),
    create("pxe_nbp", { ...pxe, reinstall: "1" }),
    create("pxe_nbp", { ...pxe, mac: "not-a-mac" }),
    create("ssh_keypair", { keyType: "rsa" }),
    create("ssh_keypair", { comment: 7 }),
    create("ssh_host_public_key", { host: "h" }),
    create("ssh_host_public_key", {
      host: "h",
      expectedHostPublicKey: "ssh-ed25519 AAAA",
      port: 1.5,
    }),
    create("ssh_host_public_key", { host: "h", expectedHostPublicKey: "ssh-ed25519 !!" }),
    create("ssh_host_public_key", {
      host: "h",
      expectedHostPublicKey:
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOpcdZBihhA+BTYgBvFJm38HISlViGYk5DYNipf1vaL2",
      privateKey: "SECRET-NOT-A-KEY",
    }),
  ]);
  assert.equal(run.code, 0, run.stderr);
  const msgs = run.responses.map(errorOf);
  assert.match(msgs[0]!, /pxe_nbp: missing required input initrd/);
  assert.match(msgs[1]!, /pxe_nbp: unknown input "kernal"/);
  assert.match(msgs[2]!, /pxe_nbp: input reinstall must be an integer, got a string/);
  assert.match(msgs[3]!, /pxe_nbp: input mac "not-a-mac" is not a MAC address/);
  assert.match(msgs[4]!, /ssh_keypair: input keyType "rsa" is not supported/);
  assert.match(msgs[5]!, /ssh_keypair: input comment must be a string, got a number/);
  assert.match(msgs[6]!, /ssh_host_public_key: missing required input expectedHostPublicKey/);
  assert.match(msgs[7]!, /input (port must be an integer|expectedHostPublicKey)/);
  assert.match(msgs[8]!, /input expectedHostPublicKey is not an OpenSSH public key/);
  assert.match(msgs[9]!, /input privateKey is not a usable/);
  assert.ok(!run.stdout.includes("SECRET-NOT-A-KEY"), "an input's value is never echoed");
});

test("a stateless create of a type that keeps state is refused", async () => {
  const run = await runProvider([
    create("ssh_keypair", {}, false),
    create("pxe_nbp", pxe, false),
    create("ssh_host_public_key", {}, false),
  ]);
  for (const r of run.responses)
    assert.match(errorOf(r), /keeps state.*declare the resource stateful/);
});

test("JSON that is not a request gets an errorResponse; state-provider requests are refused", async () => {
  const run = await runProvider(
    [
      {},
      { createResourceRequest: { type: "ssh_keypair", inputProperties: {} } },
      {
        createResourceRequest: { type: "ssh_keypair", inputProperties: {}, isStateful: true, x: 1 },
      },
      { stateResourceReadRequest: { resource: { type: "ssh_keypair", inputProperties: {} } } },
      [1],
    ],
    { requestsConform: false },
  );
  assert.equal(run.code, 0);
  const msgs = run.responses.map(errorOf);
  assert.match(msgs[0]!, /needs exactly one of createResourceRequest/);
  assert.match(msgs[1]!, /missing field isStateful/);
  assert.match(msgs[2]!, /unknown field "x"/);
  assert.match(msgs[3]!, /not a state provider/);
  assert.match(msgs[4]!, /must be a JSON object/);
});

test("a line that is not JSON is reported on stderr and ends the process non-zero", async () => {
  const run = await runProvider([
    create("ssh_keypair", {}),
    "this is not json",
    create("ssh_keypair", {}),
  ]);
  assert.equal(run.responses.length, 1, "the request before the bad line is answered, none after");
  assert.notEqual(run.code, 0);
  assert.match(run.stderr, /line 2: request line is not JSON/);
});

test("pxe_nbp: an unreachable control socket names the path and what to check", async () => {
  const run = await runProvider(
    [create("pxe_nbp", pxe), create("pxe_nbp", { ...pxe, socket: "/nonexistent/other.sock" })],
    { env: { LANDSCAPER_SOCKET: "/nonexistent/env.sock" } },
  );
  assert.match(
    errorOf(run.responses[0]),
    /cannot reach the control socket \/nonexistent\/env\.sock.*landscaper serve/,
  );
  assert.match(errorOf(run.responses[1]), /\/nonexistent\/other\.sock/);
});
