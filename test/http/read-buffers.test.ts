import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ReadBuffers } from "../../src/http/read-buffers.js";

const KiB = 1024;
const MiB = 1024 * KiB;

test("one download gets the biggest chunk; later ones shrink to the floor as the budget fills", () => {
  const pool = new ReadBuffers(12 * MiB, 24 * MiB, 4 * MiB, 256 * KiB);
  const a = pool.lease(256 * MiB, 2);
  assert.deepEqual(
    a.buffers.map((b) => b.length),
    [4 * MiB, 4 * MiB],
  );
  const b = pool.lease(256 * MiB, 2);
  assert.equal(b.buffers[0]?.length, 2 * MiB);
  const c = pool.lease(256 * MiB, 2);
  assert.equal(c.buffers[0]?.length, 256 * KiB, "the budget is spent: the floor");
  assert.equal(pool.lent, 12 * MiB + 512 * KiB);
  for (const l of [a, b, c]) l.release(true);
  assert.equal(pool.lent, 0);
});

test("a body smaller than a chunk gets buffers no bigger than it needs", () => {
  const pool = new ReadBuffers(12 * MiB, 24 * MiB, 4 * MiB, 256 * KiB);
  assert.equal(pool.lease(1234, 2).buffers[0]?.length, 1234);
  assert.equal(pool.lease(300 * KiB, 2).buffers[0]?.length, 512 * KiB);
  assert.equal(pool.lease(1 * MiB, 2).buffers[0]?.length, 1 * MiB);
});

test("released buffers are reused; ones a destroyed socket may hold are not", () => {
  const pool = new ReadBuffers(12 * MiB, 24 * MiB, 4 * MiB, 256 * KiB);
  const a = pool.lease(64 * MiB, 2);
  a.release(true);
  a.release(true); // twice is once
  assert.equal(pool.kept, 8 * MiB);
  const b = pool.lease(64 * MiB, 2);
  assert.deepEqual(new Set(b.buffers), new Set(a.buffers));
  b.release(false);
  assert.equal(pool.lent, 0);
  assert.equal(pool.kept, 0);
  const c = pool.lease(64 * MiB, 2);
  for (const buf of c.buffers) assert.ok(!a.buffers.includes(buf));
});

test("chunk sizes must be powers of two with min <= max", () => {
  assert.throws(() => new ReadBuffers(1 * MiB, 1 * MiB, 3 * KiB, 1 * KiB), RangeError);
  assert.throws(() => new ReadBuffers(1 * MiB, 1 * MiB, 1 * KiB, 4 * KiB), RangeError);
});

test("any sequence of leases and releases stays within the limits and returns to zero", () => {
  const budget = 12 * MiB;
  const keep = 24 * MiB;
  const floor = 256 * KiB;
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          length: fc.integer({ min: 1, max: 64 * MiB }),
          releaseOne: fc.boolean(),
          reuse: fc.boolean(),
        }),
        { maxLength: 60 },
      ),
      (steps) => {
        const pool = new ReadBuffers(budget, keep, 4 * MiB, floor);
        const open: { release: (reuse: boolean) => void; size: number }[] = [];
        for (const s of steps) {
          const before = pool.lent;
          const l = pool.lease(s.length, 2);
          const size = l.buffers[0]?.length ?? 0;
          assert.ok(l.buffers.every((b) => b.length === size));
          if (s.length >= floor) {
            assert.equal(size & (size - 1), 0, "a power of two");
            assert.ok(size === floor || before + 2 * size <= budget, "big chunks within budget");
            open.push({ release: l.release, size });
          }
          assert.ok(pool.kept + pool.lent <= keep + 2 * floor * open.length);
          if (s.releaseOne && open.length > 0) open.shift()?.release(s.reuse);
        }
        for (const o of open) o.release(true);
        assert.equal(pool.lent, 0);
        assert.ok(pool.kept <= keep);
      },
    ),
  );
});
