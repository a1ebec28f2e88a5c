import { test } from "node:test";
import assert from "node:assert/strict";
import { startTftpServer } from "../../src/tftp/server/server.js";
import { sha256, tftpGet, type GetOptions } from "./client.js";
import { testContext } from "./context.js";
import { makeTree, run } from "./fixtures.js";

test("200 concurrent transfers of ipxe.efi all arrive intact", async () => {
  const tree = await makeTree();
  const server = await startTftpServer(testContext({}, tree.root), { host: "127.0.0.1" });
  try {
    const want = sha256(tree.files["ipxe.efi"]!);
    const mixes: GetOptions[] = [
      { blksize: 1468, windowsize: 16, tsize: true },
      { blksize: 1468 },
      { windowsize: 4 },
      {},
    ];
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) =>
        tftpGet(server.port, "ipxe.efi", {
          ...mixes[i % mixes.length],
          deadlineMs: 60000,
          dallyMs: 1000,
        }),
      ),
    );
    const failed = results.filter((r) => r.status === "rejected");
    assert.equal(failed.length, 0, String(failed[0]?.reason));
    for (const r of results) if (r.status === "fulfilled") assert.equal(sha256(r.value), want);
    const stats = server.stats();
    assert.equal(stats.complete, 200, JSON.stringify(stats));
    assert.equal(server.stats().active, 0);

    // And 50 real curl processes at once.
    const out = `${tree.base}/curl`;
    const curls = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        run("curl", [
          "-sS",
          "--tftp-blksize",
          "1468",
          "-o",
          `${out}-${i}`,
          `tftp://127.0.0.1:${server.port}/ipxe.efi`,
        ]),
      ),
    );
    assert.deepEqual(
      curls.map((c) => c.code),
      Array(50).fill(0) as number[],
    );
    const { readFile } = await import("node:fs/promises");
    for (let i = 0; i < 50; i++) assert.equal(sha256(await readFile(`${out}-${i}`)), want);
  } finally {
    await server.close();
    await tree.cleanup();
  }
});
