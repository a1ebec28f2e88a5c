/** Provider input faults, one per row, shared by the in-process and the executable's tests. */
const MAC = "52:54:00:12:34:56";
export const pxe = { mac: MAC, kernel: "/nix/store/k/bzImage", initrd: "/nix/store/i/initrd" };
export const HOST_KEY =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOpcdZBihhA+BTYgBvFJm38HISlViGYk5DYNipf1vaL2";
export const host = { host: "h", expectedHostPublicKey: HOST_KEY };
const PXE_INPUTS =
  "mac, kernel, initrd, cmdline, hostname, ipv4, job, installationHostKey, bmc, socket, reinstall";

/**
 * One fault per row, every other input valid, and the whole message: a row can only pass
 * by the check it names (a regex could be met by another input's error).
 */
export const FAULTS: [type: string, inputs: object, message: string][] = [
  ["pxe_nbp", { mac: MAC, kernel: "/k" }, "pxe_nbp: missing required input initrd"],
  [
    "pxe_nbp",
    { ...pxe, kernal: "/k" },
    `pxe_nbp: unknown input "kernal" (known inputs: ${PXE_INPUTS})`,
  ],
  [
    "pxe_nbp",
    { ...pxe, reinstall: "1" },
    "pxe_nbp: input reinstall must be an integer, got a string",
  ],
  [
    "pxe_nbp",
    { ...pxe, reinstall: 1.5 },
    "pxe_nbp: input reinstall must be an integer, got a non-integer number",
  ],
  ["pxe_nbp", { ...pxe, reinstall: -1 }, "pxe_nbp: input reinstall must be 0 or more"],
  [
    "pxe_nbp",
    { ...pxe, mac: "not-a-mac" },
    'pxe_nbp: input mac "not-a-mac" is not a MAC address (use aa:bb:cc:dd:ee:ff)',
  ],
  ["pxe_nbp", { ...pxe, kernel: " " }, "pxe_nbp: input kernel must not be empty"],
  ["pxe_nbp", { ...pxe, initrd: "" }, "pxe_nbp: input initrd must not be empty"],
  ["pxe_nbp", { ...pxe, hostname: "" }, "pxe_nbp: input hostname must not be empty"],
  ["pxe_nbp", { ...pxe, ipv4: 10 }, "pxe_nbp: input ipv4 must be a string, got a number"],
  [
    "pxe_nbp",
    { ...pxe, ipv4: "web-1.example.org" },
    'pxe_nbp: input ipv4: expected an IPv4 unicast address such as "10.0.0.5", got "web-1.example.org"',
  ],
  [
    "pxe_nbp",
    { ...pxe, ipv4: "255.255.255.255" },
    "pxe_nbp: input ipv4: 255.255.255.255 is reserved (240.0.0.0/4, with the broadcast address), not a machine's address",
  ],
  ["pxe_nbp", { ...pxe, socket: " " }, "pxe_nbp: input socket must not be empty"],
  ["pxe_nbp", { ...pxe, cmdline: 1 }, "pxe_nbp: input cmdline must be a string, got a number"],
  ["pxe_nbp", { ...pxe, job: [1] }, "pxe_nbp: input job must be an object, got an array"],
  [
    "pxe_nbp",
    { ...pxe, installationHostKey: { publicKey: HOST_KEY, privateKey: "k", x: 1 } },
    'pxe_nbp: input installationHostKey has unknown field "x" (expected publicKey, privateKey)',
  ],
  [
    "pxe_nbp",
    { ...pxe, installationHostKey: { publicKey: 1, privateKey: "k" } },
    "pxe_nbp: input installationHostKey.publicKey must be a string, got a number",
  ],
  [
    "pxe_nbp",
    { ...pxe, installationHostKey: { publicKey: HOST_KEY } },
    "pxe_nbp: input installationHostKey.privateKey must be a string, got a undefined",
  ],
  [
    "ssh_keypair",
    { keyType: "rsa" },
    'ssh_keypair: input keyType "rsa" is not supported (only "ed25519")',
  ],
  ["ssh_keypair", { comment: 7 }, "ssh_keypair: input comment must be a string, got a number"],
  ["ssh_keypair", { comment: "a\nb" }, "ssh_keypair: input comment must be one line"],
  ["ssh_keypair", { comment: "a\rb" }, "ssh_keypair: input comment must be one line"],
  [
    "ssh_host_public_key",
    { host: "h" },
    "ssh_host_public_key: missing required input expectedHostPublicKey",
  ],
  [
    "ssh_host_public_key",
    { ...host, host: " " },
    "ssh_host_public_key: input host must not be empty",
  ],
  [
    "ssh_host_public_key",
    { ...host, port: 1.5 },
    "ssh_host_public_key: input port must be an integer, got a non-integer number",
  ],
  [
    "ssh_host_public_key",
    { ...host, port: "22" },
    "ssh_host_public_key: input port must be an integer, got a string",
  ],
  ["ssh_host_public_key", { ...host, port: 0 }, "ssh_host_public_key: input port must be 1..65535"],
  [
    "ssh_host_public_key",
    { ...host, port: 65536 },
    "ssh_host_public_key: input port must be 1..65535",
  ],
  [
    "ssh_host_public_key",
    { ...host, user: "" },
    "ssh_host_public_key: input user must not be empty",
  ],
  [
    "ssh_host_public_key",
    { ...host, timeout: 0 },
    "ssh_host_public_key: input timeout must be a positive number of seconds",
  ],
  [
    "ssh_host_public_key",
    { ...host, timeout: "9" },
    "ssh_host_public_key: input timeout must be a number, got a string",
  ],
  [
    "ssh_host_public_key",
    { ...host, hostKeyPath: "etc/ssh/key" },
    "ssh_host_public_key: input hostKeyPath must be an absolute path",
  ],
  [
    "ssh_host_public_key",
    { ...host, hostKeyPath: "/etc/a\nb" },
    "ssh_host_public_key: input hostKeyPath must be an absolute path",
  ],
  [
    "ssh_host_public_key",
    { ...host, reloadCommand: " " },
    "ssh_host_public_key: input reloadCommand must not be empty",
  ],
  [
    "ssh_host_public_key",
    { ...host, privateKey: "k", privateKeyFile: "/k" },
    "ssh_host_public_key: give at most one of the inputs privateKey and privateKeyFile",
  ],
  [
    "ssh_host_public_key",
    { ...host, privateKeyFile: "k" },
    "ssh_host_public_key: input privateKeyFile must be an absolute path",
  ],
  [
    "ssh_host_public_key",
    { ...host, mac: "x" },
    'ssh_host_public_key: input mac "x" is not a MAC address (use aa:bb:cc:dd:ee:ff)',
  ],
  [
    "ssh_host_public_key",
    { ...host, socket: "" },
    "ssh_host_public_key: input socket must not be empty",
  ],
];
