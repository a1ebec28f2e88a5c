import { EXIT, type CommandSpec, type OptionSpec } from "./spec.js";
import { JSON_FLAG, MACHINES, SOCKET, UNREACHABLE } from "./commands-machines.js";

/**
 * Every `landscaper` command as data (see spec.ts). Handlers are imported only when their
 * command runs: `--help` and completion load this file and nothing behind it.
 */

const port = (name: string, key: string, dflt: number, what: string): OptionSpec => ({
  name,
  type: "integer",
  value: "PORT",
  min: 0,
  max: 65535,
  default: String(dflt),
  description: what,
  config: key,
});

/** The command at `path` (a programming error if there is none). */
export function command(...path: string[]): CommandSpec {
  let spec: CommandSpec | undefined = ROOT;
  for (const word of path) spec = spec?.subcommands?.find((c) => c.path.at(-1) === word);
  if (!spec) throw new Error(`no command ${path.join(" ")}`);
  return spec;
}

/** `serve`'s configuration flags; `doctor` takes the same, to check that configuration. */
const CONFIG_OPTIONS: readonly OptionSpec[] = [
  {
    name: "config",
    type: "string",
    value: "FILE",
    description: "JSON config file (keys in docs/design.md); flags override it",
    complete: "file",
  },
  {
    name: "address",
    type: "string",
    value: "IP",
    default: "first non-loopback IPv4",
    description: "the appliance's address on the install LAN, put in replies and URLs",
    config: "address",
  },
  {
    name: "state-dir",
    type: "string",
    value: "DIR",
    default: "/var/lib/landscaper",
    description: "where the machine registry is kept",
    complete: "dir",
    config: "stateDir",
  },
  {
    ...SOCKET,
    default: "/run/landscaper/control.sock",
    description: "the control socket to create",
    config: "control.socket",
  },
  port("http-port", "http.port", 80, "LAN HTTP port (iPXE scripts, kernels, status page)"),
  port("tftp-port", "tftp.port", 69, "TFTP port"),
  port("dhcp-port", "dhcp.port", 67, "DHCP port"),
  port("proxy-dhcp-port", "dhcp.proxyPort", 4011, "PXE boot server port"),
  {
    name: "ipxe-dir",
    type: "string",
    value: "DIR",
    default: "/usr/lib/ipxe",
    description: "directory holding the iPXE binaries (TFTP root)",
    complete: "dir",
    config: "ipxe.dir",
  },
  {
    name: "dhcp-mode",
    type: "string",
    value: "MODE",
    default: "proxy",
    description:
      "proxy: answer network-boot clients beside the site's DHCP server; server: be the network's DHCP server (needs dhcp.server.subnet in the config file)",
    complete: { words: ["proxy", "server"] },
    config: "dhcp.mode",
  },
  {
    name: "force-dhcp",
    type: "boolean",
    description: "in server mode, start even when another DHCP server answers on the network",
    config: "dhcp.server.allowOtherServers",
    sets: true,
  },
  { name: "no-dhcp", type: "boolean", description: "do not answer DHCP", config: "dhcp.enable" },
  { name: "no-tftp", type: "boolean", description: "do not serve TFTP", config: "tftp.enable" },
  {
    name: "no-mdns",
    type: "boolean",
    description: "do not advertise over mDNS",
    config: "mdns.enable",
  },
];

const SHELLS = ["bash", "zsh", "fish"] as const;

export const ROOT: CommandSpec = {
  path: [],
  summary: "network-boot appliance that installs NixOS on bare servers",
  description: ["Run `landscaper COMMAND --help` for a command's options and examples."],
  options: [{ name: "version", type: "boolean", description: "print the version and exit" }],
  exits: [{ code: EXIT.failed, meaning: "the operation failed" }, UNREACHABLE],
  examples: [{ command: "landscaper machines --help" }, { command: "landscaper --version" }],
  subcommands: [
    {
      path: ["serve"],
      summary: "run the appliance (DHCP, TFTP, HTTP, mDNS, control socket)",
      description: [
        "Reads the config file (or the defaults), applies the flags over it and serves until SIGTERM or SIGINT. The real ports 67, 4011, 69 and 80 need root or CAP_NET_BIND_SERVICE.",
      ],
      options: [
        ...CONFIG_OPTIONS,
        {
          name: "check-config",
          type: "boolean",
          description: "print the effective configuration as JSON and exit",
        },
      ],
      json: "with --check-config, the effective configuration object",
      examples: [
        { command: "landscaper serve --address 192.0.2.10" },
        {
          command:
            "landscaper serve --address 127.0.0.1 --state-dir .state --socket .state/control.sock --http-port 8080 --tftp-port 6969 --dhcp-port 6767 --no-mdns",
          note: "unprivileged, for a try on one machine",
        },
      ],
      exits: [{ code: EXIT.failed, meaning: "bad config file, or a server could not start" }],
      run: async () => (await import("./serve.js")).run,
    },
    MACHINES,
    {
      path: ["watch"],
      summary: "live install progress of every machine",
      description: [
        "On a terminal the table redraws in place; piped (or with --lines) one line per change. Reconnects when serve restarts.",
      ],
      options: [
        SOCKET,
        {
          name: "mac",
          type: "string",
          value: "MACHINE",
          description: "watch only this machine (MAC or registered host name)",
          complete: "machine",
        },
        { name: "lines", type: "boolean", description: "one line per change, even on a terminal" },
        {
          name: "until-done",
          type: "boolean",
          description: "exit once every watched machine is installed (0) or one failed (1)",
        },
      ],
      examples: [{ command: "landscaper watch --mac web-1 --until-done" }],
      exits: [
        { code: EXIT.failed, meaning: "with --until-done: a watched machine failed" },
        UNREACHABLE,
      ],
      run: async () => (await import("./watch.js")).run,
    },
    {
      path: ["doctor"],
      summary: "preflight: ports, capabilities, iPXE files, other PXE servers on the LAN",
      description: [
        "Checks that this host can run `landscaper serve` with the configuration the same flags would give it. Every finding is ok, WARN or BLOCKER with what to do.",
      ],
      options: [
        ...CONFIG_OPTIONS,
        {
          name: "probe-seconds",
          type: "integer",
          value: "S",
          min: 1,
          max: 60,
          default: "3",
          description: "how long to listen for other PXE servers' answers",
        },
        { name: "no-probe", type: "boolean", description: "do not probe the LAN for PXE servers" },
        JSON_FLAG,
      ],
      json: "with --json, `{findings: [{check, level, message, fix?}]}`, level one of ok, warn, blocker",
      examples: [{ command: "landscaper doctor --address 10.77.1.1 --http-port 8080" }],
      exits: [{ code: EXIT.failed, meaning: "a blocker was found" }],
      run: async () => (await import("./doctor.js")).run,
    },
    {
      path: ["completion"],
      summary: "print the shell completion script for bash, zsh or fish",
      description: [
        "Completes commands, options and registered MACs and host names (asked of the control socket while completing; nothing is offered when it is not reachable). Packages install the scripts where shells find them; to load one by hand:",
      ],
      positionals: [{ name: "SHELL", description: SHELLS.join(", "), complete: { words: SHELLS } }],
      examples: [
        { command: "source <(landscaper completion bash)", note: "bash, this shell only" },
        {
          command: "landscaper completion fish > ~/.config/fish/completions/landscaper.fish",
        },
      ],
      run: async () => (await import("./completion.js")).run,
    },
    {
      path: ["help"],
      summary: "help for a command (the same as COMMAND --help)",
      positionals: [
        {
          name: "COMMAND",
          description: "a command, e.g. `machines add`",
          optional: true,
          rest: true,
        },
      ],
      examples: [{ command: "landscaper help machines add" }],
      run: async () => (await import("./help.js")).runHelp,
    },
    {
      path: ["__complete"],
      summary: "completion candidates for the words of a command line (used by the scripts)",
      hidden: true,
      positionals: [
        { name: "WORDS", description: "the words after `landscaper`", optional: true, rest: true },
      ],
      run: async () => (await import("./complete-words.js")).run,
    },
  ],
};
