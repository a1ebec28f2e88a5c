import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, get } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { openRegularFile } from "../../src/core/files.js";
import { readBuffers, serveFile } from "../../src/http/files.js";

const run = promisify(execFile);
const MiB = 1024 * 1024;
// Crosses several 4 MiB chunks and ends mid-chunk.
const SIZE = 9 * MiB + 123;

const dir = await mkdtemp(join(tmpdir(), `lst-http-${process.pid}-`));
const file = join(dir, "initrd");
const content = randomBytes(SIZE);
await writeFile(file, content);
const server = createServer((req, res) => {
  openRegularFile(file)
    .then((opened) => serveFile(req, res, opened, "application/octet-stream"))
    .catch(() => res.destroy());
});
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/f`;
after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

async function curl(...args: string[]): Promise<{ status: string; body: Buffer }> {
  const out = join(dir, `out-${randomBytes(4).toString("hex")}`);
  const r = await run("curl", [
    "-sS",
    "--max-time",
    "30",
    "-o",
    out,
    "-w",
    "%{http_code}",
    ...args,
  ]);
  const body = await readFile(out).catch(() => Buffer.alloc(0));
  await rm(out, { force: true });
  return { status: r.stdout, body };
}

async function untilLentIsZero(): Promise<void> {
  const deadline = Date.now() + 5000;
  while (readBuffers.lent !== 0 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  assert.equal(readBuffers.lent, 0, "every read buffer came back");
}

test("whole file, byte for byte, with Content-Length", async () => {
  const r = await curl("-D", join(dir, "headers"), url);
  assert.equal(r.status, "200");
  assert.equal(sha(r.body), sha(content));
  assert.match(
    await readFile(join(dir, "headers"), "utf8"),
    new RegExp(`content-length: ${SIZE}`, "i"),
  );
  await untilLentIsZero();
});

test("ranges across chunk boundaries, a suffix, HEAD and 416", async () => {
  for (const [range, start, end] of [
    ["4194300-8388700", 4194300, 8388700],
    [`0-`, 0, SIZE - 1],
    [`${SIZE - 5}-${SIZE + 100}`, SIZE - 5, SIZE - 1],
    ["-4194305", SIZE - 4194305, SIZE - 1],
  ] as const) {
    const r = await curl("-r", range, url);
    assert.equal(r.status, "206", range);
    assert.equal(sha(r.body), sha(content.subarray(start, end + 1)), range);
  }
  const head = await run("curl", ["-sSI", url]);
  assert.match(head.stdout, new RegExp(`content-length: ${SIZE}`, "i"));
  const past = await curl("-r", `${SIZE}-`, url);
  assert.equal(past.status, "416");
  await untilLentIsZero();
});

test("20 downloads at once are all whole", async () => {
  const all = await Promise.all(Array.from({ length: 20 }, () => curl(url)));
  for (const r of all) {
    assert.equal(r.status, "200");
    assert.equal(sha(r.body), sha(content));
  }
  await untilLentIsZero();
});

test("a client that hangs up mid-file gives its buffers back; the next download is whole", async () => {
  await new Promise<void>((resolve, reject) => {
    const req = get(url, (res) => {
      res.once("data", () => {
        req.destroy();
        resolve();
      });
    });
    req.on("error", (e) => (req.destroyed ? resolve() : reject(e)));
  });
  await untilLentIsZero();
  const r = await curl(url);
  assert.equal(r.status, "200");
  assert.equal(sha(r.body), sha(content));
});
