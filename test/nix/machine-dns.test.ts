// The machine component's optional DNS block (nixos/machine-dns.nix), evaluated with the
// stub `lib`: which dns_record_set members it declares and with what inputs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { nixEval, nixInstantiate, root } from "./nix-tools.js";

interface DnsShape {
  options: string[];
  members: Record<string, { type: string; state: string; inputs: Record<string, unknown> }>;
}

function shape(args: string): DnsShape {
  return nixEval(`import ${join(root, "test/nix/machine-dns-shape.nix")} { ${args} }`) as DnsShape;
}

test("without dns.zone the machine declares no DNS records", () => {
  const s = shape("");
  assert.deepEqual(s.members, {});
  assert.deepEqual(s.options.sort(), [
    "address",
    "name",
    "overwrite",
    "reverseZone",
    "server",
    "tsigAlgorithm",
    "tsigKeyName",
    "tsigSecretFile",
    "ttl",
    "zone",
  ]);
});

test("dns.zone declares the A record of host under the host name; reverseZone adds the PTR", () => {
  const s = shape(`dns = {
    zone = "example.org"; server = "192.0.2.53"; tsigKeyName = "deploy";
    tsigSecretFile = "/run/keys/deploy.secret"; reverseZone = "2.0.192.in-addr.arpa";
  };`);
  assert.deepEqual(Object.keys(s.members).sort(), ["dns_a", "dns_ptr"]);
  assert.deepEqual(s.members.dns_a, {
    type: "dns_record_set",
    state: "STATE",
    inputs: {
      server: "192.0.2.53",
      zone: "example.org",
      name: "web1",
      type: "A",
      records: ["192.0.2.21"],
      ttl: null,
      tsigKeyName: "deploy",
      tsigAlgorithm: null,
      tsigSecretFile: "/run/keys/deploy.secret",
      overwrite: false,
    },
  });
  const ptr = s.members.dns_ptr!.inputs;
  assert.equal(ptr.zone, "2.0.192.in-addr.arpa");
  assert.equal(ptr.name, "21.2.0.192.in-addr.arpa.");
  assert.equal(ptr.type, "PTR");
  assert.deepEqual(ptr.records, ["web1.example.org."], "the PTR names the A record's fqdn");
});

test("dns.name and dns.address override the host name and host", () => {
  const s = shape(
    'host = "web1.lan"; dns = { zone = "example.org"; server = "ns1:5353"; name = "www"; address = "198.51.100.7"; };',
  );
  assert.deepEqual(Object.keys(s.members), ["dns_a"]);
  assert.equal(s.members.dns_a!.inputs.name, "www");
  assert.deepEqual(s.members.dns_a!.inputs.records, ["198.51.100.7"]);
});

test("a TSIG secret in the Nix store, or a zone without a server, is refused at evaluation", () => {
  const expr = (dns: string) => [
    "--eval",
    "--strict",
    "--json",
    "-E",
    `import ${join(root, "test/nix/machine-dns-shape.nix")} { dns = { ${dns} }; }`,
  ];
  const store = nixInstantiate(
    expr(
      'zone = "example.org"; server = "ns1"; tsigKeyName = "k"; tsigSecretFile = "/nix/store/00000000000000000000000000000000-k";',
    ),
  );
  assert.notEqual(store.status, 0);
  assert.match(store.stderr, /dns\.tsigSecretFile .* is in the Nix store/);
  const noServer = nixInstantiate(expr('zone = "example.org";'));
  assert.notEqual(noServer.status, 0);
  assert.match(noServer.stderr, /dns\.server .* must be too/);
});
