import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { startTftpServer } from "../../src/tftp/server/server.js";
import { negotiate } from "../../src/tftp/codec/options.js";
import { sha256, tftpGet } from "./client.js";
import { testContext } from "./context.js";
import { makeTree } from "./fixtures.js";

// The read-ahead pages at their edges: tiny blocks with a window spanning many pages,
// the largest blocks (one per page), windows larger than the file.
test("extreme blksize and windowsize combinations deliver the file intact", async () => {
  const tree = await makeTree({ "pages.bin": randomBytes(300_001) });
  const server = await startTftpServer(
    testContext({ maxBlksize: 65464, maxWindowsize: 2000 }, tree.root),
    { host: "127.0.0.1" },
  );
  try {
    const want = sha256(tree.files["pages.bin"]!);
    // Windows stay under what a loopback socket's default receive buffer holds at once.
    const cases = [
      { blksize: 8, windowsize: 180 },
      { blksize: 8 },
      { blksize: 1000, windowsize: 80 }, // 50 blocks a page: the window spans 2-3 pages
      { blksize: 65464, windowsize: 3 }, // one block a page
      { blksize: 65464 },
      { blksize: 512, windowsize: 7 },
    ];
    for (const c of cases) {
      const data = await tftpGet(server.port, "pages.bin", { ...c, deadlineMs: 60000 });
      assert.equal(sha256(data), want, JSON.stringify(c));
    }
    const small = await tftpGet(server.port, "x512.bin", { windowsize: 64 });
    assert.equal(sha256(small), sha256(tree.files["x512.bin"]!), "window larger than the file");
    for (const c of cases) {
      const data = await tftpGet(server.port, "empty.bin", c);
      assert.equal(data.length, 0, JSON.stringify(c));
    }
  } finally {
    await server.close();
    await tree.cleanup();
  }
});

test("an empty file's OACK leaves tsize out (curl refuses tsize 0)", () => {
  const n = negotiate([{ name: "tsize", value: "0" }], 0, { maxBlksize: 1468, maxWindowsize: 64 });
  assert.deepEqual(n.oack, []);
  assert.deepEqual(n.ignored, [{ name: "tsize", reason: "empty file" }]);
});
