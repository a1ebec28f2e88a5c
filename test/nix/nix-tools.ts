// Running Nix for the Nix tests: Debian trixie's Nix 2.26, unpacked privately by
// scripts/deps/nix-trixie (bookworm's 2.8 cannot evaluate nixpkgs' lib.fileset). No daemon,
// no network, a dummy store: evaluation only, with state and cache dirs of its own. The
// real Nix code evaluated against (nixpkgs' lib, NixOps4, nixops4-nixos, disko) is read
// from ../shared/reference/nix or $LANDSCAPER_NIX_REFERENCE.
import { after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("../../../", import.meta.url));
export const scratch = mkdtempSync(join(tmpdir(), "lst-nix-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Nix wants writable state, log and cache dirs; give it its own so that it runs as
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

const nixDir = process.env.LANDSCAPER_NIX_DIR ?? "/opt/landscaper/nix-2.26";
const nixInstantiateBin = join(nixDir, "bin/nix-instantiate");

export function nixInstantiate(args: string[]): Run {
  assert.ok(
    existsSync(nixInstantiateBin),
    `Nix 2.26 is not installed at ${nixInstantiateBin}: run scripts/deps/install (or set LANDSCAPER_NIX_DIR)`,
  );
  return run(nixInstantiateBin, ["--store", "dummy://", ...args], nixEnv);
}

/** The real Nix code to evaluate against (see ../shared/reference/nix/README.md). Its
 * absence fails the test that needs it, saying where it was looked for. */
export function nixReference(): string {
  const candidates = [
    process.env.LANDSCAPER_NIX_REFERENCE,
    resolve(root, "../shared/reference/nix"),
  ].filter((c): c is string => c !== undefined && c !== "");
  const found = candidates.find((c) => existsSync(join(c, "nixpkgs-lib/lib/default.nix")));
  assert.ok(
    found !== undefined,
    `the reference Nix code (nixpkgs lib, NixOps4, nixops4-nixos, disko) is absent: looked in ${candidates.join(", ")}; set LANDSCAPER_NIX_REFERENCE to its directory`,
  );
  return found;
}

/** Evaluate `expr` with `eval` bound to the given file of test/nix/eval applied to the
 * reference code (and `extra`, a Nix attribute set of more arguments). */
export function evalExpr(file: string, expr: string, extra = "{ }"): Run {
  const path = join(root, "test/nix/eval", file);
  const full = `let eval = import ${path} ({ reference = ${nixReference()}; } // ${extra}); in ${expr}`;
  return nixInstantiate(["--eval", "--strict", "--json", "-E", full]);
}

/** Like evalExpr, to a JSON value; a failed evaluation fails the test with Nix's message. */
export function evalJson(file: string, expr: string, extra = "{ }"): unknown {
  const r = evalExpr(file, expr, extra);
  assert.equal(r.status, 0, `evaluating ${file} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

/**
 * `landscaper serve --check-config` on `text`, written to scratch as `name`.json: the
 * build-time check the NixOS module runs on the rendered settings. The caller judges.
 */
export function checkConfigText(text: string, name: string): Run {
  const file = join(scratch, `${name}.json`);
  writeFileSync(file, text);
  return run(process.execPath, [
    join(root, "dist/src/cli/main.js"),
    "serve",
    "--check-config",
    "--config",
    file,
  ]);
}

/** Keep a JSON document under test-output/ for people to read. */
export function keepJson(name: string, value: unknown): string {
  const file = join(root, "test-output/nix", name);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(value, null, 2) + "\n");
  return file;
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
