import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { encodeRequest } from "../../src/tftp/codec/packet.js";
import { startTftpServer } from "../../src/tftp/server/server.js";
import { RawPeer, sha256, tftpGet, until } from "./client.js";
import { testContext } from "./context.js";
import { makeTree } from "./fixtures.js";

function openFds(): number {
  return readdirSync("/proc/self/fd").length;
}

for (const threads of [0, 1, 3]) {
  test(`with ${threads} transfer threads, 30 concurrent fetches arrive intact and every fd is given back`, async () => {
    const tree = await makeTree();
    const fdsBefore = openFds();
    const server = await startTftpServer(testContext({ threads }, tree.root), {
      host: "127.0.0.1",
    });
    try {
      const names = ["ipxe.efi", "odd.bin", "x1468.bin", "empty.bin", "sub/inner.bin"];
      const got = await Promise.all(
        Array.from({ length: 30 }, (_, i) => {
          const name = names[i % names.length]!;
          const opts = i % 2 ? { blksize: 1468, windowsize: 8 } : {};
          return tftpGet(server.port, name, opts).then((data) => ({ name, data }));
        }),
      );
      for (const { name, data } of got) assert.equal(sha256(data), sha256(tree.files[name]!), name);
      // The server counts a transfer when the final ACK arrives, just after the client returns.
      await until(() => server.stats().complete === 30, 3000, "30 transfers complete");
      assert.equal(server.stats().active, 0);
    } finally {
      await server.close();
      await tree.cleanup();
    }
    // Transfer fds are closed by the main thread once the transfer's thread gives them
    // back (a worker closing a main-thread fd is a Node warning); after close none is left.
    await until(() => openFds() <= fdsBefore, 3000, "fds back to where they were");
  });
}

test("closing the server mid-transfer tells each client, on every thread, and frees everything", async () => {
  const tree = await makeTree();
  const fdsBefore = openFds();
  const server = await startTftpServer(testContext({ threads: 2 }, tree.root), {
    host: "127.0.0.1",
  });
  const peers = await Promise.all(Array.from({ length: 4 }, () => RawPeer.open()));
  try {
    for (const p of peers) p.send(encodeRequest("rrq", "odd.bin"), server.port);
    for (const p of peers) {
      const d = await p.next();
      assert.ok(d && d.packet.op === "data", "block 1 arrives; the client never ACKs it");
    }
    assert.equal(server.stats().active, 4);
    await server.close();
    for (const p of peers) {
      // Skip any retransmitted block 1; the error follows.
      let d = await p.next();
      while (d && d.packet.op === "data") d = await p.next();
      assert.ok(d && d.packet.op === "error", JSON.stringify(d?.packet));
      assert.match(d.packet.message, /shutting down/);
    }
    assert.equal(server.stats().aborted, 4);
  } finally {
    for (const p of peers) p.close();
    await tree.cleanup();
  }
  await until(() => openFds() <= fdsBefore, 3000, "fds back to where they were");
});

test("an idle transfer thread ends, and the next request starts a new one", async () => {
  const tree = await makeTree();
  const server = await startTftpServer(testContext({ threads: 2 }, tree.root), {
    host: "127.0.0.1",
    threadIdleMs: 200,
  });
  try {
    assert.equal(server.stats().threads, 0, "no thread before the first transfer");
    await Promise.all([tftpGet(server.port, "odd.bin"), tftpGet(server.port, "odd.bin")]);
    assert.equal(server.stats().threads, 2, "two at once: a second thread started");
    await until(() => server.stats().threads === 0, 3000, "idle threads ended");
    const data = await tftpGet(server.port, "odd.bin", { blksize: 1468 });
    assert.equal(sha256(data), sha256(tree.files["odd.bin"]!));
    assert.equal(server.stats().threads, 1);
  } finally {
    await server.close();
    await tree.cleanup();
  }
  assert.equal(server.stats().threads, 0, "close ends every thread");
});
