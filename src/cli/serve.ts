import {
  ConfigError,
  defaultConfig,
  loadConfigFile,
  mergeConfig,
  type Config,
} from "../config/config.js";
import { createLogger } from "../core/log.js";
import { startAppliance } from "../serve.js";
import { parseArgs, UsageError } from "./args.js";

const VALUES = [
  "config",
  "address",
  "state-dir",
  "socket",
  "http-port",
  "tftp-port",
  "dhcp-port",
  "proxy-dhcp-port",
  "ipxe-dir",
];
const BOOLEANS = ["no-dhcp", "no-tftp", "no-mdns", "check-config"];

function portFlag(name: string, v: string): number {
  if (!/^\d+$/.test(v))
    throw new ConfigError(`--${name}: expected a port number, got ${JSON.stringify(v)}`);
  return Number(v);
}

/** The config file (or defaults), then flags over it; every value checked by mergeConfig. */
export function configFromArgs(argv: readonly string[]): { config: Config; check: boolean } {
  const { flags, positional } = parseArgs(argv, { values: VALUES, booleans: BOOLEANS });
  if (positional.length > 0)
    throw new UsageError(`serve takes no arguments, got ${positional.join(" ")}`);
  const file = flags.get("config");
  let config = typeof file === "string" ? loadConfigFile(file) : defaultConfig();
  const str = (k: string) => {
    const v = flags.get(k);
    return typeof v === "string" ? v : undefined;
  };
  const over: Record<string, Record<string, unknown>> & { address?: string; stateDir?: string } =
    {};
  const section = (k: string) => (over[k] ??= {});
  if (str("address") !== undefined) over.address = str("address");
  if (str("state-dir") !== undefined) over.stateDir = str("state-dir");
  if (str("socket") !== undefined) section("control").socket = str("socket");
  if (str("http-port") !== undefined)
    section("http").port = portFlag("http-port", str("http-port") ?? "");
  if (str("tftp-port") !== undefined)
    section("tftp").port = portFlag("tftp-port", str("tftp-port") ?? "");
  if (str("dhcp-port") !== undefined)
    section("dhcp").port = portFlag("dhcp-port", str("dhcp-port") ?? "");
  if (str("proxy-dhcp-port") !== undefined)
    section("dhcp").proxyPort = portFlag("proxy-dhcp-port", str("proxy-dhcp-port") ?? "");
  if (str("ipxe-dir") !== undefined) section("ipxe").dir = str("ipxe-dir");
  if (flags.has("no-dhcp")) section("dhcp").enable = false;
  if (flags.has("no-tftp")) section("tftp").enable = false;
  if (flags.has("no-mdns")) section("mdns").enable = false;
  config = mergeConfig(config, over, "command line");
  return { config, check: flags.has("check-config") };
}

export async function run(argv: string[]): Promise<number> {
  const { config, check } = configFromArgs(argv);
  if (check) {
    process.stdout.write(JSON.stringify(config, null, 2) + "\n");
    return 0;
  }
  const log = createLogger("landscaper");
  const appliance = await startAppliance(config, log);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
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
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
}
