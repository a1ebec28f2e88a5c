import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { INSTALL_PATHS, SCRIPTS } from "../../src/cli/completion.js";
import { packageVersion } from "../../src/core/version.js";

const repo = resolve(import.meta.dirname, "../../..");

test("scripts/install: both binaries, completions and landscaper(1) where Debian's tools look", () => {
  const prefix = mkdtempSync(join(tmpdir(), "lst-install-"));
  try {
    const r = spawnSync(join(repo, "scripts/install"), [prefix], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    for (const bin of ["landscaper", "nixops4-resources-landscaper"]) {
      const v = spawnSync(join(prefix, "bin", bin), ["--version"], { encoding: "utf8" });
      assert.equal(v.stdout, `${bin} ${packageVersion()}\n`, v.stderr);
    }
    for (const [shell, path] of Object.entries(INSTALL_PATHS))
      assert.equal(readFileSync(join(prefix, path), "utf8"), SCRIPTS[shell], shell);
    // man finds the page by name in PREFIX/share/man
    const where = spawnSync("man", ["-M", join(prefix, "share/man"), "-w", "landscaper"], {
      encoding: "utf8",
    });
    assert.equal(where.stdout.trim(), join(prefix, "share/man/man1/landscaper.1"), where.stderr);
    // only the run-time dependencies were kept
    const modules = spawnSync("ls", [join(prefix, "lib/landscaper/node_modules")], {
      encoding: "utf8",
    }).stdout;
    assert.match(modules, /^ssh2$/m);
    assert.doesNotMatch(modules, /^(typescript|eslint|prettier)$/m);
  } finally {
    rmSync(prefix, { recursive: true, force: true });
  }
});
