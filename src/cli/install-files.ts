#!/usr/bin/env node
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { packageVersion } from "../core/version.js";
import { ROOT } from "./commands.js";
import { INSTALL_PATHS, SCRIPTS } from "./completion.js";
import { manPage } from "./man.js";

/**
 * `node dist/src/cli/install-files.js PREFIX`: writes the shell completions and the man
 * page under PREFIX (`share/...`), where shells and man look. package.nix and
 * scripts/install both run it, so the two installs put the same files in the same places.
 */

const prefix = process.argv[2];
if (prefix === undefined || process.argv.length !== 3) {
  process.stderr.write("usage: node install-files.js PREFIX\n");
  process.exit(2);
}
const files: Record<string, string> = {
  "share/man/man1/landscaper.1": manPage(ROOT, packageVersion()),
};
for (const [shell, path] of Object.entries(INSTALL_PATHS)) files[path] = SCRIPTS[shell]!;
for (const [path, text] of Object.entries(files)) {
  const to = join(prefix, path);
  mkdirSync(dirname(to), { recursive: true });
  writeFileSync(to, text, { mode: 0o644 });
  process.stdout.write(to + "\n");
}
