import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { insideDir } from "../../src/core/paths.js";
import { resolveInRoot } from "../../src/tftp/server/paths.js";

/**
 * The two path checks that keep files outside a root from being served, on a real tree:
 * root/{a.efi, sub/b.efi, out -> /etc/hostname, loop -> loop, file-as-dir}, and a sibling
 * directory whose name starts with the root's.
 */
const base = await realpath(await mkdtemp(join(tmpdir(), "lst-paths-")));
after(() => rm(base, { recursive: true, force: true }));
const root = join(base, "root");
await mkdir(join(root, "sub"), { recursive: true });
await writeFile(join(root, "a.efi"), "a");
await writeFile(join(root, "sub", "b.efi"), "b");
await symlink("/etc/hostname", join(root, "out"));
await symlink(join(root, "loop"), join(root, "loop"));
await symlink(join(root, "sub"), join(root, "insub"));
await mkdir(join(base, "rootx"));
await writeFile(join(base, "rootx", "c.efi"), "c");
await symlink(join(base, "rootx"), join(root, "sibling"));

test("resolveInRoot: files under the root resolve; everything leaving it is refused", async () => {
  assert.deepEqual(await resolveInRoot(root, "a.efi"), { ok: true, path: join(root, "a.efi") });
  assert.deepEqual(await resolveInRoot(root, "/sub/b.efi"), {
    ok: true,
    path: join(root, "sub", "b.efi"),
  });
  assert.deepEqual(await resolveInRoot(root, `${root}/a.efi`), {
    ok: true,
    path: join(root, "a.efi"),
  });
  assert.deepEqual(await resolveInRoot(root, "insub/b.efi"), {
    ok: true,
    path: join(root, "sub", "b.efi"),
  });
  const refusals: [string, number, string][] = [
    ["missing.efi", 1, "file not found"],
    ["a.efi/x", 1, "file not found"],
    ["/missing.efi", 2, "absolute path outside the TFTP root"],
    ["/etc/hostname", 2, "absolute path outside the TFTP root"],
    ["out", 2, "resolves outside the TFTP root"],
    ["sibling/c.efi", 2, "resolves outside the TFTP root"],
    ["loop", 2, "symlink loop"],
    ["../root/a.efi", 2, "'..' segments are not allowed"],
    ["/", 1, "names the root directory"],
  ];
  for (const [name, code, reason] of refusals)
    assert.deepEqual(await resolveInRoot(root, name), { ok: false, code, reason }, name);
});

test("insideDir: the dir itself and below it, symlinks resolved, not a prefix-named sibling", async () => {
  assert.equal(await insideDir(root, root), true);
  assert.equal(await insideDir(join(root, "a.efi"), root), true);
  assert.equal(await insideDir(join(root, "a.efi"), root + "/"), true);
  assert.equal(await insideDir(join(root, "not-yet"), root), true);
  assert.equal(await insideDir(join(base, "rootx", "c.efi"), root), false);
  assert.equal(await insideDir(join(root, "sibling", "c.efi"), root), false);
  assert.equal(await insideDir(join(root, "out"), root), false);
  assert.equal(await insideDir(join(root, "insub", "b.efi"), join(root, "sub")), true);
  assert.equal(await insideDir("/etc/hostname", root), false);
});
