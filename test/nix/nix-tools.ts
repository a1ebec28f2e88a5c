// Running Debian's Nix 2.8 for the Nix tests: no nixpkgs, no daemon, no network. Every
// evaluation is builtins only, against a dummy store, with state and cache dirs of its own.
import { after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("../../../", import.meta.url));
export const scratch = mkdtempSync(join(tmpdir(), "lst-nix-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Nix 2.8 wants writable state, log and cache dirs; give it its own so that it runs as
 * root in CI without a daemon and never touches /nix or the real HOME. */
const nixEnv: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: join(scratch, "home"),
  NIX_STATE_DIR: join(scratch, "state"),
  NIX_CONF_DIR: join(scratch, "conf"),
  NIX_LOG_DIR: join(scratch, "log"),
  XDG_CACHE_HOME: join(scratch, "cache"),
  XDG_CONFIG_HOME: join(scratch, "config"),
  XDG_DATA_HOME: join(scratch, "data"),
};

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Run {
  const r = spawnSync(cmd, args, { cwd: root, env, encoding: "utf8", timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function nixInstantiate(args: string[]): Run {
  return run("nix-instantiate", ["--store", "dummy://", ...args], nixEnv);
}

/** Evaluate a Nix expression (builtins only) to a JSON value. */
export function nixEval(expr: string): unknown {
  const r = nixInstantiate(["--eval", "--strict", "--json", "-E", expr]);
  assert.equal(r.status, 0, `nix-instantiate --eval failed:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** A Nix string literal for any JS string (JSON string escapes are valid Nix, bar `${`). */
export function nixString(s: string): string {
  return JSON.stringify(s).replaceAll("${", "\\${");
}

const SKIP_DIRS = new Set(["node_modules", "dist", ".git", "test-output", ".cache"]);

/** Files of the repository with the given suffix: what git tracks or would track, or,
 * outside a git checkout, a walk that skips build output and dependencies. */
export function repoFiles(suffix: string): string[] {
  const git = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: root,
    encoding: "utf8",
  });
  if (git.status === 0) {
    return git.stdout
      .split("\0")
      .filter((f) => f.endsWith(suffix) && existsSync(join(root, f)))
      .filter((f) => !f.split("/").some((part) => SKIP_DIRS.has(part)))
      .sort();
  }
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > 12) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (SKIP_DIRS.has(e.name)) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p, depth + 1);
      else if (e.name.endsWith(suffix)) out.push(relative(root, p));
    }
  };
  walk(root, 0);
  return out.sort();
}
