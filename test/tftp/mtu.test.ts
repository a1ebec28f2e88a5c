import { test } from "node:test";
import assert from "node:assert/strict";
import type { NetworkInterfaceInfo } from "node:os";
import { MtuCaps, blksizeForMtu, interfaceFor } from "../../src/tftp/server/mtu.js";

function v4(address: string, netmask: string, internal = false): NetworkInterfaceInfo {
  return { address, netmask, family: "IPv4", mac: "00:00:00:00:00:00", internal, cidr: null };
}

const interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = {
  lo: [v4("127.0.0.1", "255.0.0.0", true)],
  eth0: [v4("10.0.0.1", "255.255.255.0")],
  jumbo: [v4("172.16.0.1", "255.255.0.0")],
  wide: [v4("192.168.0.1", "128.0.0.0")],
};

test("a client's link is the interface whose subnet holds it; none for a routed client", () => {
  assert.equal(interfaceFor("10.0.0.77", interfaces), "eth0");
  assert.equal(interfaceFor("172.16.200.3", interfaces), "jumbo");
  assert.equal(interfaceFor("127.0.0.1", interfaces), "lo");
  assert.equal(interfaceFor("200.1.2.3", interfaces), "wide", "a mask with the top bit set");
  assert.equal(interfaceFor("10.0.1.77", { eth0: interfaces.eth0 }), null, "behind a relay");
  assert.equal(interfaceFor("not-an-ip", interfaces), null);
  assert.equal(interfaceFor("::1", interfaces), null);
});

test("the cap is the link MTU less 32 header bytes, read once per interface and refreshed", () => {
  assert.equal(blksizeForMtu(1500), 1468);
  let lists = 0;
  const reads: string[] = [];
  const mtus: Record<string, number | null> = { eth0: 1500, jumbo: 9000, lo: 65536, wide: null };
  const caps = new MtuCaps(
    () => {
      lists++;
      return interfaces;
    },
    (name) => {
      reads.push(name);
      return mtus[name] ?? null;
    },
  );
  assert.equal(caps.capFor("10.0.0.9"), 1468);
  assert.equal(caps.capFor("10.0.0.10"), 1468);
  assert.equal(caps.capFor("172.16.0.9"), 8968);
  assert.equal(caps.capFor("200.0.0.1"), null, "an unreadable MTU caps nothing");
  assert.equal(caps.capFor("8.8.8.8"), null, "a routed client: the config cap alone");
  assert.deepEqual(reads, ["eth0", "jumbo", "wide"]);
  assert.equal(lists, 1);
});
