// The machine component's `ipv4` (nixos/machine.nix): `host` becomes the pxe_nbp input
// `ipv4` when it is an IPv4 address, evaluated as `nixops4 apply` evaluates it
// (test/nix/eval/deployment.nix: the template's deployment with the real component), and
// the provider takes what it becomes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkPxeNbpInputs } from "../../src/provider/inputs.js";
import { evalJson } from "./nix-tools.js";

interface Tree {
  resource?: { inputs: Record<string, unknown> };
  members?: Record<string, Tree>;
}

/** The pxe_nbp inputs of web1, with more definitions for the template's entry and the component. */
function nbpInputs(machine = "", component = ""): Record<string, unknown> {
  const extra = `{ extraModules = [ ({ lib, ... }: { landscaper.machines.web1 = { ${machine} }; members.web1 = { ${component} }; }) ]; }`;
  const tree = evalJson("deployment.nix", "eval.export", extra) as Tree;
  return tree.members!.web1!.members!.installation_pxe_nbp!.resource!.inputs;
}

test("an IPv4 host is the machine's reserved address", () => {
  const inputs = nbpInputs(); // host = "192.168.10.21"
  assert.equal(inputs.ipv4, "192.168.10.21");
  const checked = checkPxeNbpInputs({
    mac: "52:54:00:12:34:56",
    kernel: "/k",
    initrd: "/i",
    ipv4: inputs.ipv4,
  });
  assert.equal(checked.ipv4, "192.168.10.21");
});

test("a DNS name, an IPv6 address or something only like an IPv4 address reserves nothing", () => {
  for (const host of ["web1.example.org", "2001:db8::21", "192.168.10.256", "192.168.010.21"])
    assert.equal(nbpInputs(`host = lib.mkForce "${host}";`).ipv4, null, host);
});

test("the component's ipv4 set by hand wins over host; null turns the reservation off", () => {
  assert.equal(nbpInputs("", `ipv4 = "192.168.10.99";`).ipv4, "192.168.10.99");
  assert.equal(nbpInputs("", `ipv4 = null;`).ipv4, null);
});
