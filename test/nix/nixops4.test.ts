// The NixOps4 side, evaluated as `nixops4 apply` evaluates it: the template's flake.nix and
// deployment with one machine, through NixOps4's own mkRoot/evalRoot (from
// ../shared/reference/nix), the real machine component, the real nixops4-nixos component
// and the real disko module, against the nixpkgs stand-in. Also the installer's job
// against Landscaper's own job validation and rendering.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderJobSh, validateJob, type Job } from "../../src/boot/job.js";
import { evalExpr, evalJson, keepJson, nixEval, root, run, scratch } from "./nix-tools.js";

/** DESIGN.md "NixOps4 resource provider" (plus pxe_nbp hostname, ipv4, bmc and reinstall, and dns_record_set): every type requires state; `?` marks optional. */
const DESIGN_RESOURCE_TYPES: Record<string, { inputs: string; outputs: string }> = {
  pxe_nbp: {
    inputs:
      "mac, kernel, initrd, cmdline?, hostname?, ipv4?, job?, installationHostKey?, bmc?, reinstall?, socket?",
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
  const decl = evalJson(
    "deployment.nix",
    'eval.providerOf [ "members" "web1" "providers" "landscaper" ]',
  ) as {
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
  assert.equal(decl.type, "stdio");
  assert.match(
    decl.executable,
    /^\/nix\/store\/[a-z0-9]{32}-landscaper-[^/]+\/bin\/nixops4-resources-landscaper$/,
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

interface Resource {
  type: string;
  state: string[] | null;
  inputs: Record<string, unknown>;
  outputsSkeleton: Record<string, unknown>;
  provider: { executable: string; args: string[]; type: string };
}
interface Tree {
  resource?: Resource;
  members?: Record<string, Tree>;
}

function deployment(extra = "{ }"): Tree {
  return evalJson("deployment.nix", "eval.export", extra) as Tree;
}

/** The tree's shape: each member's resource type, or its members' shapes. */
function shape(tree: Tree): unknown {
  if (tree.resource) return tree.resource.type;
  return Object.fromEntries(Object.entries(tree.members ?? {}).map(([k, v]) => [k, shape(v)]));
}

const resource = (tree: Tree, ...path: string[]): Resource => {
  let t = tree;
  for (const p of path) t = t.members![p]!;
  return t.resource!;
};

const LANDSCAPER_PROVIDER =
  /^\/nix\/store\/[a-z0-9]{32}-landscaper-[^/]+\/bin\/nixops4-resources-landscaper$/;
const LOCAL_PROVIDER =
  /^\/nix\/store\/[a-z0-9]{32}-nixops4-resources-local\/bin\/nixops4-resources-local$/;

test("the template's deployment with one machine: the resource tree NixOps4 receives, as DESIGN.md and docs/nix.md promise", () => {
  const tree = deployment();
  keepJson("deployment.json", tree);
  // One state file for the deployment; the machine's four members, in one component.
  assert.deepEqual(shape(tree), {
    landscaper_state: "state_file",
    web1: {
      installation_host_key: "ssh_keypair",
      installation_pxe_nbp: "pxe_nbp",
      ssh_host_public_key: "ssh_host_public_key",
      nixos: "exec",
    },
  });
  assert.deepEqual(resource(tree, "landscaper_state").inputs, { name: "landscaper-state.json" });
  assert.match(resource(tree, "landscaper_state").provider.executable, LOCAL_PROVIDER);
  assert.equal(resource(tree, "landscaper_state").state, null);

  for (const name of ["installation_host_key", "installation_pxe_nbp", "ssh_host_public_key"]) {
    const r = resource(tree, "web1", name);
    assert.match(r.provider.executable, LANDSCAPER_PROVIDER, `${name} provider`);
    assert.equal(r.provider.type, "stdio");
    // The stateful members keep their state in the deployment's state file.
    assert.deepEqual(r.state, ["landscaper_state"], `${name} state`);
    // Every input is one DESIGN.md declares, every required one is set.
    const declared = DESIGN_RESOURCE_TYPES[r.type]!.inputs.split(", ");
    assert.deepEqual(
      Object.keys(r.inputs).sort(),
      declared.map((i) => i.replace(/\?$/, "")).sort(),
      `${name} inputs`,
    );
    for (const input of declared.filter((i) => !i.endsWith("?")))
      assert.notEqual(r.inputs[input], null, `${name} leaves ${input} unset`);
    assert.deepEqual(
      Object.keys(r.outputsSkeleton).sort(),
      DESIGN_RESOURCE_TYPES[r.type]!.outputs.split(", ").sort(),
      `${name} outputs`,
    );
  }
  const nixos = resource(tree, "web1", "nixos");
  assert.match(nixos.provider.executable, LOCAL_PROVIDER);
  assert.equal(nixos.state, null);
});

test("outputs flow ssh_keypair -> pxe_nbp -> ssh_host_public_key -> nixos", () => {
  const tree = deployment();
  const key = resource(tree, "web1", "installation_host_key").inputs;
  assert.deepEqual(key, { keyType: "ed25519", comment: "landscaper-installation@web1" });

  const nbp = resource(tree, "web1", "installation_pxe_nbp").inputs;
  // The key pair's outputs become the registration's installation host key.
  assert.deepEqual(nbp.installationHostKey, {
    publicKey: "ssh-ed25519 AAAAINSTALLATION installation@web1",
    privateKey:
      "-----BEGIN OPENSSH PRIVATE KEY-----\nINSTALLATION web1\n-----END OPENSSH PRIVATE KEY-----\n",
  });
  assert.equal(nbp.mac, "52:54:00:12:34:56");
  assert.match(String(nbp.kernel), /^\/nix\/store\/[a-z0-9]{32}-linux-[^/]+\/bzImage$/);
  assert.match(String(nbp.initrd), /^\/nix\/store\/[a-z0-9]{32}-initrd\/initrd$/);
  assert.match(String(nbp.cmdline), /^init=\/nix\/store\/[a-z0-9]{32}-nixos-system-[^ ]+\/init /);
  const job = validateJob(nbp.job);
  if (typeof job === "string") assert.fail(job);

  const rekey = resource(tree, "web1", "ssh_host_public_key").inputs;
  // From the registration's output (not the key pair's), so that it waits for Landscaper
  // to know the machine.
  assert.equal(rekey.expectedHostPublicKey, "ssh-ed25519 AAAAREGISTERED installation@web1");
  assert.equal(rekey.mac, nbp.mac);
  assert.equal(rekey.host, "192.168.10.21");
  assert.equal(rekey.privateKeyFile, "/root/.ssh/id_ed25519");
  assert.equal(rekey.privateKey, null, "no private key passes through Nix");

  const n = evalJson("deployment.nix", 'eval.nixosOf "web1"') as {
    ssh: { host: string; user: string; hostPublicKey: string; opts: string };
    toplevel: string;
    hostName: string;
    stateVersion: string;
    rootFileSystem: string;
    grubDevices: string[];
    permitRootLogin: string;
    authorizedKeys: string[];
    applyCommands: string;
  };
  // nixops4-nixos trusts the host key ssh_host_public_key produced.
  assert.deepEqual(n.ssh, {
    host: "192.168.10.21",
    user: "root",
    hostPublicKey: "ssh-ed25519 AAAANEW web1",
    opts: "-i /root/.ssh/id_ed25519 -o IdentitiesOnly=yes",
  });
  const args = resource(tree, "web1", "nixos").inputs.args as string[];
  assert.equal(args[2], "root@192.168.10.21");
  assert.equal(args[3], n.toplevel);
  // The real configuration: the machine's module plus disko's layout, base.nix and the
  // deployer's key, and nixops4-nixos's apply script.
  assert.equal(n.hostName, "web1");
  assert.equal(n.stateVersion, "26.05");
  assert.equal(n.rootFileSystem, "ext4");
  assert.deepEqual(n.grubDevices, ["/dev/vda"]);
  assert.equal(n.permitRootLogin, "prohibit-password");
  assert.deepEqual(n.authorizedKeys, ["ssh-ed25519 AAAADEPLOYER deployer"]);
  assert.match(n.applyCommands, /\$out\/bin\/apply/);
});

test("the machine's registration carries its host name (pxe_nbp hostname)", () => {
  const nbp = resource(deployment(), "web1", "installation_pxe_nbp").inputs;
  assert.equal(nbp.hostname, "web1");
});

test("NixOps4's rootFunction gives the configuration's _export unchanged", () => {
  assert.equal(
    evalJson("deployment.nix", "eval.export == eval.configuration.config._export"),
    true,
  );
});

const SOLO = `{
  applied = [ "web1" "solo" ];
  extraModules = [
    ({ landscaperFlake, ... }: {
      members.solo = {
        imports = [ landscaperFlake.modules.nixops4Component.machine ];
        mac = "52:54:00:00:00:02";
        host = "192.168.10.22";
        disko = import ${join(root, "nixos/template/disko/single-disk.nix")} { };
        stateVersion = "26.05";
        deployer.publicKeys = [ "ssh-ed25519 AAAADEPLOYER deployer" ];
      };
    })
  ];
}`;

test("a machine component without stateResource keeps its own state file, and uses the ssh-agent without a key file", () => {
  const tree = deployment(SOLO);
  assert.deepEqual(shape(tree.members!.solo!), {
    installation_host_key: "ssh_keypair",
    installation_pxe_nbp: "pxe_nbp",
    ssh_host_public_key: "ssh_host_public_key",
    nixos: "exec",
    state_file: "state_file",
  });
  assert.deepEqual(resource(tree, "solo", "state_file").inputs, {
    name: "landscaper-solo.state.json",
  });
  for (const name of ["installation_host_key", "installation_pxe_nbp", "ssh_host_public_key"])
    assert.deepEqual(resource(tree, "solo", name).state, ["solo", "state_file"]);
  assert.equal(resource(tree, "solo", "ssh_host_public_key").inputs.privateKeyFile, null);
  const n = evalJson("deployment.nix", 'eval.nixosOf "solo"', SOLO) as { ssh: { opts: string } };
  assert.equal(n.ssh.opts, "");
});

test("a deployer key file in the Nix store is refused", () => {
  const r = evalExpr(
    "deployment.nix",
    "eval.export",
    '{ extraModules = [ ({ lib, ... }: { landscaper.deployer.privateKeyFile = lib.mkForce "/nix/store/00000000000000000000000000000000-id_ed25519"; }) ]; }',
  );
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /privateKeyFile \/nix\/store\/\S+ is in the Nix store/);
});

test("the template refuses a machine named like its state file", () => {
  const r = evalExpr(
    "deployment.nix",
    "eval.export",
    '{ extraModules = [ { landscaper.machines.landscaper_state = { mac = "52:54:00:00:00:03"; host = "192.168.10.23"; disko = { }; }; } ]; }',
  );
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /the name landscaper_state is taken/);
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
  // The host key step puts the installer's key, the one NixOps4 already trusts, into the
  // installed system, with the public half derived from it.
  const key = "ssh_host_ed25519_key";
  assert.deepEqual(job.steps[2]!.run.split(" && "), [
    `test -s /etc/ssh/${key}`,
    "install -d -m 0755 /mnt/etc/ssh",
    `install -m 0600 /etc/ssh/${key} /mnt/etc/ssh/${key}`,
    `ssh-keygen -y -f /etc/ssh/${key} > /mnt/etc/ssh/${key}.pub`,
    `chmod 0644 /mnt/etc/ssh/${key}.pub`,
    "sync",
  ]);
  // Every step reports progress (a missing one would leave the status bar standing), and
  // it strictly grows within 0..100.
  const progress = job.steps.map((s) => s.progress);
  assert.ok(
    progress.every(
      (p, i) => p !== undefined && p >= 0 && p <= 100 && (i === 0 || p > progress[i - 1]!),
    ),
    `progress must be given for every step and strictly grow: ${JSON.stringify(progress)}`,
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
