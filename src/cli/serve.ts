import {
  defaultConfig,
  dhcpServerOf,
  loadConfigFile,
  mergeConfig,
  type Config,
} from "../config/config.js";
import { createLogger } from "../core/log.js";
import { DhcpProbeUnavailableError, OtherDhcpServerError } from "../dhcpd/guard.js";
import { startAppliance, type Appliance } from "../serve.js";
import { command } from "./commands.js";
import { flag, parseCall, stringOption, UsageError } from "./parse.js";
import { commandName, EXIT, type Call } from "./spec.js";

/**
 * The config file (or defaults), then the flags over it, each at the config key its spec
 * names; every value is checked by mergeConfig, the checks across keys are left to the
 * caller (doctor turns them into findings).
 */
export function mergedConfigFromCall(call: Call): Config {
  const over: Record<string, unknown> = {};
  for (const o of call.spec.options ?? []) {
    const given = call.options.get(o.name);
    if (o.config === undefined || given === undefined) continue;
    const keys = o.config.split(".");
    let at = over;
    for (const k of keys.slice(0, -1)) at = (at[k] ??= {}) as Record<string, unknown>;
    at[keys.at(-1)!] = given === true ? (o.sets ?? false) : given;
  }
  const file = stringOption(call, "config");
  return mergeConfig(
    file !== undefined ? loadConfigFile(file) : defaultConfig(),
    over,
    "command line",
  );
}

/** mergedConfigFromCall, then the checks across keys, once every source is in. */
export function configFromCall(call: Call): Config {
  const config = mergedConfigFromCall(call);
  dhcpServerOf(config);
  return config;
}

/** `serve`'s flags as a call would give them (for tests and tools that hold an argv). */
export function configFromArgs(argv: readonly string[]): Config {
  const request = parseCall(command("serve"), argv);
  if (request.kind !== "call")
    throw new UsageError("--help is not a configuration", command("serve"));
  return configFromCall(request.call);
}

export async function run(call: Call): Promise<number> {
  const config = configFromCall(call);
  if (flag(call, "check-config")) {
    process.stdout.write(JSON.stringify(config, null, 2) + "\n");
    return 0;
  }
  const log = createLogger("landscaper");
  // Signals are caught from the first moment: one that arrives while the services are still
  // starting stops them once started, rather than killing the process half-way through
  // (a test's SIGTERM right after the control socket answered did that, exit code null).
  let early: string | null = null;
  let onSignal = (signal: string) => void (early ??= signal);
  process.once("SIGTERM", () => onSignal("SIGTERM"));
  process.once("SIGINT", () => onSignal("SIGINT"));
  let appliance: Appliance;
  try {
    appliance = await startAppliance(config, log);
  } catch (e) {
    // Not a bug: the LAN has another DHCP server, or the check for one cannot run. One
    // line, no stack.
    if (!(e instanceof OtherDhcpServerError || e instanceof DhcpProbeUnavailableError)) throw e;
    process.stderr.write(`${commandName(call.spec)}: ${e.message}\n`);
    return EXIT.failed;
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    onSignal = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, "shutting down");
      appliance.close().then(
        () => resolve(0),
        (err: unknown) => {
          log.error({ err }, "shutdown failed");
          resolve(1);
        },
      );
    };
    if (early !== null) onSignal(early);
  });
}
