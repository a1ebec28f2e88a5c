import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { encodeAck, encodeError, encodeRequest } from "../../src/tftp/codec/packet.js";
import { startTftpServer, type TftpServer } from "../../src/tftp/server/server.js";
import { RawPeer, TftpError, sha256, tftpGet, until } from "./client.js";
import { testContext } from "./context.js";
import { makeTree, type Tree } from "./fixtures.js";

// Hand-made packets: the cases real clients do not produce on demand.
let tree: Tree;
let server: TftpServer;
const peers: RawPeer[] = [];

before(async () => {
  tree = await makeTree();
  server = await startTftpServer(testContext({ maxTransfers: 3 }, tree.root), {
    host: "127.0.0.1",
    retry: { initialRtoMs: 100, minRtoMs: 50, maxRetries: 2 },
  });
});

after(async () => {
  for (const p of peers) p.close();
  await server?.close();
  await tree?.cleanup();
});

async function peer(): Promise<RawPeer> {
  const p = await RawPeer.open();
  peers.push(p);
  return p;
}

test("EDK2 size probe: RRQ with tsize, OACK, error abort frees the transfer at once", async () => {
  const before = server.stats();
  const p = await peer();
  p.send(
    encodeRequest("rrq", "ipxe.efi", "octet", [
      { name: "tsize", value: "0" },
      { name: "blksize", value: "1468" },
    ]),
    server.port,
  );
  const oack = await p.next();
  assert.ok(oack && oack.packet.op === "oack");
  assert.notEqual(oack.from.port, server.port, "the transfer answers from its own port");
  assert.deepEqual(oack.packet.options, [
    { name: "tsize", value: String(tree.files["ipxe.efi"]!.length) },
    { name: "blksize", value: "1468" },
  ]);
  assert.equal(server.stats().active, 1);
  p.socket.send(encodeError(8, "tsize probe done"), oack.from.port, "127.0.0.1");
  await until(() => server.stats().active === 0, 500);
  assert.equal(server.stats().aborted, before.aborted + 1);
  // Nothing more arrives from the aborted transfer, not even a retransmitted OACK.
  assert.equal(await p.next(300), null);
  // The firmware's real download right after works.
  const data = await tftpGet(server.port, "ipxe.efi", { blksize: 1468, tsize: true });
  assert.equal(sha256(data), sha256(tree.files["ipxe.efi"]!));
});

test("every traversal form gets error 2, a missing file error 1, a write error 2", async () => {
  const refused: [string, number][] = [
    ["../secret.txt", 2],
    ["/../secret.txt", 2],
    ["sub/../../secret.txt", 2],
    ["..\\secret.txt", 2],
    [`${tree.base}/secret.txt`, 2],
    ["/etc/passwd", 2],
    ["escape", 2],
    ["escape-rel", 2],
    ["nope.efi", 1],
    ["sub", 1],
  ];
  for (const [name, code] of refused) {
    await assert.rejects(tftpGet(server.port, name), (e: unknown) => {
      assert.ok(e instanceof TftpError, String(e));
      assert.equal(e.code, code, name);
      return true;
    });
  }
  const p = await peer();
  p.send(encodeRequest("wrq", "new.bin"), server.port);
  const w = await p.next();
  assert.ok(w && w.packet.op === "error" && w.packet.code === 2);
});

test("a NUL smuggled into the filename serves nothing, is counted and answered", async () => {
  const before = server.stats().malformed;
  const p = await peer();
  p.send(Buffer.from("\0\x01ipxe.efi\0../../secret.txt\0octet\0"), server.port);
  const r = await p.next();
  assert.ok(r && r.packet.op === "error" && r.packet.code === 4, JSON.stringify(r?.packet));
  assert.match(r.packet.message, /unknown mode/);
  assert.equal(await p.next(300), null);
  assert.equal(server.stats().malformed, before + 1);
});

test("unknown opcode gets error 4; stray ACK to the listener gets error 5", async () => {
  const p = await peer();
  p.send(Buffer.from([0, 42, 1, 2]), server.port);
  const r = await p.next();
  assert.ok(r && r.packet.op === "error" && r.packet.code === 4);
  p.send(encodeAck(1), server.port);
  const r2 = await p.next();
  assert.ok(r2 && r2.packet.op === "error" && r2.packet.code === 5);
});

test("a wrong TID gets error 5 and the transfer carries on", async () => {
  const p = await peer();
  const stranger = await peer();
  p.send(encodeRequest("rrq", "x512.bin"), server.port);
  const d1 = await p.next();
  assert.ok(d1 && d1.packet.op === "data" && d1.packet.block === 1);
  const tid = d1.from.port;
  stranger.socket.send(encodeAck(1), tid, "127.0.0.1");
  const e = await stranger.next();
  assert.ok(e && e.packet.op === "error" && e.packet.code === 5);
  assert.equal(e.from.port, tid);
  const chunks = [d1.packet.data];
  for (let block = 1; ; block++) {
    p.socket.send(encodeAck(block), tid, "127.0.0.1");
    const d = await p.next();
    assert.ok(d && d.packet.op === "data" && d.packet.block === block + 1);
    chunks.push(d.packet.data);
    if (d.packet.data.length < 512) {
      p.socket.send(encodeAck(block + 1), tid, "127.0.0.1");
      break;
    }
  }
  assert.equal(sha256(Buffer.concat(chunks)), sha256(tree.files["x512.bin"]!));
});

test("windowsize: a repeated ACK resends once, an ACK inside the window resends after it", async (t) => {
  // Its own server with a slow timer, so that only ACKs cause what this test sees.
  const slow = await startTftpServer(testContext({}, tree.root), {
    host: "127.0.0.1",
    retry: { initialRtoMs: 3000, minRtoMs: 3000 },
  });
  t.after(() => slow.close());
  const p = await peer();
  p.send(
    encodeRequest("rrq", "x1468.bin", "octet", [
      { name: "blksize", value: "1468" },
      { name: "windowsize", value: "4" },
    ]),
    slow.port,
  );
  const oack = await p.next();
  assert.ok(oack && oack.packet.op === "oack");
  const tid = oack.from.port;
  const blocks = async (n: number) => {
    const got: number[] = [];
    for (let i = 0; i < n; i++) {
      const d = await p.next();
      assert.ok(d && d.packet.op === "data");
      got.push(d.packet.block);
    }
    return got;
  };
  p.socket.send(encodeAck(0), tid, "127.0.0.1");
  assert.deepEqual(await blocks(4), [1, 2, 3, 4]);
  // The same ACK again with blocks out: RFC 7440's "lost after this one", resent at once...
  p.socket.send(encodeAck(0), tid, "127.0.0.1");
  assert.deepEqual(await blocks(4), [1, 2, 3, 4]);
  // ...but only once per block (a burst of them must not multiply the traffic).
  p.socket.send(encodeAck(0), tid, "127.0.0.1");
  assert.equal(await p.next(200), null);
  p.socket.send(encodeAck(2), tid, "127.0.0.1"); // 3 and 4 "lost": resend from 3
  assert.deepEqual(await blocks(4), [3, 4, 5, 6]);
  const done = slow.stats().complete;
  p.socket.send(encodeAck(6), tid, "127.0.0.1"); // x1468.bin: 5 full blocks, 6 is the empty end
  await until(() => slow.stats().complete === done + 1);
  assert.equal(await p.next(200), null);
});

test("lock-step: a duplicate ACK is ignored (no Sorcerer's Apprentice)", async () => {
  // A server of its own whose retransmit timer cannot fire within the test (2 s), so any
  // second block 2 could only be an answer to the duplicate ACK.
  const calm = await startTftpServer(testContext({}, tree.root), {
    host: "127.0.0.1",
    retry: { initialRtoMs: 2000, minRtoMs: 2000 },
  });
  try {
    const p = await peer();
    p.send(encodeRequest("rrq", "x512.bin"), calm.port);
    const d1 = await p.next();
    assert.ok(d1 && d1.packet.op === "data" && d1.packet.block === 1);
    p.socket.send(encodeAck(1), d1.from.port, "127.0.0.1");
    p.socket.send(encodeAck(1), d1.from.port, "127.0.0.1");
    const d2 = await p.next();
    assert.ok(d2 && d2.packet.op === "data" && d2.packet.block === 2);
    const again = await p.next(500);
    assert.equal(again, null, "the duplicate ACK 1 must not resend block 2");
    // And nothing late either: after ACK 2 the next datagram is block 3.
    p.socket.send(encodeAck(2), d1.from.port, "127.0.0.1");
    const d3 = await p.next();
    assert.ok(d3 && d3.packet.op === "data" && d3.packet.block === 3, JSON.stringify(d3?.packet));
    p.socket.send(encodeError(0, "done"), d1.from.port, "127.0.0.1");
  } finally {
    await calm.close();
  }
});

test("an unresponsive client is retried with backoff, then dropped and freed", async () => {
  const before = server.stats();
  const p = await peer();
  p.send(encodeRequest("rrq", "odd.bin"), server.port);
  const seen: number[] = [];
  for (;;) {
    const d = await p.next(2000);
    if (d === null) break;
    seen.push(Date.now());
  }
  // First send plus maxRetries (2) retransmissions, no more.
  assert.equal(seen.length, 3);
  assert.ok(seen[2]! - seen[1]! > seen[1]! - seen[0]!, "backoff grows");
  await until(() => server.stats().timeout >= before.timeout + 1);
  assert.equal(server.stats().active, 0);
});

test("beyond maxTransfers, all acknowledged, the client gets an error packet", async () => {
  const held: RawPeer[] = [];
  for (let i = 0; i < 3; i++) {
    const p = await peer();
    p.send(encodeRequest("rrq", "odd.bin"), server.port);
    const d = await p.next();
    assert.ok(d && d.packet.op === "data");
    // Acknowledged: a real client, whose slot a newcomer may not take.
    p.socket.send(encodeAck(1), d.from.port, "127.0.0.1");
    assert.equal((await p.next())?.packet.op, "data");
    held.push(p);
  }
  const extra = await peer();
  extra.send(encodeRequest("rrq", "odd.bin"), server.port);
  const e = await extra.next();
  assert.ok(e && e.packet.op === "error" && e.packet.code === 0, JSON.stringify(e?.packet));
  assert.match(e.packet.message, /busy/);
  await until(() => server.stats().active === 0, 5000);
});
