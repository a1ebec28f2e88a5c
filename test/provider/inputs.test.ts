import { test } from "node:test";
import assert from "node:assert/strict";
import type { JsonObject } from "../../src/provider/protocol.js";
import {
  checkPxeNbpInputs,
  checkSshHostPublicKeyInputs,
  checkSshKeypairInputs,
  DEFAULT_HOST_KEY_PATH,
  DEFAULT_RELOAD_COMMAND,
  DEFAULT_TIMEOUT_SECONDS,
  InputError,
} from "../../src/provider/inputs.js";
import { generateEd25519 as generateKeyPair } from "../../src/core/openssh-keys.js";
import { FAULTS, HOST_KEY, host, pxe } from "./input-faults.js";

/** The same table as provider-errors, in-process, so mutation testing sees these checks. */
const CHECK: Record<string, (p: JsonObject) => unknown> = {
  pxe_nbp: checkPxeNbpInputs,
  ssh_keypair: checkSshKeypairInputs,
  ssh_host_public_key: checkSshHostPublicKeyInputs,
};

test("input checks: each fault row throws an InputError with exactly its message", () => {
  for (const [type, inputs, message] of FAULTS) {
    assert.throws(
      () => CHECK[type]!(inputs as JsonObject),
      (e: unknown) => e instanceof InputError && e.message === message,
      `${type} ${JSON.stringify(inputs)}: expected ${message}`,
    );
  }
});

test("input checks: valid inputs come back with defaults filled and nulls dropped", () => {
  assert.deepEqual(checkPxeNbpInputs({ ...pxe, hostname: null, cmdline: null }), {
    ...pxe,
    reinstall: 0,
  });
  const keys = generateKeyPair("c");
  const full = checkPxeNbpInputs({
    ...pxe,
    mac: "52-54-00-12-34-56",
    cmdline: "",
    hostname: "h",
    ipv4: "10.0.0.21",
    job: { a: 1 },
    socket: "/s",
    reinstall: 3,
    installationHostKey: { publicKey: ` ${keys.publicKey} `, privateKey: keys.privateKey },
  });
  assert.deepEqual(full, {
    ...pxe,
    cmdline: "",
    hostname: "h",
    ipv4: "10.0.0.21",
    job: { a: 1 },
    socket: "/s",
    reinstall: 3,
    installationHostKey: { publicKey: keys.publicKey, privateKey: keys.privateKey },
  });
  const other = generateKeyPair("d");
  assert.throws(
    () =>
      checkPxeNbpInputs({
        ...pxe,
        installationHostKey: { publicKey: other.publicKey, privateKey: keys.privateKey },
      }),
    {
      message: "pxe_nbp: input installationHostKey: publicKey is not the public half of privateKey",
    },
  );

  assert.deepEqual(checkSshKeypairInputs({}), { keyType: "ed25519", comment: "" });
  assert.deepEqual(checkSshKeypairInputs({ keyType: "ed25519", comment: "x y" }), {
    keyType: "ed25519",
    comment: "x y",
  });

  assert.deepEqual(
    checkSshHostPublicKeyInputs({ ...host, expectedHostPublicKey: ` ${HOST_KEY}\n` }),
    {
      ...host,
      port: 22,
      user: "root",
      hostKeyPath: DEFAULT_HOST_KEY_PATH,
      reloadCommand: DEFAULT_RELOAD_COMMAND,
      timeout: DEFAULT_TIMEOUT_SECONDS,
    },
  );
  const every = {
    ...host,
    port: 65535,
    user: "u",
    privateKey: keys.privateKey,
    hostKeyPath: "/k",
    reloadCommand: "true",
    mac: "52:54:00:12:34:56",
    socket: "/s",
    timeout: 0.5,
  };
  assert.deepEqual(checkSshHostPublicKeyInputs(every), every);
  assert.equal(checkSshHostPublicKeyInputs({ ...host, port: 1, privateKeyFile: "/f" }).port, 1);
  assert.equal(checkSshHostPublicKeyInputs({ ...host, privateKeyFile: "/f" }).privateKeyFile, "/f");
});
