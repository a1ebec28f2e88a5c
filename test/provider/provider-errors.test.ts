import { test } from "node:test";
import assert from "node:assert/strict";
import { create, errorOf, outputsOf, runProvider, update } from "./harness.js";
import { FAULTS, HOST_KEY, host, pxe } from "./input-faults.js";

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

test("input faults, one per row: each is an error with exactly its message", async () => {
  const run = await runProvider(FAULTS.map(([type, inputs]) => create(type, inputs)));
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.responses.length, FAULTS.length);
  FAULTS.forEach(([type, inputs, message], i) =>
    assert.equal(errorOf(run.responses[i]), message, `${type} ${JSON.stringify(inputs)}`),
  );
});

test("key inputs that do not parse are errors naming the input, never echoing its value", async () => {
  const run = await runProvider([
    create("ssh_host_public_key", { host: "h", expectedHostPublicKey: "ssh-ed25519 !!" }),
    create("ssh_host_public_key", { ...host, privateKey: "SECRET-NOT-A-KEY" }),
    create("pxe_nbp", {
      ...pxe,
      installationHostKey: { publicKey: HOST_KEY, privateKey: "SECRET-NOT-A-KEY" },
    }),
  ]);
  assert.equal(run.code, 0, run.stderr);
  const msgs = run.responses.map(errorOf);
  assert.match(
    msgs[0]!,
    /^ssh_host_public_key: input expectedHostPublicKey is not an OpenSSH public key: ./,
  );
  assert.match(
    msgs[1]!,
    /^ssh_host_public_key: input privateKey is not a usable unencrypted private key: ./,
  );
  assert.match(msgs[2]!, /^pxe_nbp: input installationHostKey\.privateKey: ./);
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
