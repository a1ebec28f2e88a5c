import { test } from "node:test";
import assert from "node:assert/strict";
import { parseServerConfig } from "../../src/dhcpd/config.js";
import {
  encodeServerReply,
  serverDestination,
  type Answer,
} from "../../src/dhcp/server/lease-reply.js";
import { replyCache } from "../../src/dhcp/server/reply.js";
import { parsePacket } from "../../src/dhcp/codec/packet.js";
import { MSG, OPT } from "../../src/dhcp/codec/options.js";
import { parseIp4 } from "../../src/core/ipv4.js";
import { clientPacket } from "../../scripts/dhcp/client-packets.js";

const config = parseServerConfig({
  subnet: "10.0.0.0/24",
  range: "10.0.0.100-10.0.0.103",
  router: "10.0.0.1",
  dns: ["10.0.0.53"],
  domain: "lab.example",
  leaseSeconds: 600,
  pingMs: 0,
});
const subnet = config.local;
const cache = replyCache("10.0.0.2");
const boot = {
  answer: true,
  vendorClass: "PXEClient",
  file: "snponly.efi",
  skipDiscovery: true,
} as const;

function reply(type: typeof MSG.DISCOVER | typeof MSG.REQUEST, answer: Answer, withBoot = false) {
  const req = clientPacket({ type, mac: "02:00:00:00:00:0a", xid: 7 });
  const bytes = encodeServerReply(
    req,
    answer,
    cache,
    serverDestination(req, answer),
    withBoot ? boot : null,
  );
  const parsed = parsePacket(bytes);
  assert.ok(parsed.ok);
  return { bytes, options: [...parsed.packet.options.keys()] };
}

const offer: Answer = { type: "offer", ip: parseIp4("10.0.0.100")!, subnet };
const ack: Answer = { type: "ack", ip: parseIp4("10.0.0.100")!, subnet };

test("server replies carry the subnet's options; an INFORM's ACK no lease times", () => {
  const subnetCodes = [OPT.messageType, OPT.serverId, 51, 58, 59, 1, 3, 6, 15, 28];
  assert.deepEqual(reply(MSG.DISCOVER, offer).options, subnetCodes);
  assert.deepEqual(reply(MSG.REQUEST, ack).options, subnetCodes);
  assert.deepEqual(reply(MSG.REQUEST, { type: "inform", subnet }).options, [
    OPT.messageType,
    OPT.serverId,
    1,
    3,
    6,
    15,
    28,
  ]);
});

test("a network-boot client's boot options do not stay in the next client's reply", () => {
  const plain = reply(MSG.DISCOVER, offer).bytes;
  const booting = reply(MSG.DISCOVER, offer, true);
  assert.ok(booting.options.includes(OPT.vendorClass));
  assert.ok(booting.options.includes(OPT.bootfileName));
  const after = reply(MSG.DISCOVER, offer);
  assert.ok(!after.options.includes(OPT.vendorClass));
  assert.deepEqual(after.bytes, plain);
});

test("a second server (another id) on the same subnet gets its own id in option 54", () => {
  const req = clientPacket({ type: MSG.DISCOVER, mac: "02:00:00:00:00:0b" });
  const other = replyCache("10.0.0.3");
  for (const c of [cache, other, cache]) {
    const parsed = parsePacket(
      encodeServerReply(req, offer, c, serverDestination(req, offer), null),
    );
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.packet.options.get(OPT.serverId), c.addressBytes);
  }
});
