// Opening served files on a real filesystem: regular files only, never blocking on a FIFO,
// and only below the allowed roots and outside the state directory, judged on the file
// actually opened (a symlink swapped after registration leads nowhere).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  readSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileRoots, openRegularFile, servedFileRoots } from "../../src/core/files.js";
import { defaultConfig } from "../../src/config/config.js";

const dir = mkdtempSync(join(tmpdir(), `lst-files-${process.pid}-`));
after(() => rmSync(dir, { recursive: true, force: true }));
const served = join(dir, "served");
const state = join(served, "state"); // a state dir inside a root is still forbidden
const elsewhere = join(dir, "elsewhere");
for (const d of [served, state, elsewhere]) mkdirSync(d, { recursive: true });
writeFileSync(join(served, "kernel"), "KERNEL");
writeFileSync(join(state, "machines.json"), "{}");
writeFileSync(join(elsewhere, "secret"), "SECRET");
symlinkSync(join(elsewhere, "secret"), join(served, "link-out"));
symlinkSync(join(served, "kernel"), join(elsewhere, "link-in"));
execFileSync("mkfifo", [join(served, "fifo")]);

/** What an open gave: the file's first bytes, or why it was refused. */
async function outcome(p: Promise<Awaited<ReturnType<typeof openRegularFile>>>) {
  const o = await p;
  if (!o.ok) return { why: o.why, reason: o.reason };
  const b = Buffer.alloc(16);
  const n = readSync(o.fd, b, 0, 16, 0);
  closeSync(o.fd);
  assert.equal(o.stat.size, n);
  return { content: b.subarray(0, n).toString() };
}

test("openRegularFile: a regular file opens; anything else is refused with its reason", async () => {
  assert.deepEqual(await outcome(openRegularFile(join(served, "kernel"))), { content: "KERNEL" });
  assert.deepEqual(await outcome(openRegularFile(join(served, "nope"))), {
    why: "missing",
    reason: "cannot open: ENOENT",
  });
  assert.deepEqual(await outcome(openRegularFile(join(served, "kernel", "x"))), {
    why: "unreadable",
    reason: "cannot open: ENOTDIR",
  });
  assert.deepEqual(await outcome(openRegularFile(served)), {
    why: "not-regular",
    reason: "not a regular file",
  });
  // A FIFO with no writer: refused at once, not waited on.
  const start = Date.now();
  assert.deepEqual(await outcome(openRegularFile(join(served, "fifo"))), {
    why: "not-regular",
    reason: "not a regular file",
  });
  assert.ok(Date.now() - start < 2000);
  // Symlinks are followed unless told not to.
  assert.deepEqual(await outcome(openRegularFile(join(elsewhere, "link-in"))), {
    content: "KERNEL",
  });
  assert.deepEqual(await outcome(openRegularFile(join(elsewhere, "link-in"), { noFollow: true })), {
    why: "unreadable",
    reason: "cannot open: ELOOP",
  });
  assert.deepEqual(await outcome(openRegularFile(join(served, "kernel"), { noFollow: true })), {
    content: "KERNEL",
  });
});

test("FileRoots: below a root and outside the state directory, judged on the real path", async () => {
  const roots = new FileRoots([served], [state]);
  const outsideMsg = (p: string) =>
    `${p} is outside the directories files are served from (files.allowedRoots and ipxe.dir: ${served})`;
  const stateMsg = (p: string) =>
    `${p} is inside the state directory, which holds install tokens and keys`;
  assert.equal(await roots.refusal(join(served, "kernel")), null);
  assert.equal(await roots.refusal(served), null);
  assert.equal(await roots.refusal(join(served, "not-yet")), null);
  assert.equal(await roots.refusal(join(elsewhere, "link-in")), null);
  assert.equal(
    await roots.refusal(join(served, "link-out")),
    outsideMsg(join(elsewhere, "secret")),
  );
  assert.equal(await roots.refusal(`${served}-sibling/k`), outsideMsg(`${served}-sibling/k`));
  assert.equal(
    await roots.refusal(join(served, "..", "elsewhere", "secret")),
    outsideMsg(join(elsewhere, "secret")),
  );
  assert.equal(
    await roots.refusal(join(state, "machines.json")),
    stateMsg(join(state, "machines.json")),
  );
  assert.equal(await roots.refusal(state), stateMsg(state));

  assert.deepEqual(await outcome(roots.open(join(served, "kernel"))), { content: "KERNEL" });
  assert.deepEqual(await outcome(roots.open(join(elsewhere, "link-in"))), { content: "KERNEL" });
  assert.deepEqual(await outcome(roots.open(join(served, "link-out"))), {
    why: "outside",
    reason: outsideMsg(join(elsewhere, "secret")),
  });
  assert.deepEqual(await outcome(roots.open(join(state, "machines.json"))), {
    why: "outside",
    reason: stateMsg(join(state, "machines.json")),
  });
  assert.deepEqual(await outcome(roots.open(join(served, "nope"))), {
    why: "missing",
    reason: "cannot open: ENOENT",
  });
  // Any of several roots will do; any of several forbidden directories refuses.
  const two = new FileRoots([served, elsewhere], [join(dir, "other-state"), state]);
  assert.deepEqual(await outcome(two.open(join(served, "link-out"))), { content: "SECRET" });
  assert.equal(
    await two.refusal(join(state, "machines.json")),
    stateMsg(join(state, "machines.json")),
  );
  assert.equal(
    await two.refusal(join(dir, "k")),
    `${join(dir, "k")} is outside the directories files are served from (files.allowedRoots and ipxe.dir: ${served}, ${elsewhere})`,
  );
});

test("the served roots are files.allowedRoots and ipxe.dir; the state directory is forbidden", () => {
  const config = defaultConfig();
  const roots = servedFileRoots({
    ...config,
    files: { ...config.files, allowedRoots: [served] },
    ipxe: { ...config.ipxe, dir: elsewhere },
    stateDir: state,
  });
  assert.deepEqual([roots.roots, roots.forbidden], [[served, elsewhere], [state]]);
});
