import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import fc from "fast-check";
import { encodeAck, encodeRequest, parsePacket } from "../../src/tftp/codec/packet.js";
import { startTftpServer } from "../../src/tftp/server/server.js";
import { RawPeer, sha256, tftpGet } from "./client.js";
import { testContext } from "./context.js";
import { makeTree } from "./fixtures.js";

const optionName = fc.constantFrom("blksize", "tsize", "timeout", "windowsize", "BLKSIZE", "x", "");
const optionValue = fc.oneof(
  fc.constantFrom("0", "7", "8", "65464", "65465", "99999999999", "-1", "1e3", "", "abc"),
  fc.nat().map(String),
);
const request = fc
  .record({
    op: fc.constantFrom("rrq" as const, "wrq" as const),
    file: fc.constantFrom("odd.bin", "/odd.bin", "../x", "nope", "sub/inner.bin"),
    mode: fc.constantFrom("octet", "OCTET", "netascii", "mail", "bin"),
    options: fc.array(fc.tuple(optionName, optionValue), { maxLength: 4 }),
  })
  .map(({ op, file, mode, options }) => {
    // Built by hand: duplicates, empty names and odd values are the point.
    const strings = [file, mode, ...options.flat()];
    return Buffer.concat([
      Buffer.from([0, op === "rrq" ? 1 : 2]),
      ...strings.map((s) => Buffer.from(`${s}\0`, "latin1")),
    ]);
  });
const mutated = fc
  .tuple(request, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat(4))
  .map(([b, at, byte, how]) => {
    if (how === 0) return b.subarray(0, at % (b.length + 1)); // truncated
    if (how === 1) return b.subarray(0, b.length - 1); // last string unterminated
    if (how === 2) b[at % b.length] = byte;
    if (how === 3) return Buffer.concat([b, Buffer.from([byte])]);
    return b;
  });
const datagram = fc.oneof(
  fc.uint8Array({ maxLength: 700 }).map((a) => Buffer.from(a)),
  request,
  mutated,
  fc.integer({ min: 0, max: 0xffff }).map((n) => encodeAck(n)),
);

test("random and mutated datagrams never crash the server, are counted, and serving goes on", async () => {
  const tree = await makeTree();
  const ctx = testContext({ maxTransfers: 50 }, tree.root);
  const server = await startTftpServer(ctx, {
    host: "127.0.0.1",
    retry: { initialRtoMs: 50, minRtoMs: 20, maxRetries: 1 },
  });
  const peer = await RawPeer.open();
  try {
    const sample = fc.sample(datagram, { numRuns: 600, seed: 42 });
    let unparseable = 0;
    for (let i = 0; i < sample.length; i++) {
      if (!parsePacket(sample[i]!).ok) unparseable++;
      peer.send(sample[i]!, server.port);
      if (i % 25 === 24) await sleep(5); // stay under the socket buffer: every one must land
    }
    assert.ok(unparseable > 150 && unparseable < 550, `${unparseable} of 600 unparseable`);
    // Also at a live transfer's own port, from its own client.
    const live = await RawPeer.open();
    live.send(encodeRequest("rrq", "odd.bin"), server.port);
    const first = await live.next();
    assert.ok(first && first.packet.op === "data");
    let atTransfer = 0;
    for (const d of fc.sample(fc.uint8Array({ maxLength: 100 }), { numRuns: 100, seed: 7 })) {
      const b = Buffer.from(d);
      // Only the unparseable ones: a valid ERROR from the client would (rightly) abort it.
      if (parsePacket(b).ok) continue;
      atTransfer++;
      live.socket.send(b, first.from.port, "127.0.0.1");
    }
    await sleep(200);
    live.close();
    assert.equal(server.stats().malformed, unparseable + atTransfer);
    assert.equal(
      (await ctx.metrics.tftpMalformed.get()).values[0]?.value,
      unparseable + atTransfer,
    );
    const data = await tftpGet(server.port, "odd.bin", { blksize: 1468, windowsize: 8 });
    assert.equal(sha256(data), sha256(tree.files["odd.bin"]!));
  } finally {
    peer.close();
    await server.close();
    await tree.cleanup();
  }
});
