import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { createMetrics } from "../../src/core/metrics.js";
import { ErrorCode, encodeRequest } from "../../src/tftp/codec/packet.js";
import { startTftpServer, type TftpServer } from "../../src/tftp/server/server.js";
import { rrqFlood } from "../support/rrq-flood.js";
import { RawPeer, sha256, until } from "./client.js";
import { testContext } from "./context.js";
import { makeTree, run, type Tree } from "./fixtures.js";

// The TFTP server against a hostile LAN: requests it cannot serve get an ERROR, requests
// never acknowledged give up their slot, and a real client gets through a flood.
let tree: Tree;
const peers: RawPeer[] = [];
const servers: TftpServer[] = [];

before(async () => {
  tree = await makeTree();
});

after(async () => {
  for (const p of peers) p.close();
  for (const s of servers) await s.close();
  await tree?.cleanup();
});

async function serve(
  tftp: Parameters<typeof testContext>[0] = {},
  log = pino({ level: "silent" }),
) {
  const ctx = { ...testContext(tftp, tree.root), log, metrics: createMetrics() };
  const s = await startTftpServer(ctx, { host: "127.0.0.1" });
  servers.push(s);
  return { server: s, ctx };
}

async function peer(address = "127.0.0.1"): Promise<RawPeer> {
  const p = await RawPeer.open(address);
  peers.push(p);
  return p;
}

test("every parseable-enough malformed request gets an ERROR packet with its RFC code", async () => {
  const { server } = await serve();
  const cases: [string, Buffer, number, RegExp][] = [
    ["no NUL after the mode", Buffer.from("\0\x01ipxe.efi\0octet"), 4, /unterminated/],
    ["unknown mode", Buffer.from("\0\x01ipxe.efi\0binary\0"), 4, /unknown mode/],
    ["no mode", Buffer.from("\0\x01ipxe.efi\0"), 4, /filename and a mode/],
    ["empty filename", Buffer.from("\0\x01\0octet\0"), 4, /empty filename/],
    ["option without value", Buffer.from("\0\x01ipxe.efi\0octet\0blksize\0"), 8, /no value/],
    ["option twice", Buffer.from("\0\x01a\0octet\0tsize\x000\0tsize\x000\0"), 8, /twice/],
    ["600-byte name", Buffer.from(`\0\x01${"a".repeat(600)}\0octet\0`), 4, /longer than/],
    ["short ACK", Buffer.from([0, 4, 0]), -1, /./],
    ["ACK of 5 bytes", Buffer.from([0, 4, 0, 1, 9]), 5, /exactly 4/],
    ["unknown opcode", Buffer.from([0, 42, 1, 2]), 4, /unknown opcode/],
  ];
  for (const [name, msg, code, text] of cases) {
    const p = await peer();
    p.send(msg, server.port);
    const r = await p.next(code < 0 ? 300 : 2000);
    if (code < 0) {
      assert.equal(r, null, `${name}: 3 bytes are answered with silence (no reflection)`);
      continue;
    }
    assert.ok(r && r.packet.op === "error", `${name}: ${JSON.stringify(r?.packet)}`);
    assert.equal(r.packet.code, code, name);
    assert.match(r.packet.message, text, name);
  }
  assert.equal(server.stats().malformed, cases.length);
});

test("a transfer whose first block is never acknowledged gives up its slot in about 2 s", async () => {
  const { server } = await serve();
  const p = await peer();
  const t0 = Date.now();
  p.send(encodeRequest("rrq", "odd.bin"), server.port);
  assert.equal((await p.next())?.packet.op, "data");
  await until(() => server.stats().active === 0, 6000, "slot freed");
  const ms = Date.now() - t0;
  assert.ok(ms >= 1800 && ms < 4000, `freed after ${ms} ms`);
  assert.equal(server.stats().timeout, 1);
  // The same with an OACK never acknowledged.
  const q = await peer();
  q.send(encodeRequest("rrq", "odd.bin", "octet", [{ name: "tsize", value: "0" }]), server.port);
  assert.equal((await q.next())?.packet.op, "oack");
  await until(() => server.stats().active === 0, 6000, "OACK slot freed");
  assert.equal(server.stats().timeout, 2);
});

test("at the per-address cap, that address's oldest silent transfer makes room", async () => {
  const { server } = await serve({ maxPerClient: 2 });
  const [a, b, c] = [await peer(), await peer(), await peer()];
  for (const p of [a, b, c]) {
    p.send(encodeRequest("rrq", "odd.bin"), server.port);
    assert.equal((await p.next())?.packet.op, "data");
  }
  // a's transfer was dropped for c's: its TID tells it so.
  const told = await a.next();
  assert.ok(told && told.packet.op === "error" && told.packet.code === ErrorCode.NOT_DEFINED);
  assert.match(told.packet.message, /never acknowledged/);
  assert.equal(server.stats().active, 2);
});

test("a full table drops its oldest never-acknowledged transfer for a new client", async () => {
  const { server } = await serve({ maxTransfers: 3 });
  const held = [await peer("127.0.0.2"), await peer("127.0.0.3"), await peer("127.0.0.4")];
  for (const p of held) {
    p.send(encodeRequest("rrq", "odd.bin"), server.port);
    assert.equal((await p.next())?.packet.op, "data");
  }
  const newcomer = await peer("127.0.0.5");
  newcomer.send(encodeRequest("rrq", "ipxe.efi"), server.port);
  assert.equal((await newcomer.next())?.packet.op, "data");
  const told = await held[0]!.next();
  assert.ok(told && told.packet.op === "error", JSON.stringify(told?.packet));
  assert.equal(server.stats().active, 3);
});

test("curl and atftp fetch during a flood of 1,500 never-acknowledging RRQs", async () => {
  // A log that counts its lines: the flood must be told in aggregate, not per request.
  let lines = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines += chunk.toString().split("\n").length - 1;
      cb();
    },
  });
  const { server, ctx } = await serve({ maxTransfers: 1000 }, pino({ level: "info" }, sink));
  const flood = rrqFlood(server.port, "odd.bin");
  try {
    await flood.round();
    await until(() => server.stats().active >= 900, 10_000, "table filled by the flood");
    const out = path.join(tree.base, "flood-out");
    const url = `tftp://127.0.0.1:${server.port}/ipxe.efi`;
    let fetching = true;
    const fetches = (async () => {
      try {
        const c = await run("curl", ["-sS", "--max-time", "20", "-o", out, url], 25_000);
        assert.equal(c.code, 0, `curl: ${c.stderr}`);
        assert.equal(sha256(await readFile(out)), sha256(tree.files["ipxe.efi"]!));
        await rm(out);
        const a = await run(
          "atftp",
          [
            ...["--get", "-r", "ipxe.efi", "-l", out, "--option", "blksize 1468"],
            ...["127.0.0.1", String(server.port)],
          ],
          25_000,
        );
        assert.equal(a.code, 0, `atftp: ${a.stderr}`);
        assert.equal(sha256(await readFile(out)), sha256(tree.files["ipxe.efi"]!));
      } finally {
        fetching = false;
      }
    })();
    // The flood goes on while they fetch: a new round of 1,500 at once, then every
    // 500 ms, at most 40. The first round must not wait: on a fast machine both fetches
    // can end inside 500 ms, and then no flood would have overlapped them at all.
    for (let r = 0; r < 40 && fetching; r++) {
      await flood.round();
      await new Promise((res) => setTimeout(res, 500));
    }
    await fetches;
    assert.ok(flood.sent >= 3000, `only ${flood.sent} RRQs sent`);
  } finally {
    flood.close();
  }
  const dropped = await ctx.metrics.tftpTransfers.get();
  const aborted = dropped.values.find((v) => v.labels.outcome === "aborted")?.value ?? 0;
  assert.ok(aborted > 0, "silent transfers were dropped for newer requests");
  assert.ok(lines < 20, `${lines} log lines for ${flood.sent} flooded requests`);
});
