import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { pino } from "pino";
import { startTftpServer, type TftpServer } from "../../src/tftp/server/server.js";
import { sha256 } from "./client.js";
import { testContext } from "./context.js";
import { makeTree, run, type Tree } from "./fixtures.js";

// Real peers against the server on loopback: curl, atftp, tftp-hpa.
let tree: Tree;
let server: TftpServer;
let out: string;
/** The server's log lines: each finished transfer names the options its OACK carried. */
const logLines: string[] = [];

before(async () => {
  tree = await makeTree();
  out = path.join(tree.base, "out");
  const log = pino({ level: "info" }, { write: (l: string) => void logLines.push(l) });
  server = await startTftpServer(testContext({}, tree.root, log), { host: "127.0.0.1" });
});

after(async () => {
  await server?.close();
  await tree?.cleanup();
});

/** The server's report of each finished transfer of `file`, oldest first. */
function transfers(file: string): { options?: Record<string, string> }[] {
  return logLines
    .map((l) => JSON.parse(l) as { msg: string; file?: string; options?: Record<string, string> })
    .filter((e) => e.msg === "tftp transfer" && e.file === file);
}

/**
 * The options acknowledged in the OACK of the transfer after the first `before`: the server
 * reports once the final ACK is in, which can be a moment after the client exits.
 */
async function acknowledged(file: string, before: number): Promise<unknown> {
  for (let i = 0; i < 100 && transfers(file).length <= before; i++)
    await new Promise((r) => setTimeout(r, 20));
  return transfers(file)[before]?.options;
}

async function fetched(): Promise<string> {
  const data = await readFile(out);
  await rm(out, { force: true });
  return sha256(data);
}

const url = (file: string) => `tftp://127.0.0.1:${server.port}/${file}`;
const names = ["ipxe.efi", "empty.bin", "x512.bin", "x1468.bin", "odd.bin", "sub/inner.bin"];

/** tftp-hpa's client in binary mode against our server: `get REMOTE LOCAL` or `put LOCAL REMOTE`. */
const tftpHpa = (verb: "get" | "put", a: string, b: string, timeoutMs?: number) =>
  run("tftp", ["-m", "binary", "127.0.0.1", String(server.port), "-c", verb, a, b], timeoutMs);

test("curl, default blksize and --tftp-blksize 1468: byte-identical", async () => {
  for (const name of names) {
    for (const extra of [[], ["--tftp-blksize", "1468"]]) {
      const r = await run("curl", ["-sS", "-o", out, ...extra, url(name)]);
      assert.equal(r.code, 0, `${name} ${extra.join(" ")}: ${r.stderr}`);
      assert.equal(await fetched(), sha256(tree.files[name]!), `${name} ${extra.join(" ")}`);
    }
  }
});

test("atftp with blksize 1468, windowsize 16, tsize 0: all granted, byte-identical", async () => {
  for (const name of names) {
    const before = transfers(name).length;
    const r = await run("atftp", [
      ...["--get", "-r", name, "-l", out],
      ...["--option", "blksize 1468", "--option", "windowsize 16", "--option", "tsize 0"],
      ...["127.0.0.1", String(server.port)],
    ]);
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    assert.equal(await fetched(), sha256(tree.files[name]!), name);
    // Byte-identical would hold in lock-step too: the OACK must have granted the window.
    const size = tree.files[name]!.length;
    assert.deepEqual(await acknowledged(name, before), {
      blksize: "1468",
      windowsize: "16",
      // An empty file's OACK leaves tsize out (curl refuses tsize 0).
      ...(size > 0 ? { tsize: String(size) } : {}),
    });
  }
});

test("tftp-hpa, plain RFC 1350 (512-byte blocks, no options): byte-identical", async () => {
  for (const name of names) {
    const r = await tftpHpa("get", name, out);
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    assert.equal(await fetched(), sha256(tree.files[name]!), name);
  }
});

test("a leading slash and the root's absolute path name the same file", async () => {
  for (const name of ["/odd.bin", `${tree.root}/odd.bin`, "inside-link"]) {
    const r = await run("curl", ["-sS", "-o", out, url(encodeURI(name).replace(/^\//, "%2F"))]);
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    assert.equal(await fetched(), sha256(tree.files["odd.bin"]!), name);
  }
});

test("40 MB at 512-byte blocks rolls the block number over (tftp-hpa)", async () => {
  const big = path.join(tree.root, "big40.bin");
  const data = randomBytes(40 * 1024 * 1024 + 123);
  await writeFile(big, data);
  try {
    const r = await tftpHpa("get", "big40.bin", out, 120000);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await fetched(), sha256(data));
    // More than 65535 blocks went out: the wire numbers wrapped.
    assert.ok(data.length / 512 > 65536);
  } finally {
    await rm(big, { force: true });
  }
});

test("missing files, traversal and writes are refused with the right error (real clients)", async () => {
  const missing = await tftpHpa("get", "nope.efi", out);
  assert.match(missing.stdout + missing.stderr, /Error code 1/);
  const escape = await tftpHpa("get", "../secret.txt", out);
  assert.match(escape.stdout + escape.stderr, /Error code 2/);
  const link = await tftpHpa("get", "escape", out);
  assert.match(link.stdout + link.stderr, /Error code 2/);
  const src = path.join(tree.base, "upload.bin");
  await writeFile(src, "data");
  const put = await tftpHpa("put", src, "upload.bin");
  assert.match(put.stdout + put.stderr, /Error code 2/);
  const curl = await run("curl", ["-sS", "-o", out, url("nope.efi")]);
  assert.notEqual(curl.code, 0);
  await rm(out, { force: true });
  assert.ok(server.stats().refused >= 4);
});
