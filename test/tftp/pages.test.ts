import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { closeSync, openSync } from "node:fs";
import { rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { PageCache, PagedFile, type Page, type PageHolder } from "../../src/tftp/server/pages.js";
import { startTftpServer } from "../../src/tftp/server/server.js";
import { sha256, tftpGet, until } from "./client.js";
import { testContext } from "./context.js";
import { makeTree } from "./fixtures.js";

/** A holder reading through a real fd, recording what it is told. */
function holder(fd: number): PageHolder & { settled: (Error | null)[]; reads: number } {
  const h = {
    fd,
    settled: [] as (Error | null)[],
    reads: 0,
    readStarted: () => void h.reads++,
    readEnded: () => void h.reads--,
    pageSettled: (_p: Page, err: Error | null) => void h.settled.push(err),
  };
  return h;
}

function settled(h: { settled: unknown[] }, n: number): Promise<void> {
  return until(() => h.settled.length >= n, 5000, `${n} pages settled`);
}

test("transfers of one file version share its pages: one read, then none while held or cached", async () => {
  const data = randomBytes(400_000);
  const tree = await makeTree({ "p.bin": data });
  const fd = openSync(path.join(tree.root, "p.bin"), "r");
  try {
    const file = new PagedFile("v1", data.length, 1000);
    const cache = new PageCache(1 << 20);
    const a = holder(fd);
    const b = holder(fd);
    const pa = cache.hold(file, 1, a);
    const pb = cache.hold(file, 1, b);
    assert.equal(pa, pb, "the second holder gets the page being loaded");
    assert.equal(a.reads + b.reads, 1, "one read for both");
    await settled(a, 1);
    await settled(b, 1);
    assert.deepEqual([a.settled, b.settled], [[null], [null]]);
    // Page 1 holds blocks perPage+1 .. 2*perPage, each a DATA packet of the file's bytes.
    const n = file.perPage + 2;
    const packet = pa.packets[1]!;
    assert.deepEqual([...packet.subarray(0, 4)], [0, 3, n >> 8, n & 0xff]);
    assert.deepEqual(packet.subarray(4), data.subarray((n - 1) * 1000, n * 1000));

    cache.release(file, pa, a);
    cache.release(file, pb, b);
    assert.equal(cache.idleSize, pa.frame.buf.length, "let go of, kept");
    const c = holder(fd);
    assert.equal(cache.hold(file, 1, c), pa, "a later transfer finds it");
    assert.equal(c.reads, 0);
    assert.equal(cache.idleSize, 0);

    // Another blksize or another version of the file is another page.
    const other = cache.hold(new PagedFile("v2", data.length, 1000), 1, c);
    assert.notEqual(other, pa);
    await settled(c, 1);
  } finally {
    closeSync(fd);
    await tree.cleanup();
  }
});

test("pages nobody holds are evicted oldest first past the budget, and their frames reused unless a send was queued", async () => {
  const data = randomBytes(600_000);
  const tree = await makeTree({ "p.bin": data });
  const fd = openSync(path.join(tree.root, "p.bin"), "r");
  try {
    const file = new PagedFile("v1", data.length, 1000);
    const h = holder(fd);
    const pages: Page[] = [];
    for (let i = 0; i < 3; i++) pages.push(new PageCache(0).hold(file, i, h));
    const bytes = pages[0]!.frame.buf.length;
    const cache = new PageCache(bytes); // room for one idle page
    const loaded: Page[] = [];
    for (let i = 0; i < 3; i++) loaded.push(cache.hold(file, i, h));
    await settled(h, 6);
    loaded[0]!.queuedSend = true;
    for (const p of loaded) cache.release(file, p, h);
    assert.equal(cache.idleSize, bytes, "only the last released stays");
    // Page 0's frame had a queued send: dropped, never handed out again. Page 1's frame
    // went back to the spares and carries page 3 now, with page 3's own bytes.
    const p3 = cache.hold(file, 3, h);
    assert.equal(p3.frame, loaded[1]!.frame);
    assert.notEqual(p3.frame, loaded[0]!.frame);
    await settled(h, 7);
    const n = 3 * file.perPage + 1;
    assert.deepEqual(p3.packets[0]!.subarray(4), data.subarray((n - 1) * 1000, n * 1000));
    assert.equal(cache.hold(file, 2, h), loaded[2], "the most recent idle page survived");
  } finally {
    closeSync(fd);
    await tree.cleanup();
  }
});

test("a page that cannot be read fails for every holder and leaves the cache", async () => {
  const tree = await makeTree({ "short.bin": randomBytes(5000) });
  const fd = openSync(path.join(tree.root, "short.bin"), "r");
  try {
    // The size claims more than the file has: the read comes up short.
    const file = new PagedFile("v1", 50_000, 1000);
    const cache = new PageCache(1 << 20);
    const a = holder(fd);
    const b = holder(fd);
    const page = cache.hold(file, 0, a);
    cache.hold(file, 0, b);
    await settled(a, 1);
    await settled(b, 1);
    assert.match(String(a.settled[0]), /short read at 0/);
    assert.match(String(b.settled[0]), /short read at 0/);
    assert.equal(page.state, "failed");
    assert.notEqual(cache.hold(file, 0, a), page, "the next holder tries again");
  } finally {
    closeSync(fd);
    await tree.cleanup();
  }
});

test("a file replaced or rewritten in place between fetches is served as it is now, not from the cache", async () => {
  const tree = await makeTree({ "boot.bin": randomBytes(60_000) });
  const server = await startTftpServer(testContext({}, tree.root), { host: "127.0.0.1" });
  try {
    const file = path.join(tree.root, "boot.bin");
    const first = await tftpGet(server.port, "boot.bin", { blksize: 1468 });
    assert.equal(sha256(first), sha256(tree.files["boot.bin"]!));

    // Atomic replace (a new inode), as a Nix profile switch or `install` does.
    const second = randomBytes(60_000);
    await writeFile(`${file}.new`, second);
    await rename(`${file}.new`, file);
    assert.equal(sha256(await tftpGet(server.port, "boot.bin", { blksize: 1468 })), sha256(second));

    // Same inode, same size, new bytes: the change time differs.
    const third = randomBytes(60_000);
    await writeFile(file, third);
    assert.equal(sha256(await tftpGet(server.port, "boot.bin", { blksize: 1468 })), sha256(third));
  } finally {
    await server.close();
    await tree.cleanup();
  }
});
