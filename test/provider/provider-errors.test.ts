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

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOpcdZBihhA+BTYgBvFJm38HISlViGYk5DYNipf1vaL2";
const host = { host: "h", expectedHostPublicKey: HOST_KEY };
const PXE_INPUTS =
  "mac, kernel, initrd, cmdline, hostname, job, installationHostKey, socket, reinstall";

/**
 * One fault per row, every other input valid, and the whole message: a row can only pass
 * by the check it names (a regex could be met by another input's error).
 */
const FAULTS: [type: string, inputs: object, message: string][] = [
  ["pxe_nbp", { mac: MAC, kernel: "/k" }, "pxe_nbp: missing required input initrd"],
  [
    "pxe_nbp",
    { ...pxe, kernal: "/k" },
    `pxe_nbp: unknown input "kernal" (known inputs: ${PXE_INPUTS})`,
  ],
  [
    "pxe_nbp",
    { ...pxe, reinstall: "1" },
    "pxe_nbp: input reinstall must be an integer, got a string",
  ],
  [
    "pxe_nbp",
    { ...pxe, reinstall: 1.5 },
    "pxe_nbp: input reinstall must be an integer, got a non-integer number",
  ],
  ["pxe_nbp", { ...pxe, reinstall: -1 }, "pxe_nbp: input reinstall must be 0 or more"],
  [
    "pxe_nbp",
    { ...pxe, mac: "not-a-mac" },
    'pxe_nbp: input mac "not-a-mac" is not a MAC address (use aa:bb:cc:dd:ee:ff)',
  ],
  ["pxe_nbp", { ...pxe, kernel: " " }, "pxe_nbp: input kernel must not be empty"],
  ["pxe_nbp", { ...pxe, initrd: "" }, "pxe_nbp: input initrd must not be empty"],
  ["pxe_nbp", { ...pxe, hostname: "" }, "pxe_nbp: input hostname must not be empty"],
  ["pxe_nbp", { ...pxe, socket: " " }, "pxe_nbp: input socket must not be empty"],
  ["pxe_nbp", { ...pxe, cmdline: 1 }, "pxe_nbp: input cmdline must be a string, got a number"],
  ["pxe_nbp", { ...pxe, job: [1] }, "pxe_nbp: input job must be an object, got an array"],
  [
    "pxe_nbp",
    { ...pxe, installationHostKey: { publicKey: HOST_KEY, privateKey: "k", x: 1 } },
    'pxe_nbp: input installationHostKey has unknown field "x" (expected publicKey, privateKey)',
  ],
  [
    "pxe_nbp",
    { ...pxe, installationHostKey: { publicKey: 1, privateKey: "k" } },
    "pxe_nbp: input installationHostKey.publicKey must be a string, got a number",
  ],
  [
    "pxe_nbp",
    { ...pxe, installationHostKey: { publicKey: HOST_KEY } },
    "pxe_nbp: input installationHostKey.privateKey must be a string, got a undefined",
  ],
  [
    "ssh_keypair",
    { keyType: "rsa" },
    'ssh_keypair: input keyType "rsa" is not supported (only "ed25519")',
  ],
  ["ssh_keypair", { comment: 7 }, "ssh_keypair: input comment must be a string, got a number"],
  ["ssh_keypair", { comment: "a\nb" }, "ssh_keypair: input comment must be one line"],
  ["ssh_keypair", { comment: "a\rb" }, "ssh_keypair: input comment must be one line"],
  [
    "ssh_host_public_key",
    { host: "h" },
    "ssh_host_public_key: missing required input expectedHostPublicKey",
  ],
  [
    "ssh_host_public_key",
    { ...host, host: " " },
    "ssh_host_public_key: input host must not be empty",
  ],
  [
    "ssh_host_public_key",
    { ...host, port: 1.5 },
    "ssh_host_public_key: input port must be an integer, got a non-integer number",
  ],
  [
    "ssh_host_public_key",
    { ...host, port: "22" },
    "ssh_host_public_key: input port must be an integer, got a string",
  ],
  ["ssh_host_public_key", { ...host, port: 0 }, "ssh_host_public_key: input port must be 1..65535"],
  [
    "ssh_host_public_key",
    { ...host, port: 65536 },
    "ssh_host_public_key: input port must be 1..65535",
  ],
  [
    "ssh_host_public_key",
    { ...host, user: "" },
    "ssh_host_public_key: input user must not be empty",
  ],
  [
    "ssh_host_public_key",
    { ...host, timeout: 0 },
    "ssh_host_public_key: input timeout must be a positive number of seconds",
  ],
  [
    "ssh_host_public_key",
    { ...host, timeout: "9" },
    "ssh_host_public_key: input timeout must be a number, got a string",
  ],
  [
    "ssh_host_public_key",
    { ...host, hostKeyPath: "etc/ssh/key" },
    "ssh_host_public_key: input hostKeyPath must be an absolute path",
  ],
  [
    "ssh_host_public_key",
    { ...host, hostKeyPath: "/etc/a\nb" },
    "ssh_host_public_key: input hostKeyPath must be an absolute path",
  ],
  [
    "ssh_host_public_key",
    { ...host, reloadCommand: " " },
    "ssh_host_public_key: input reloadCommand must not be empty",
  ],
  [
    "ssh_host_public_key",
    { ...host, privateKey: "k", privateKeyFile: "/k" },
    "ssh_host_public_key: give at most one of the inputs privateKey and privateKeyFile",
  ],
  [
    "ssh_host_public_key",
    { ...host, privateKeyFile: "k" },
    "ssh_host_public_key: input privateKeyFile must be an absolute path",
  ],
  [
    "ssh_host_public_key",
    { ...host, mac: "x" },
    'ssh_host_public_key: input mac "x" is not a MAC address (use aa:bb:cc:dd:ee:ff)',
  ],
  [
    "ssh_host_public_key",
    { ...host, socket: "" },
    "ssh_host_public_key: input socket must not be empty",
  ],
];

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
