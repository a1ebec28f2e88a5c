// RFC 2347/2348/2349/7440 option negotiation, exactly: every option at and beyond its
// bounds, with the whole outcome (values, OACK, and why an option was left out).
import { test } from "node:test";
import assert from "node:assert/strict";
import { negotiate, type Negotiated } from "../../src/tftp/codec/options.js";

const limits = { maxBlksize: 1468, maxWindowsize: 16 };
const plain: Negotiated = { blksize: 512, windowsize: 1, timeoutMs: null, oack: [], ignored: [] };

/** The outcome of one option `name=value` for a file of `size` bytes. */
const one = (name: string, value: string, size = 1000, lim = limits) =>
  negotiate([{ name, value }], size, lim);
const acked = (name: string, value: string, over: Partial<Negotiated>): Negotiated => ({
  ...plain,
  ...over,
  oack: [{ name, value }],
});
const left = (name: string, reason: string): Negotiated => ({
  ...plain,
  ignored: [{ name, reason }],
});

test("no options: RFC 1350 defaults and no OACK", () => {
  assert.deepEqual(negotiate([], 1000, limits), plain);
});

test("blksize: 8 and up, clamped to the server's limit and to 65464", () => {
  assert.deepEqual(one("blksize", "8"), acked("blksize", "8", { blksize: 8 }));
  assert.deepEqual(one("blksize", "1468"), acked("blksize", "1468", { blksize: 1468 }));
  assert.deepEqual(one("blksize", "1469"), acked("blksize", "1468", { blksize: 1468 }));
  const wide = { maxBlksize: 100000, maxWindowsize: 1 };
  assert.deepEqual(one("blksize", "65465", 1, wide), acked("blksize", "65464", { blksize: 65464 }));
  // A limit below 8 is raised to 8: the option is still honoured.
  const narrow = { maxBlksize: 2, maxWindowsize: 1 };
  assert.deepEqual(one("blksize", "512", 1, narrow), acked("blksize", "8", { blksize: 8 }));
  for (const v of ["7", "0", "", "-8", "8.0", " 8", "8 ", "0x10", "12345678901"])
    assert.deepEqual(
      one("blksize", v),
      left("blksize", `blksize ${JSON.stringify(v)} is not an integer >= 8`),
      v,
    );
  // Ten digits is the longest number read.
  assert.deepEqual(one("blksize", "0000001024"), acked("blksize", "1024", { blksize: 1024 }));
});

test("tsize: the file's real size; declined for an empty file", () => {
  assert.deepEqual(one("tsize", "0", 850528), acked("tsize", "850528", {}));
  assert.deepEqual(one("tsize", "0", 1), acked("tsize", "1", {}));
  assert.deepEqual(one("tsize", "0", 0), left("tsize", "empty file"));
  assert.deepEqual(one("tsize", "x"), left("tsize", 'tsize "x" is not an integer'));
});

test("timeout: 1..255 seconds as asked, never changed", () => {
  assert.deepEqual(one("timeout", "1"), acked("timeout", "1", { timeoutMs: 1000 }));
  assert.deepEqual(one("timeout", "255"), acked("timeout", "255", { timeoutMs: 255000 }));
  for (const v of ["0", "256", "", "1.5"])
    assert.deepEqual(
      one("timeout", v),
      left("timeout", `timeout ${JSON.stringify(v)} is not 1..255 seconds`),
      v,
    );
});

test("windowsize: 1..65535, clamped to the server's limit", () => {
  assert.deepEqual(one("windowsize", "1"), acked("windowsize", "1", { windowsize: 1 }));
  assert.deepEqual(one("windowsize", "16"), acked("windowsize", "16", { windowsize: 16 }));
  assert.deepEqual(one("windowsize", "17"), acked("windowsize", "16", { windowsize: 16 }));
  assert.deepEqual(
    one("windowsize", "65535", 1, { maxBlksize: 512, maxWindowsize: 100000 }),
    acked("windowsize", "65535", { windowsize: 65535 }),
  );
  // A limit below 1 is raised to 1.
  assert.deepEqual(
    one("windowsize", "4", 1, { maxBlksize: 512, maxWindowsize: 0 }),
    acked("windowsize", "1", { windowsize: 1 }),
  );
  for (const v of ["0", "65536", "", "w"])
    assert.deepEqual(
      one("windowsize", v),
      left("windowsize", `windowsize ${JSON.stringify(v)} is not 1..65535`),
      v,
    );
});

test("unknown options are left out; the OACK keeps the client's order", () => {
  assert.deepEqual(
    negotiate(
      [
        { name: "windowsize", value: "4" },
        { name: "multicast", value: "" },
        { name: "blksize", value: "1024" },
      ],
      10,
      limits,
    ),
    {
      blksize: 1024,
      windowsize: 4,
      timeoutMs: null,
      oack: [
        { name: "windowsize", value: "4" },
        { name: "blksize", value: "1024" },
      ],
      ignored: [{ name: "multicast", reason: "unknown option" }],
    },
  );
});
