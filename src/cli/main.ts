#!/usr/bin/env node
import { ConfigError } from "../config/config.js";
import { ControlError } from "../control/client.js";
import { StateError } from "../registry/store.js";
import { UsageError } from "./args.js";

const USAGE = `usage: landscaper <command> [options]

commands:
  serve              run the appliance (proxyDHCP, TFTP, HTTP, control socket)
  machines ...       list | show | add | rearm | remove registered machines
  watch              live install progress of every machine
  doctor             preflight: ports, capabilities, iPXE files, other PXE servers on the LAN
  help               this text

Run \`landscaper <command> --help\` is not needed: a wrong call prints its usage.`;

type Command = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import("./serve.js")).run,
  machines: async () => (await import("./machines.js")).run,
  watch: async () => (await import("./watch.js")).run,
  doctor: async () => (await import("./doctor.js")).run,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    process.stdout.write(USAGE + "\n");
    return name === undefined ? 2 : 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`landscaper: unknown command "${name}"\n${USAGE}\n`);
    return 2;
  }
  try {
    return await (
      await load()
    )(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`landscaper ${name}: ${e.message}\n`);
      return 2;
    }
    if (e instanceof ConfigError || e instanceof StateError || e instanceof ControlError) {
      process.stderr.write(`landscaper ${name}: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`landscaper ${name}: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`landscaper: ${String(e)}\n`);
    process.exitCode = 1;
  },
);
