// Which IPv4 addresses may be one machine's own (a registration's `ipv4`): the edges of
// every excluded block, on both sides.
import { test } from "node:test";
import assert from "node:assert/strict";
import { hostAddressProblem, parseHostIp4, parseIp4, type Ip4 } from "../../src/core/ipv4.js";

const problem = (text: string) => hostAddressProblem(parseIp4(text) as Ip4);

test("unicast addresses next to every excluded block are a machine's", () => {
  for (const ok of [
    "1.0.0.0",
    "126.255.255.255",
    "128.0.0.0",
    "169.253.255.255",
    "169.255.0.0",
    "10.0.0.0",
    "192.168.10.255",
    "223.255.255.255",
  ])
    assert.equal(problem(ok), null, ok);
});

test("this network, loopback, link-local, multicast and class E are not", () => {
  const cases: [string, RegExp][] = [
    ["0.0.0.0", /this network/],
    ["0.255.255.255", /this network/],
    ["127.0.0.1", /loopback/],
    ["127.255.255.255", /loopback/],
    ["169.254.0.0", /link-local/],
    ["169.254.255.255", /link-local/],
    ["224.0.0.0", /multicast/],
    ["239.255.255.255", /multicast/],
    ["240.0.0.0", /reserved/],
    ["255.255.255.255", /reserved/],
  ];
  for (const [text, why] of cases) assert.match(problem(text) ?? "", why, text);
});

test("parseHostIp4 gives the number, or a message naming the value", () => {
  assert.equal(parseHostIp4("10.0.0.5"), parseIp4("10.0.0.5"));
  assert.equal(
    parseHostIp4("10.0.0.05"),
    'expected an IPv4 unicast address such as "10.0.0.5", got "10.0.0.05"',
  );
  assert.equal(parseHostIp4(null), 'expected an IPv4 unicast address such as "10.0.0.5", got null');
  assert.equal(
    parseHostIp4("127.0.0.1"),
    "127.0.0.1 is a loopback address, not a machine's address",
  );
});
