// The template's disk layout (nixos/template/disko/single-disk.nix) through disko's own
// types and through its NixOS module in a machine's base system (nixos/lib.nix mkBase),
// with the real module system; the base system's own settings (nixos/base.nix).
import { test } from "node:test";
import assert from "node:assert/strict";
import { evalJson } from "./nix-tools.js";

interface FileSystem {
  device: string;
  fsType: string;
  options: string[];
}
interface Disko {
  types: { fileSystems: Record<string, FileSystem>; grubDevices: string[] };
  module: {
    fileSystems: Record<string, FileSystem>;
    grub: {
      enable: boolean;
      devices: string[];
      efiSupport: boolean;
      efiInstallAsRemovable: boolean;
    };
    diskoScript: string;
    hostName: string;
    stateVersion: string;
    authorizedKeys: string[];
    sshd: {
      enable: boolean;
      hostKeys: unknown[];
      PasswordAuthentication: boolean;
      PermitRootLogin: string;
    };
  };
}

const disko = (): Disko => evalJson("disko.nix", "eval") as Disko;

const EXPECTED_FILE_SYSTEMS: Record<string, FileSystem> = {
  "/": { device: "/dev/disk/by-partlabel/disk-main-root", fsType: "ext4", options: ["defaults"] },
  "/boot": {
    device: "/dev/disk/by-partlabel/disk-main-esp",
    fsType: "vfat",
    options: ["umask=0077"],
  },
};

test("disko's types accept the template's layout: ext4 root, ESP at /boot, GRUB on the EF02 disk", () => {
  const d = disko();
  assert.deepEqual(d.types.fileSystems, EXPECTED_FILE_SYSTEMS);
  assert.deepEqual(d.types.grubDevices, ["/dev/vda"]);
});

test("disko's NixOS module gives the base system its file systems, GRUB for BIOS and UEFI, and the disko script", () => {
  const d = disko();
  assert.deepEqual(d.module.fileSystems, EXPECTED_FILE_SYSTEMS);
  assert.deepEqual(d.module.grub, {
    enable: true,
    devices: ["/dev/vda"],
    efiSupport: true,
    efiInstallAsRemovable: true,
  });
  const script = d.module.diskoScript;
  assert.match(script, /^#! \/nix\/store\/[a-z0-9]{32}-bash-[^\n]*\/bin\/bash\n/);
  // It wipes, partitions (EF02, EF00, the rest) and formats exactly the layout's disk.
  assert.match(script, /--typecode=1:EF02/);
  assert.match(script, /--typecode=2:EF00/);
  assert.match(script, /mkfs\.vfat/);
  assert.match(script, /mkfs\.ext4/);
  assert.doesNotMatch(script, /\/dev\/sd[a-z]/);
});

test("the base system: the machine's host name, stateVersion and deployer key, sshd with ed25519 keys only", () => {
  const m = disko().module;
  assert.equal(m.hostName, "web1");
  assert.equal(m.stateVersion, "26.05");
  assert.deepEqual(m.authorizedKeys, ["ssh-ed25519 AAAADEPLOYER deployer"]);
  assert.equal(m.sshd.enable, true);
  assert.deepEqual(m.sshd.hostKeys, [{ type: "ed25519", path: "/etc/ssh/ssh_host_ed25519_key" }]);
  assert.equal(m.sshd.PasswordAuthentication, false);
  assert.equal(m.sshd.PermitRootLogin, "prohibit-password");
});
