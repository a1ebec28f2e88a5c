/**
 * The proxy's per-packet handler reports unregistered network-boot clients to discovery:
 * real firmware requests (the captures), each sighted once per packet with what it said.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { UNKNOWN, type BootPlan } from "../../src/boot/plan.js";
import type { Mac } from "../../src/core/mac.js";
import { handleDhcpPacket } from "../../src/dhcp/server/handler.js";
import type { Sighting } from "../../src/registry/doors.js";
import { installPlan } from "../support/context.js";
import {
  CAPTURED_MAC,
  EDK2_DISCOVER,
  EDK2_PROXY_REQUEST,
  SEABIOS_IPXE_DISCOVER,
  offlineHandlerDeps,
  offlineUrls,
} from "./fixtures.js";
import { rewrite } from "./rewrite.js";

const urls = offlineUrls;
const FROM = { address: "0.0.0.0", port: 68 };

/** The handler with `plan` as the registry's answer for every MAC; what it reports, kept. */
function handler(plan: (mac: Mac) => BootPlan) {
  const sighted: Sighting[] = [];
  const deps = offlineHandlerDeps(plan, { sightings: { sighted: (s) => sighted.push(s) } });
  return { deps, sighted };
}

test("an unregistered OVMF PXE DISCOVER is not answered and is sighted once, with arch and vendor class", () => {
  const { deps, sighted } = handler(() => UNKNOWN);
  assert.equal(handleDhcpPacket(deps, EDK2_DISCOVER(), FROM, "dhcp"), null);
  assert.deepEqual(sighted, [
    {
      mac: CAPTURED_MAC,
      kind: "pxe",
      arch: 7,
      vendorClass: "PXEClient:Arch:00007:UNDI:003000",
    },
  ]);
});

test("an unregistered iPXE (SeaBIOS ROM) DISCOVER is sighted as ipxe, arch 0", () => {
  const { deps, sighted } = handler(() => UNKNOWN);
  assert.equal(handleDhcpPacket(deps, SEABIOS_IPXE_DISCOVER(), FROM, "dhcp"), null);
  assert.deepEqual(sighted, [
    {
      mac: CAPTURED_MAC,
      kind: "ipxe",
      arch: 0,
      vendorClass: "PXEClient:Arch:00000:UNDI:002001",
    },
  ]);
});

test("answerUnknown answers an unregistered client, and it is still sighted", () => {
  // What the registry answers for an unknown MAC when `dhcp.answerUnknown` is on.
  const { deps, sighted } = handler((mac) => ({ kind: "local", mac, script: "unknown" }));
  const req = rewrite(EDK2_PROXY_REQUEST(), { mac: "02:00:00:00:0d:01", xid: 3 });
  assert.ok(handleDhcpPacket(deps, req, { address: "10.99.0.158", port: 4011 }, "proxy"));
  assert.deepEqual(
    sighted.map((s) => [s.mac, s.kind, s.arch]),
    [["02:00:00:00:0d:01", "pxe", 7]],
  );
});

test("registered MACs (armed, or installed and ignored) and non-boot clients are not sighted", () => {
  const armed = handler((mac) => installPlan(mac, urls));
  assert.ok(handleDhcpPacket(armed.deps, EDK2_DISCOVER(), FROM, "dhcp"), "armed: answered");
  const ignored = handler(() => ({ kind: "none", script: "local" }));
  assert.equal(handleDhcpPacket(ignored.deps, EDK2_DISCOVER(), FROM, "dhcp"), null);
  // The same DISCOVER without option 60 is an ordinary DHCP client: not discovery's.
  const plain = rewrite(EDK2_DISCOVER(), { mac: "02:00:00:00:0d:02", xid: 4, set: {} });
  const stranger = handler(() => UNKNOWN);
  const noVendorClass = Buffer.from(plain);
  const at = noVendorClass.indexOf("PXEClient");
  assert.ok(at > 0);
  noVendorClass.fill("x", at, at + "PXEClient".length); // option 60 now says "xxxxxxxxx:Arch..."
  assert.equal(handleDhcpPacket(stranger.deps, noVendorClass, FROM, "dhcp"), null);
  assert.deepEqual([armed.sighted, ignored.sighted, stranger.sighted], [[], [], []]);
});
