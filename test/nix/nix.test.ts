// The Nix side that needs no module system: every .nix file parses; settings.nix (builtins
// only) renders a config that Landscaper accepts; package.nix's source set (lib.fileset,
// which is why these tests run Nix 2.26); shell scripts under nbp/ pass `sh -n` and
// shellcheck. The module evaluations are in appliance, installer, disko and nixops4.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { defaultConfig, loadConfigFile } from "../../src/config/config.js";
import {
  evalJson,
  nixEval,
  nixInstantiate,
  nixString,
  repoFiles,
  root,
  run,
  scratch,
  checkConfigText,
} from "./nix-tools.js";

test("every .nix file parses (nix-instantiate --parse)", () => {
  const files = repoFiles(".nix");
  assert.ok(files.includes("flake.nix"), `flake.nix not among ${files.join(", ")}`);
  const failures: string[] = [];
  for (const f of files) {
    const r = nixInstantiate(["--parse", f]);
    if (r.status !== 0) failures.push(`${f}:\n${r.stderr.trim()}`);
  }
  assert.deepEqual(failures, [], `these .nix files do not parse:\n${failures.join("\n\n")}`);
});

const settingsNix = join(root, "nixos/settings.nix");

function renderSettings(settings: unknown): string {
  const json = nixEval(
    `(import ${settingsNix}).render (builtins.fromJSON ${nixString(JSON.stringify(settings))})`,
  );
  assert.equal(typeof json, "string");
  return json as string;
}

test("settings.nix defaults are Landscaper's defaults", () => {
  const fromNix = nixEval(`(import ${settingsNix}).defaults`);
  // `address` is decided at run time (first non-loopback IPv4), so Nix has no default.
  const fromTs: Partial<ReturnType<typeof defaultConfig>> = defaultConfig();
  delete fromTs.address;
  assert.deepEqual(fromNix, fromTs);
});

const EXAMPLES: Record<string, unknown> = {
  empty: {},
  "one-interface appliance": {
    address: "192.168.10.2",
    http: { port: 8080 },
    ipxe: { dir: "/nix/store/00000000000000000000000000000000-ipxe-1.21.1" },
    afterInstall: "ignore",
    hooks: { onInstalled: ["/run/current-system/sw/bin/logger", "-t", "landscaper"] },
  },
  "tests on high ports": {
    address: null,
    stateDir: "/tmp/landscaper-state",
    tftp: { port: 1069, maxBlksize: 8192, maxWindowsize: 16, enable: false },
    dhcp: { port: 1067, proxyPort: 14011, answerUnknown: true },
    control: { socket: "/tmp/landscaper.sock", mode: "0600" },
    mdns: { enable: false },
  },
};

for (const [name, settings] of Object.entries(EXAMPLES)) {
  test(`rendered settings are a config Landscaper accepts: ${name}`, () => {
    const text = renderSettings(settings);
    const base = `settings-${name.replaceAll(" ", "-")}`;
    // The real command line, as the NixOS module's build-time check runs it.
    const check = checkConfigText(text, base);
    const loaded = loadConfigFile(join(scratch, `${base}.json`));
    assert.equal(check.status, 0, `landscaper serve --check-config refused it:\n${check.stderr}`);
    assert.deepEqual(JSON.parse(check.stdout), JSON.parse(JSON.stringify(loaded)));
    const given = settings as Record<string, unknown>;
    // Everything the Nix side wrote is what Landscaper ends up with.
    for (const [key, value] of Object.entries(given)) {
      if (value === null) continue;
      if (typeof value === "object" && !Array.isArray(value)) {
        for (const [sub, subValue] of Object.entries(value as Record<string, unknown>)) {
          assert.deepEqual(
            (loaded as unknown as Record<string, Record<string, unknown>>)[key]![sub],
            subValue,
          );
        }
      } else {
        assert.deepEqual((loaded as unknown as Record<string, unknown>)[key], value);
      }
    }
    // A null address is left out, so Landscaper's run-time default applies.
    const parsed = JSON.parse(text) as Record<string, unknown>;
    assert.equal("address" in parsed, typeof given.address === "string");
  });
}

test("unknown settings fail at evaluation, naming the key", () => {
  const cases: [unknown, RegExp][] = [
    [{ bogus: 1 }, /unknown key "bogus"/],
    [{ http: { prot: 80 } }, /unknown key "http\.prot"/],
    [{ tftp: 69 }, /tftp: expected an attribute set/],
  ];
  for (const [settings, message] of cases) {
    const expr = `(import ${settingsNix}).render (builtins.fromJSON ${nixString(JSON.stringify(settings))})`;
    const r = nixInstantiate(["--eval", "--strict", "--json", "-E", expr]);
    assert.notEqual(r.status, 0, `expected ${JSON.stringify(settings)} to be refused`);
    assert.match(r.stderr, message);
  }
});

test("shell scripts under nbp/ pass sh -n and shellcheck -s sh", () => {
  // A shell script is a file that starts with a sh shebang, whatever its name: the demo's
  // init has no .sh suffix. Both known scripts must be among them, so an empty or
  // suffix-only selection cannot pass this test by checking nothing.
  const scripts = repoFiles("")
    .filter((f) => f.startsWith("nbp/"))
    .filter(
      (f) => f.endsWith(".sh") || /^#!\s*\/bin\/sh\b/.test(readFileSync(join(root, f), "latin1")),
    );
  for (const known of ["nbp/agent.sh", "nbp/demo/init"]) {
    assert.ok(
      scripts.includes(known),
      `${known} not among the scripts checked: ${scripts.join(", ")}`,
    );
  }
  for (const f of scripts) {
    const syntax = run("sh", ["-n", f]);
    assert.equal(syntax.status, 0, `sh -n ${f}:\n${syntax.stderr}`);
    const lint = run("shellcheck", ["-s", "sh", f]);
    assert.equal(lint.status, 0, `shellcheck -s sh ${f}:\n${lint.stdout}${lint.stderr}`);
  }
});

test("a wrongly typed value renders, and the module's build-time --check-config refuses it by key", () => {
  // settings.nix checks key names only; value types are Landscaper's to judge, which is
  // why services.landscaper runs `serve --check-config` on the rendered file.
  const check = checkConfigText(renderSettings({ http: { port: "80" } }), "settings-bad-type");
  assert.notEqual(check.status, 0);
  assert.match(check.stderr, /http\.port/);
});

test("package.nix builds from package.json, the lockfile, tsconfig.json and src/ only, and wraps both commands", () => {
  const dir = root.replace(/\/$/, "");
  const pkg = evalJson(
    "flakes.nix",
    `let
      inherit (eval) lib;
      pkg = eval.landscaper.packages.x86_64-linux.landscaper;
      only = lib.fileset.toSource {
        root = ${dir};
        fileset = lib.fileset.unions [ ${dir}/package.json ${dir}/package-lock.json ${dir}/tsconfig.json ${dir}/src ];
      };
    in {
      inherit (pkg) name installPhase;
      sameSource = pkg.src.outPath == only.outPath;
      default = eval.landscaper.packages.x86_64-linux.default.outPath == pkg.outPath;
    }`,
  ) as { name: string; installPhase: string; sameSource: boolean; default: boolean };
  const packageJson = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    version: string;
    bin: Record<string, string>;
  };
  assert.equal(pkg.name, `landscaper-${packageJson.version}`);
  assert.ok(pkg.sameSource, "the source set holds more or less than the build reads");
  assert.ok(pkg.default);
  for (const [name, path] of Object.entries(packageJson.bin))
    assert.ok(
      pkg.installPhase.includes(`$out/bin/${name} \\\n  --add-flags "$dest/"${path}`),
      `no wrapper for ${name} -> ${path}:\n${pkg.installPhase}`,
    );
});
