import { EXIT, type CommandSpec, type ExitCode, type OptionSpec } from "./spec.js";

/** The `machines` commands, and the options every client of the control socket shares. */

export const UNREACHABLE: ExitCode = {
  code: EXIT.unreachable,
  meaning: "the control socket is not reachable (serve not running, wrong path, no access)",
};
const API_REFUSED: ExitCode = {
  code: EXIT.failed,
  meaning: "the control API refused the request (its message is printed)",
};
export const SOCKET: OptionSpec = {
  name: "socket",
  type: "string",
  value: "PATH",
  default: "$LANDSCAPER_SOCKET, else /run/landscaper/control.sock",
  description: "the control socket of the running `landscaper serve`",
  complete: "file",
};

export const JSON_FLAG: OptionSpec = {
  name: "json",
  type: "boolean",
  description: "print one JSON document instead of text",
};

const MACHINE_ARG = {
  name: "MACHINE",
  description:
    "a MAC address (aa:bb:cc:dd:ee:ff, AA-BB-..., aabb.ccdd.eeff) or a registered host name",
  complete: "machine",
} as const;

const machines = async () => import("./machines.js");

/** `machines add`'s BMC flags: the control API's `bmc` object, one flag per field. */
const BMC_OPTIONS: readonly OptionSpec[] = [
  {
    name: "bmc-address",
    type: "string",
    value: "HOST",
    description: "IP address or DNS name of the machine's BMC (IPMI over LAN)",
  },
  {
    name: "bmc-port",
    type: "integer",
    value: "PORT",
    min: 1,
    max: 65535,
    default: "623",
    description: "the BMC's RMCP+ UDP port",
  },
  { name: "bmc-user", type: "string", value: "NAME", description: "the IPMI user name" },
  {
    name: "bmc-password-file",
    type: "string",
    value: "FILE",
    description: "file on the appliance whose first line is the IPMI password (never stored)",
    complete: "file",
  },
  {
    name: "bmc-cipher-suite",
    type: "integer",
    value: "N",
    min: 0,
    max: 17,
    description: "RMCP+ cipher suite (default: ipmitool asks the BMC)",
  },
  {
    name: "bmc-firmware",
    type: "string",
    value: "KIND",
    default: "uefi",
    description: "what the network boot asks the firmware for: uefi or bios",
    complete: { words: ["uefi", "bios"] },
  },
];

export const MACHINES: CommandSpec = {
  path: ["machines"],
  summary: "list, show, add, rearm, power or remove registered machines",
  description: [
    "Talks to the running `landscaper serve` over its control socket. Wherever a MACHINE is expected, a registered host name works as well as a MAC.",
  ],
  subcommands: [
    {
      path: ["machines", "list"],
      summary: "every registered machine, one line each",
      options: [SOCKET, JSON_FLAG],
      json: "with --json, an array of machine objects (as `machines show --json`), possibly empty",
      examples: [{ command: "landscaper machines list" }],
      exits: [UNREACHABLE],
      run: async () => (await machines()).list,
    },
    {
      path: ["machines", "discovered"],
      summary: "network-boot clients seen whose MAC is not registered",
      description: [
        "Every PXE, HTTP-boot or iPXE client that asked the DHCP server for a boot while no machine has its MAC, newest first: its kind, architecture (RFC 4578), vendor class (option 60), when it was first and last seen and how often. Landscaper keeps the last 1,000 in memory (a restart forgets them; the clients ask again). A client leaves the list when it is registered, with the command printed under the table.",
      ],
      options: [SOCKET, JSON_FLAG],
      json: "with --json, an array of `{mac, kind, arch, vendorClass, firstSeen, lastSeen, count}`, newest first, possibly empty",
      examples: [{ command: "landscaper machines discovered" }],
      exits: [UNREACHABLE],
      run: async () => (await import("./discovered.js")).discovered,
    },
    {
      path: ["machines", "show"],
      summary: "one machine: state, progress, boot files, keys and recent events",
      positionals: [MACHINE_ARG],
      options: [SOCKET, JSON_FLAG],
      json: "with --json, the machine object of the control API (`GET /v1/machines/MAC`)",
      examples: [{ command: "landscaper machines show web-1" }],
      exits: [
        { code: EXIT.failed, meaning: "no such machine, or a host name that names several" },
        UNREACHABLE,
      ],
      run: async () => (await machines()).show,
    },
    {
      path: ["machines", "add"],
      summary: "register a machine to install (or change a registered one)",
      description: [
        "The machine installs on its next network boot. Relative paths are made absolute here; the appliance must be able to read the files.",
        "Given a host name instead of a MAC, the machine registered under that name is updated and keeps its name unless --hostname says otherwise.",
        'With --ipv4, Landscaper\'s DHCP server (dhcp.mode "server") always gives the machine that address; no two machines may have one address. Without it an update keeps the address the machine has; --ipv4 none drops it.',
        "With --bmc-address (and --bmc-user, --bmc-password-file), Landscaper drives the machine's BMC over IPMI: on registration it sets the next boot to the network, once, and powers the machine on. Without them an update keeps the BMC the machine has.",
      ],
      positionals: [MACHINE_ARG],
      options: [
        {
          name: "kernel",
          type: "string",
          value: "FILE",
          required: true,
          description: "the installer's kernel",
          complete: "file",
        },
        {
          name: "initrd",
          type: "string",
          value: "FILE",
          required: true,
          description: "the installer's initrd",
          complete: "file",
        },
        {
          name: "cmdline",
          type: "string",
          value: "TEXT",
          description: "kernel command line (Landscaper adds its own arguments)",
        },
        { name: "hostname", type: "string", value: "NAME", description: "the machine's host name" },
        {
          name: "ipv4",
          type: "string",
          value: "ADDR",
          description: "the IPv4 address reserved for it (DHCP server mode), or none",
        },
        ...BMC_OPTIONS,
        SOCKET,
        JSON_FLAG,
      ],
      json: "with --json, the registered machine object",
      examples: [
        {
          command:
            "landscaper machines add 52:54:00:12:34:56 --kernel ./bzImage --initrd ./initrd --hostname web-1",
        },
        {
          command:
            "landscaper machines add 52:54:00:12:34:56 --kernel ./bzImage --initrd ./initrd --hostname web-1 --ipv4 10.0.0.21",
          note: "the DHCP server (server mode) gives it 10.0.0.21, in the firmware and once installed",
        },
        { command: "landscaper machines add web-1 --kernel ./bzImage --initrd ./initrd" },
        {
          command:
            "landscaper machines add 52:54:00:12:34:56 --kernel ./bzImage --initrd ./initrd --bmc-address 10.0.9.12 --bmc-user admin --bmc-password-file /etc/landscaper/bmc-web-1",
          note: "registers the machine and switches it on into a network boot through its BMC",
        },
      ],
      exits: [API_REFUSED, UNREACHABLE],
      run: async () => (await machines()).add,
    },
    {
      path: ["machines", "rearm"],
      summary: "install a machine again on its next network boot",
      positionals: [MACHINE_ARG],
      options: [SOCKET, JSON_FLAG],
      json: "with --json, the re-armed machine object (its generation raised by one)",
      examples: [{ command: "landscaper machines rearm web-1" }],
      exits: [API_REFUSED, UNREACHABLE],
      run: async () => (await machines()).rearm,
    },
    {
      path: ["machines", "power"],
      summary: "ask a machine's BMC for its power state, or switch it on, off or cycle it",
      description: [
        "Runs one IPMI chassis command through the BMC the machine was registered with, and records it as a `power` event. With --pxe-once, `on` and `cycle` first set the next boot, and only that one, to the network.",
      ],
      positionals: [
        MACHINE_ARG,
        {
          name: "ACTION",
          description: "status, on, off or cycle",
          complete: { words: ["status", "on", "off", "cycle"] },
        },
      ],
      options: [
        {
          name: "pxe-once",
          type: "boolean",
          description: "with on or cycle: boot from the network once",
        },
        SOCKET,
        JSON_FLAG,
      ],
      json: "with --json, the outcome `{action, machine, bmc, before, sent, power, ms}`",
      examples: [
        { command: "landscaper machines power web-1 status" },
        { command: "landscaper machines power web-1 cycle --pxe-once" },
      ],
      exits: [
        {
          code: EXIT.failed,
          meaning: "no such machine, no BMC, or the BMC did not do it (its message is printed)",
        },
        UNREACHABLE,
      ],
      run: async () => (await machines()).power,
    },
    {
      path: ["machines", "remove"],
      summary: "forget a machine (it gets no more answers)",
      positionals: [MACHINE_ARG],
      options: [SOCKET, JSON_FLAG],
      json: "with --json, `{removed: MAC}`",
      examples: [{ command: "landscaper machines remove 52:54:00:12:34:56" }],
      exits: [API_REFUSED, UNREACHABLE],
      run: async () => (await machines()).remove,
    },
  ],
};
