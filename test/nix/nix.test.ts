// The Nix side, as far as this machine can check it: Debian's Nix 2.8 without nixpkgs and
// without network. Every .nix file must parse; settings.nix (builtins only) renders a config
// that Landscaper accepts; the template's disk layout has what base.nix relies on; shell
// scripts under nbp/ pass `sh -n` and shellcheck. The NixOps4 side is in nixops4.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { defaultConfig, loadConfigFile } from "../../src/config/config.js";
import { nixEval, nixInstantiate, nixString, repoFiles, root, run, scratch } from "./nix-tools.js";

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
    const file = join(scratch, `settings-${name.replaceAll(" ", "-")}.json`);
    writeFileSync(file, text);
    const loaded = loadConfigFile(file);
    // The real command line, as the NixOS module's build-time check runs it.
    const check = run(process.execPath, [
      join(root, "dist/src/cli/main.js"),
      "serve",
      "--check-config",
      "--config",
      file,
    ]);
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
  const scripts = repoFiles(".sh").filter((f) => f.startsWith("nbp/"));
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
  const file = join(scratch, "settings-bad-type.json");
  writeFileSync(file, renderSettings({ http: { port: "80" } }));
  const check = run(process.execPath, [
    join(root, "dist/src/cli/main.js"),
    "serve",
    "--check-config",
    "--config",
    file,
  ]);
  assert.notEqual(check.status, 0);
  assert.match(check.stderr, /http\.port/);
});

test("the template's disk layout boots BIOS (EF02 for GRUB) and UEFI (ESP at /boot)", () => {
  const layout = nixEval(
    `(import ${join(root, "nixos/template/disko/single-disk.nix")} { device = "/dev/vda"; }).disko.devices`,
  ) as {
    disk: Record<
      string,
      {
        device: string;
        content: {
          type: string;
          partitions: Record<string, { type?: string; content?: { mountpoint?: string } }>;
        };
      }
    >;
  };
  const disk = layout.disk.main!;
  assert.equal(disk.device, "/dev/vda");
  assert.equal(disk.content.type, "gpt");
  const parts = Object.values(disk.content.partitions);
  // nixos/base.nix relies on both: disko sets GRUB's BIOS device from the EF02 partition,
  // and GRUB's EFI files go to boot.loader.efi.efiSysMountPoint, /boot by default.
  assert.ok(parts.some((p) => p.type === "EF02"));
  assert.ok(parts.some((p) => p.type === "EF00" && p.content?.mountpoint === "/boot"));
  assert.ok(parts.some((p) => p.content?.mountpoint === "/"));
});
