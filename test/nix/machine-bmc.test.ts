// The machine component's `bmc` (nixos/machine.nix), evaluated as `nixops4 apply` evaluates
// it (test/nix/eval/deployment.nix: the template's deployment with the real component), and
// what the provider makes of the pxe_nbp input it becomes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkPxeNbpInputs } from "../../src/provider/inputs.js";
import { evalExpr, evalJson } from "./nix-tools.js";

interface Tree {
  resource?: { inputs: Record<string, unknown> };
  members?: Record<string, Tree>;
}

const withBmc = (bmc: string) =>
  `{ extraModules = [ { landscaper.machines.web1.bmc = { ${bmc} }; } ]; }`;

function nbpInputs(extra = "{ }"): Record<string, unknown> {
  const tree = evalJson("deployment.nix", "eval.export", extra) as Tree;
  return tree.members!.web1!.members!.installation_pxe_nbp!.resource!.inputs;
}

test("without a bmc the registration carries none", () => {
  assert.equal(nbpInputs().bmc, null);
});

test("bmc becomes the pxe_nbp input: unset fields left to Landscaper's defaults", () => {
  const inputs = nbpInputs(
    withBmc(
      `address = "10.0.9.12"; username = "admin"; passwordFile = "/run/keys/bmc-web1"; cipherSuite = 3;`,
    ),
  );
  assert.deepEqual(inputs.bmc, {
    protocol: "ipmi",
    address: "10.0.9.12",
    username: "admin",
    passwordFile: "/run/keys/bmc-web1",
    cipherSuite: 3,
  });
  // The provider checks it as the control API does, and fills in port and firmware.
  // (kernel, initrd and the key pair are placeholders until the earlier members apply.)
  const checked = checkPxeNbpInputs({
    mac: "52:54:00:12:34:56",
    kernel: "/k",
    initrd: "/i",
    bmc: inputs.bmc,
  });
  assert.deepEqual(checked.bmc, {
    protocol: "ipmi",
    address: "10.0.9.12",
    port: 623,
    username: "admin",
    passwordFile: "/run/keys/bmc-web1",
    cipherSuite: 3,
    firmware: "uefi",
  });
});

test("a BMC password file in the Nix store is refused at evaluation", () => {
  const r = evalExpr(
    "deployment.nix",
    "eval.export",
    withBmc(
      `address = "10.0.9.12"; username = "admin"; passwordFile = "/nix/store/00000000000000000000000000000000-pw";`,
    ),
  );
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /bmc\.passwordFile .* is in the Nix store/);
});

test("the provider refuses a bmc the control API would refuse, naming the field", () => {
  assert.throws(
    () =>
      checkPxeNbpInputs({
        mac: "52:54:00:12:34:56",
        kernel: "/k",
        initrd: "/i",
        bmc: { protocol: "ipmi", address: "10.0.9.12", username: "admin", passwordFile: "pw" },
      }),
    /pxe_nbp: input bmc\.passwordFile: expected an absolute path/,
  );
});
