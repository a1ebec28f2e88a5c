// The machine component's optional DNS block (nixos/machine-dns.nix), evaluated as
// `nixops4 apply` evaluates it: the template's deployment through NixOps4's own
// mkRoot/evalRoot with the real machine component (test/nix/eval/deployment.nix), with
// `landscaper.machines.web1.dns` set by one more root module.
import { test } from "node:test";
import assert from "node:assert/strict";
import { evalExpr, evalJson } from "./nix-tools.js";

interface Resource {
  type: string;
  state: string[] | null;
  inputs: Record<string, unknown>;
}
interface Tree {
  resource?: Resource;
  members?: Record<string, Tree>;
}

/** `extra` for deployment.nix: one more root module setting web1's dns block, and dns_a
 * applied (NixOps4 evaluates the PTR only once the A record's outputs exist). */
const withDns = (dns: string) =>
  `{ extraModules = [ { landscaper.machines.web1.dns = { ${dns} }; } ];
     extraOutputs.web1.dns_a.fqdn = "web1.example.org."; }`;

/** web1's members as the resource tree NixOps4 receives them. */
function web1(extra = "{ }"): Record<string, Resource> {
  const tree = evalJson("deployment.nix", "eval.export", extra) as Tree;
  const members = tree.members!.web1!.members!;
  return Object.fromEntries(Object.entries(members).map(([k, v]) => [k, v.resource!]));
}

test("without dns.zone the machine declares no DNS records", () => {
  assert.deepEqual(Object.keys(web1()).sort(), [
    "installation_host_key",
    "installation_pxe_nbp",
    "nixos",
    "ssh_host_public_key",
  ]);
});

test("dns.zone declares the A record of host under the host name; reverseZone adds the PTR", () => {
  const m = web1(
    withDns(`zone = "example.org"; server = "192.0.2.53"; tsigKeyName = "deploy";
      tsigSecretFile = "/run/keys/deploy.secret"; reverseZone = "10.168.192.in-addr.arpa";`),
  );
  assert.equal(m.dns_a!.type, "dns_record_set");
  assert.deepEqual(m.dns_a!.state, ["landscaper_state"], "kept where the machine's state is");
  assert.deepEqual(m.dns_a!.inputs, {
    server: "192.0.2.53",
    zone: "example.org",
    name: "web1",
    type: "A",
    records: ["192.168.10.21"],
    ttl: null,
    tsigKeyName: "deploy",
    tsigAlgorithm: null,
    tsigSecretFile: "/run/keys/deploy.secret",
    present: null,
    overwrite: false,
  });
  const ptr = m.dns_ptr!.inputs;
  assert.equal(ptr.zone, "10.168.192.in-addr.arpa");
  assert.equal(ptr.name, "21.10.168.192.in-addr.arpa.");
  assert.equal(ptr.type, "PTR");
  assert.deepEqual(ptr.records, ["web1.example.org."], "the PTR names the A record's fqdn output");
});

test("dns.name and dns.address override the host name and host", () => {
  const m = web1(
    withDns(`zone = "example.org"; server = "ns1:5353"; name = "www"; address = "198.51.100.7";`),
  );
  assert.equal(m.dns_ptr, undefined);
  assert.equal(m.dns_a!.inputs.name, "www");
  assert.deepEqual(m.dns_a!.inputs.records, ["198.51.100.7"]);
});

test("a TSIG secret in the Nix store, or a zone without a server, is refused at evaluation", () => {
  const store = evalExpr(
    "deployment.nix",
    "eval.export",
    withDns(
      'zone = "example.org"; server = "ns1"; tsigKeyName = "k"; tsigSecretFile = "/nix/store/00000000000000000000000000000000-k";',
    ),
  );
  assert.notEqual(store.status, 0);
  assert.match(store.stderr, /dns\.tsigSecretFile .* is in the Nix store/);
  const noServer = evalExpr("deployment.nix", "eval.export", withDns('zone = "example.org";'));
  assert.notEqual(noServer.status, 0);
  assert.match(noServer.stderr, /dns\.server .* must be too/);
});
