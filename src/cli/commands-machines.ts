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

export const MACHINES: CommandSpec = {
  path: ["machines"],
  summary: "list, show, add, rearm or remove registered machines",
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
        SOCKET,
        JSON_FLAG,
      ],
      json: "with --json, the registered machine object",
      examples: [
        {
          command:
            "landscaper machines add 52:54:00:12:34:56 --kernel ./bzImage --initrd ./initrd --hostname web-1",
        },
        { command: "landscaper machines add web-1 --kernel ./bzImage --initrd ./initrd" },
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
