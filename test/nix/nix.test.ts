// The Nix side, as far as this machine can check it: Debian's Nix 2.8 without nixpkgs and
// without network. Every .nix file must parse; the pure helpers (settings rendering, the
// provider declaration against a stub `lib`) are evaluated with builtins only; the
// installer agent passes `sh -n` and shellcheck.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { defaultConfig, loadConfigFile } from "../../src/config/config.js";
import { renderJobSh, validateJob, type Job } from "../../src/boot/job.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "lst-nix-"));
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

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Run {
  const r = spawnSync(cmd, args, { cwd: root, env, encoding: "utf8", timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function nixInstantiate(args: string[]): Run {
  return run("nix-instantiate", ["--store", "dummy://", ...args], nixEnv);
}

/** Evaluate a Nix expression (builtins only) to a JSON value. */
function nixEval(expr: string): unknown {
  const r = nixInstantiate(["--eval", "--strict", "--json", "-E", expr]);
  assert.equal(r.status, 0, `nix-instantiate --eval failed:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** A Nix string literal for any JS string (JSON string escapes are valid Nix, bar `${`). */
function nixString(s: string): string {
  return JSON.stringify(s).replaceAll("${", "\\${");
}

const SKIP_DIRS = new Set(["node_modules", "dist", ".git", "test-output", ".cache"]);

/** Files of the repository with the given suffix: what git tracks or would track, or,
 * outside a git checkout, a walk that skips build output and dependencies. */
function repoFiles(suffix: string): string[] {
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

/** DESIGN.md "NixOps4 resource provider": every type requires state; `?` marks optional. */
const DESIGN_RESOURCE_TYPES: Record<string, { inputs: string; outputs: string }> = {
  pxe_nbp: {
    inputs: "mac, kernel, initrd, cmdline?, job?, installationHostKey?, socket?",
    outputs: "bootUrl, generation, installationHostPublicKey",
  },
  ssh_keypair: { inputs: "keyType?, comment?", outputs: "publicKey, privateKey" },
  ssh_host_public_key: {
    inputs:
      "host, port?, user?, privateKey?, privateKeyFile?, expectedHostPublicKey, hostKeyPath?, reloadCommand?, mac?, socket?, timeout?",
    outputs: "hostPublicKey",
  },
};

test("the provider module declares exactly DESIGN.md's resource types, inputs and outputs", () => {
  const expr = `
    let
      lib = import ${join(root, "test/nix/stub-lib.nix")};
      provider = import ${join(root, "nixos/nixops4-provider.nix")} {
        packageFor = system: "/nix/store/00000000000000000000000000000000-landscaper-" + system;
      } { inherit lib; resourceProviderSystem = "x86_64-linux"; };
      kind = o: if !(o ? default) then "required" else if o.default == null then "optional" else "defaulted";
      describe = builtins.mapAttrs (_: kind);
    in {
      inherit (provider) _class executable type;
      resourceTypes = builtins.mapAttrs (_: rt: {
        inherit (rt) requireState description;
        inputs = describe rt.inputs.options;
        outputs = describe rt.outputs.options;
      }) provider.resourceTypes;
    }`;
  const decl = nixEval(expr) as {
    _class: string;
    executable: string;
    type: string;
    resourceTypes: Record<
      string,
      {
        requireState: boolean;
        description: string;
        inputs: Record<string, string>;
        outputs: Record<string, string>;
      }
    >;
  };
  assert.equal(decl._class, "nixops4Provider");
  assert.equal(decl.type, "stdio");
  assert.equal(
    decl.executable,
    "/nix/store/00000000000000000000000000000000-landscaper-x86_64-linux/bin/nixops4-resources-landscaper",
  );
  assert.deepEqual(
    Object.keys(decl.resourceTypes).sort(),
    Object.keys(DESIGN_RESOURCE_TYPES).sort(),
  );
  for (const [name, spec] of Object.entries(DESIGN_RESOURCE_TYPES)) {
    const rt = decl.resourceTypes[name]!;
    const expectedInputs = Object.fromEntries(
      spec.inputs
        .split(", ")
        .map((i) => (i.endsWith("?") ? [i.slice(0, -1), "optional"] : [i, "required"])),
    );
    const expectedOutputs = Object.fromEntries(
      spec.outputs.split(", ").map((o) => [o, "required"]),
    );
    assert.deepEqual(rt.inputs, expectedInputs, `${name} inputs`);
    assert.deepEqual(rt.outputs, expectedOutputs, `${name} outputs`);
    assert.equal(rt.requireState, true, `${name} requireState`);
    assert.ok(rt.description.length > 20, `${name} has a description`);
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

const FAKE_DISKO = "/nix/store/11111111111111111111111111111111-disko";
const FAKE_SYSTEM = "/nix/store/22222222222222222222222222222222-nixos-system-web1-26.05";

function installerJob(extra = ""): Job {
  const raw = nixEval(
    `import ${join(root, "nbp/job.nix")} { diskoScript = "${FAKE_DISKO}"; target = "${FAKE_SYSTEM}"; ${extra} }`,
  );
  const job = validateJob(raw);
  if (typeof job === "string") assert.fail(`Landscaper refuses the installer's job: ${job}`);
  return job;
}

test("the installer's job is one Landscaper accepts: disko, nixos-install --system, host key, reboot", () => {
  const job = installerJob();
  assert.deepEqual(
    job.steps.map((s) => s.phase),
    ["disko", "install", "host-key"],
  );
  assert.equal(job.steps[0]!.run, FAKE_DISKO);
  assert.equal(
    job.steps[1]!.run,
    `nixos-install --root /mnt --no-root-passwd --no-channel-copy --system ${FAKE_SYSTEM}`,
  );
  const progress = job.steps.map((s) => s.progress ?? -1);
  assert.deepEqual(
    [...progress].sort((a, b) => a - b),
    progress,
    "progress only grows",
  );
  assert.equal(job.after, "reboot");
});

test("the job survives Landscaper's job.sh rendering: the agent's shell sees the same commands", () => {
  const job = installerJob();
  const file = join(scratch, "job.sh");
  writeFileSync(
    file,
    renderJobSh({ mac: "52:54:00:12:34:56", generation: 1, hostname: null, hostKey: null, job }),
  );
  for (const [i, step] of job.steps.entries()) {
    const r = run("sh", ["-c", `. "$1" && printf %s "$LANDSCAPER_STEP_${i + 1}_RUN"`, "sh", file]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, step.run);
  }
});

test("the job's host-key step copies the installation key into the new system", () => {
  const base = join(scratch, "host-key");
  const sshDir = join(base, "etc-ssh");
  const mnt = join(base, "mnt");
  mkdirSync(sshDir, { recursive: true });
  mkdirSync(mnt, { recursive: true });
  const job = installerJob(`root = "${mnt}"; sshDir = "${sshDir}";`);
  const step = job.steps.find((s) => s.phase === "host-key")!;

  // Without a key the step fails rather than installing a system sshd would rekey.
  const missing = run("sh", ["-ec", step.run]);
  assert.notEqual(missing.status, 0);

  const keygen = run("ssh-keygen", [
    "-q",
    "-t",
    "ed25519",
    "-N",
    "",
    "-C",
    "install",
    "-f",
    join(sshDir, "ssh_host_ed25519_key"),
  ]);
  assert.equal(keygen.status, 0, keygen.stderr);
  const r = run("sh", ["-ec", step.run]);
  assert.equal(r.status, 0, r.stderr);

  const priv = join(mnt, "etc/ssh/ssh_host_ed25519_key");
  assert.equal(
    readFileSync(priv, "utf8"),
    readFileSync(join(sshDir, "ssh_host_ed25519_key"), "utf8"),
  );
  assert.equal(statSync(priv).mode & 0o777, 0o600);
  assert.equal(statSync(`${priv}.pub`).mode & 0o777, 0o644);
  // ssh-keygen -y may or may not carry the comment; the key itself must match.
  const keyOf = (line: string) => line.trim().split(" ").slice(0, 2).join(" ");
  assert.equal(
    keyOf(readFileSync(`${priv}.pub`, "utf8")),
    keyOf(readFileSync(join(sshDir, "ssh_host_ed25519_key.pub"), "utf8")),
  );
});

interface MachineShape {
  classOf: string;
  ownMembers: string[];
  providers: string[];
  members: Record<
    string,
    { type: string; state: string[] | null; inputs: Record<string, unknown> | null }
  >;
  nixos: {
    ssh: { host: string; user: string; hostPublicKey: string; opts: string };
    hasNixpkgs: boolean;
    moduleImports: number;
  };
}

function machineShape(args: string): MachineShape {
  return nixEval(`import ${join(root, "test/nix/machine-shape.nix")} { ${args} }`) as MachineShape;
}

test("the machine component declares the design's four members, wired as DESIGN.md says", () => {
  const m = machineShape("");
  assert.equal(m.classOf, "nixops4Component");
  assert.deepEqual(Object.keys(m.members).sort(), [
    "installation_host_key",
    "installation_pxe_nbp",
    "nixos",
    "ssh_host_public_key",
  ]);
  assert.deepEqual(m.providers.sort(), ["landscaper", "local"]);
  assert.equal(m.members.installation_host_key!.type, "ssh_keypair");
  assert.equal(m.members.installation_pxe_nbp!.type, "pxe_nbp");
  assert.equal(m.members.ssh_host_public_key!.type, "ssh_host_public_key");
  assert.equal(m.members.nixos!.type, "exec");

  // Every input the component sets is one DESIGN.md declares, and every required one is set.
  for (const name of ["installation_host_key", "installation_pxe_nbp", "ssh_host_public_key"]) {
    const member = m.members[name]!;
    const spec = DESIGN_RESOURCE_TYPES[member.type]!;
    const declared = spec.inputs.split(", ");
    const allowed = declared.map((i) => i.replace(/\?$/, ""));
    const required = declared.filter((i) => !i.endsWith("?"));
    for (const input of Object.keys(member.inputs ?? {}))
      assert.ok(allowed.includes(input), `${name} sets undeclared input ${input}`);
    for (const input of required)
      assert.ok(member.inputs?.[input] != null, `${name} leaves required input ${input} unset`);
    // Stateful resources all keep their state in the component's own state file.
    assert.deepEqual(member.state, ["web1", "state_file"], `${name} state`);
  }
  assert.deepEqual(m.ownMembers, ["state_file"]);

  const nbp = m.members.installation_pxe_nbp!.inputs!;
  assert.deepEqual(nbp.installationHostKey, {
    publicKey: "ssh-ed25519 INSTALLATION",
    privateKey: "INSTALLATION PRIVATE KEY",
  });
  const rekey = m.members.ssh_host_public_key!.inputs!;
  // Depends on the registration, so it cannot wait for a machine Landscaper does not know.
  assert.equal(rekey.expectedHostPublicKey, "ssh-ed25519 INSTALLATION-AS-REGISTERED");
  assert.equal(rekey.mac, nbp.mac);
  assert.equal(rekey.privateKeyFile, "/root/.ssh/id_ed25519");
  assert.equal(rekey.privateKey, undefined, "no private key passes through Nix");

  assert.equal(m.nixos.ssh.hostPublicKey, "ssh-ed25519 NEW");
  assert.equal(m.nixos.ssh.user, "root");
  assert.match(m.nixos.ssh.opts, /^-i \/root\/\.ssh\/id_ed25519 /);
  assert.ok(m.nixos.hasNixpkgs);
  // The machine's own modules (disko, base.nix, keys) plus its nixos.module.
  assert.equal(m.nixos.moduleImports, 2);
});

test("the machine component uses the deployment's state file when given one, and the agent without a key file", () => {
  const m = machineShape(
    'stateResource = { absoluteMemberPath = [ "landscaper_state" ]; }; privateKeyFile = null;',
  );
  assert.deepEqual(m.ownMembers, []);
  for (const name of ["installation_host_key", "installation_pxe_nbp", "ssh_host_public_key"])
    assert.deepEqual(m.members[name]!.state, ["landscaper_state"]);
  assert.equal(m.members.ssh_host_public_key!.inputs!.privateKeyFile, null);
  assert.equal(m.nixos.ssh.opts, "");
});

test("a deployer key file in the Nix store is refused", () => {
  const expr = `import ${join(root, "test/nix/machine-shape.nix")} { privateKeyFile = "/nix/store/00000000000000000000000000000000-id_ed25519"; }`;
  const r = nixInstantiate(["--eval", "--strict", "--json", "-E", expr]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /privateKeyFile .* is in the Nix store/);
});

test("the template turns landscaper.machines into one machine component each, sharing one state file", () => {
  const d = nixEval(`import ${join(root, "test/nix/deployment-shape.nix")} { }`) as {
    options: string[];
    members: Record<string, Record<string, unknown>>;
  };
  assert.deepEqual(d.options, ["deployer", "machines", "stateVersion"]);
  assert.deepEqual(Object.keys(d.members).sort(), ["db1", "landscaper_state", "web1"]);
  assert.deepEqual(d.members.landscaper_state, {
    type: "state_file",
    inputs: { name: "landscaper-state.json" },
  });
  for (const name of ["web1", "db1"]) {
    const m = d.members[name]!;
    assert.deepEqual(m.imports, [{ "stand-in": "machine component" }]);
    assert.deepEqual(m.stateResource, ["landscaper_state"]);
    assert.equal(m.stateVersion, "26.05");
    assert.equal(typeof m.mac, "string");
  }
  const clash = nixInstantiate([
    "--eval",
    "--strict",
    "--json",
    "-E",
    `import ${join(root, "test/nix/deployment-shape.nix")} { machineNames = [ "landscaper_state" ]; }`,
  ]);
  assert.notEqual(clash.status, 0);
  assert.match(clash.stderr, /the name landscaper_state is taken/);
});
