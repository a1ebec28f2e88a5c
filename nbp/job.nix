# The installer agent's job for one machine (BRIEF: `{ steps = [ { phase; run; progress?; } ];
# after?; }`), as Landscaper's control API takes it and nbp/agent.sh runs it: each `run` in
# its own `sh -ec`, in order, progress reported per phase.
#
# Pure (builtins only) so that the test command can evaluate it without nixpkgs and check
# it against Landscaper's own job validation; nbp/installer.nix applies it to store paths.
{
  # The machine's disko script (system.build.diskoScript): wipes, partitions, formats and
  # mounts at `root`, without asking.
  diskoScript,
  # The base system's toplevel, installed as is.
  target,
  after ? "reboot",
  # Where disko mounts the new system.
  root ? "/mnt",
  # Where the agent put the installation host key for the installer's sshd.
  sshDir ? "/etc/ssh",
}:
let
  key = "ssh_host_ed25519_key";
  # The installed system must present the same host key as the installer, so that
  # NixOps4's ssh_host_public_key recognises it before replacing it. The public half is
  # derived from the private one rather than trusted from a second file.
  copyHostKey = builtins.concatStringsSep " && " [
    "test -s ${sshDir}/${key}"
    "install -d -m 0755 ${root}/etc/ssh"
    "install -m 0600 ${sshDir}/${key} ${root}/etc/ssh/${key}"
    "ssh-keygen -y -f ${sshDir}/${key} > ${root}/etc/ssh/${key}.pub"
    "chmod 0644 ${root}/etc/ssh/${key}.pub"
    "sync"
  ];
in
{
  steps = [
    {
      phase = "disko";
      run = "${diskoScript}";
      progress = 10;
    }
    {
      phase = "install";
      run = "nixos-install --root ${root} --no-root-passwd --no-channel-copy --system ${target}";
      progress = 30;
    }
    {
      phase = "host-key";
      run = copyHostKey;
      progress = 95;
    }
  ];
  inherit after;
}
