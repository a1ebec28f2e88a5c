// The NixOps4 side, evaluated with builtins only: the provider declaration and the machine
// component against a stub `lib` (test/nix/stub-lib.nix), the template's root component,
// and the installer's job against Landscaper's own job validation and rendering.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderJobSh, validateJob, type Job } from "../../src/boot/job.js";
import { nixEval, nixInstantiate, root, run, scratch } from "./nix-tools.js";

/** DESIGN.md "NixOps4 resource provider" (plus pxe_nbp hostname and reinstall, and dns_record_set): every type requires state; `?` marks optional. */
const DESIGN_RESOURCE_TYPES: Record<string, { inputs: string; outputs: string }> = {
  pxe_nbp: {
    inputs:
      "mac, kernel, initrd, cmdline?, hostname?, job?, installationHostKey?, reinstall?, socket?",
    outputs: "bootUrl, generation, installationHostPublicKey",
  },
  ssh_keypair: { inputs: "keyType?, comment?", outputs: "publicKey, privateKey" },
  ssh_host_public_key: {
    inputs:
      "host, port?, user?, privateKey?, privateKeyFile?, expectedHostPublicKey, hostKeyPath?, reloadCommand?, mac?, socket?, timeout?",
    outputs: "hostPublicKey",
  },
  dns_record_set: {
    inputs:
      "server, zone, name, type, records, ttl?, tsigKeyName?, tsigAlgorithm?, tsigSecretFile?, present?, overwrite?",
    outputs: "fqdn, records, ttl",
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
