// One machine's netboot installer and base system, built by the flake's lib (mkBase,
// mkInstaller) with the real module system, the real disko module, and the nixpkgs
// stand-in, whose netboot-minimal reproduces nixpkgs' definitions that meet the installer.
import { test } from "node:test";
import assert from "node:assert/strict";
import { validateJob } from "../../src/boot/job.js";
import { evalExpr, evalJson } from "./nix-tools.js";

interface Installer {
  kernel: string;
  initrd: string;
  cmdline: string;
  job: unknown;
  target: string;
  diskoScript: string;
  baseToplevel: string;
  baseDiskoScript: string;
  installerToplevel: string;
  kernelPackage: string;
  netbootRamdisk: string;
  squashfsContents: string[];
  squashfsClosure: string[];
  extraDependencies: string[];
  stateVersion: { value: string; highestPrio: number };
  sshd: {
    enable: boolean;
    settings: Record<string, unknown>;
    hostKeys: unknown[];
    wantedBy: string[];
  };
  agent: { wantedBy: string[]; before: string[]; serviceConfig: Record<string, unknown> };
  warnings: string[];
}

const installer = (): Installer => evalJson("installer.nix", "eval.summary") as Installer;

test("the installer's squashfs carries the base system and the disko script it installs", () => {
  const i = installer();
  // The installer installs this machine's base system with this machine's disko script.
  assert.equal(i.target, i.baseToplevel);
  assert.equal(i.diskoScript, i.baseDiskoScript);
  assert.ok(i.squashfsContents.includes(i.installerToplevel));
  assert.ok(
    i.squashfsClosure.includes(i.target),
    `the base system ${i.target} is not in the squashfs: ${i.squashfsClosure.join(", ")}`,
  );
  assert.ok(
    i.squashfsClosure.includes(i.diskoScript),
    `the disko script ${i.diskoScript} is not in the squashfs: ${i.squashfsClosure.join(", ")}`,
  );
  // netboot-minimal.nix's mkOverride 70 empties system.extraDependencies, whatever the
  // installer puts there: the stand-in keeps nixpkgs' priority.
  assert.deepEqual(i.extraDependencies, []);
});

test("the installer sets system.stateVersion, so evaluating it prints no warning", () => {
  const i = installer();
  assert.ok(
    i.stateVersion.highestPrio < 1500,
    `system.stateVersion is left at its default (priority ${i.stateVersion.highestPrio})`,
  );
  assert.match(i.stateVersion.value, /^\d\d\.\d\d$/);
  const r = evalExpr("installer.nix", "eval.summary.installerToplevel");
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /stateVersion/);
  assert.deepEqual(i.warnings, []);
});

test("the installer hands Landscaper its kernel, initrd, command line and a job Landscaper accepts", () => {
  const i = installer();
  assert.equal(i.kernel, `${i.kernelPackage}/bzImage`);
  assert.equal(i.initrd, `${i.netbootRamdisk}/initrd`);
  assert.equal(i.cmdline, `init=${i.installerToplevel}/init console=ttyS0,115200n8 console=tty0`);
  const job = validateJob(i.job);
  if (typeof job === "string") assert.fail(`Landscaper refuses the installer's job: ${job}`);
  assert.deepEqual(
    job.steps.map((s) => [s.phase, s.run.split(" ")[0]]),
    [
      ["disko", i.diskoScript],
      ["install", "nixos-install"],
      ["host-key", "test"],
    ],
  );
  assert.ok(job.steps[1]!.run.endsWith(`--system ${i.target}`));
  assert.equal(job.after, "reboot");
});

test("the installer starts sshd with keys only, after the agent wrote the installation host key", () => {
  const i = installer();
  assert.equal(i.sshd.enable, true);
  // installation-device.nix keeps sshd from starting (mkOverride 50): the installer wins.
  assert.deepEqual(i.sshd.wantedBy, ["multi-user.target"]);
  assert.deepEqual(i.sshd.hostKeys, [{ type: "ed25519", path: "/etc/ssh/ssh_host_ed25519_key" }]);
  assert.equal(i.sshd.settings.PasswordAuthentication, false);
  assert.equal(i.sshd.settings.KbdInteractiveAuthentication, false);
  // installation-device.nix allows root passwords; the installer forces keys only.
  assert.equal(i.sshd.settings.PermitRootLogin, "prohibit-password");
  assert.deepEqual(i.agent.wantedBy, ["multi-user.target"]);
  assert.deepEqual(i.agent.before, ["sshd.service"]);
  assert.equal(i.agent.serviceConfig.Type, "oneshot");
  assert.match(
    String(i.agent.serviceConfig.ExecStart),
    /\/bin\/sh \/nix\/store\/[a-z0-9]{32}-agent\.sh$/,
  );
});
