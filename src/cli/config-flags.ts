import {
  ConfigError,
  defaultConfig,
  loadConfigFile,
  mergeConfig,
  type Config,
} from "../config/config.js";

/** `serve`'s config flags (DESIGN.md): each maps a value onto a partial config. */
const VALUE_FLAGS: Record<string, (v: string) => Record<string, unknown>> = {
  "--address": (v) => ({ address: v }),
  "--state-dir": (v) => ({ stateDir: v }),
  "--socket": (v) => ({ control: { socket: v } }),
  "--http-port": (v) => ({ http: { port: num(v, "--http-port") } }),
  "--tftp-port": (v) => ({ tftp: { port: num(v, "--tftp-port") } }),
  "--dhcp-port": (v) => ({ dhcp: { port: num(v, "--dhcp-port") } }),
  "--proxy-dhcp-port": (v) => ({ dhcp: { proxyPort: num(v, "--proxy-dhcp-port") } }),
  "--ipxe-dir": (v) => ({ ipxe: { dir: v } }),
};
const SWITCHES: Record<string, Record<string, unknown>> = {
  "--no-dhcp": { dhcp: { enable: false } },
  "--no-tftp": { tftp: { enable: false } },
  "--no-mdns": { mdns: { enable: false } },
};

function num(v: string, flag: string): number {
  if (!/^\d+$/.test(v))
    throw new ConfigError(`${flag}: expected a number, got ${JSON.stringify(v)}`);
  return Number(v);
}

export interface ParsedFlags {
  config: Config;
  /** Flags the caller declared in `extra`, by name, with their values ("" for switches). */
  extra: Map<string, string>;
}

/**
 * `--config FILE` first, then the other flags over it, in any order; `--flag=value` or
 * `--flag value`. `extraValues`/`extraSwitches` are the command's own flags. Unknown
 * flags are an error naming the flag.
 */
export function parseConfigFlags(
  args: readonly string[],
  extraValues: readonly string[] = [],
  extraSwitches: readonly string[] = [],
): ParsedFlags {
  const pairs: [string, string | null][] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.indexOf("=");
    const name = a.startsWith("--") && eq > 0 ? a.slice(0, eq) : a;
    const inline = a.startsWith("--") && eq > 0 ? a.slice(eq + 1) : null;
    if (name === "--config" || name in VALUE_FLAGS || extraValues.includes(name)) {
      const v = inline ?? args[++i];
      if (v === undefined) throw new ConfigError(`${name}: expected a value`);
      pairs.push([name, v]);
    } else if (name in SWITCHES || extraSwitches.includes(name)) {
      if (inline !== null) throw new ConfigError(`${name}: takes no value`);
      pairs.push([name, null]);
    } else {
      throw new ConfigError(`unknown flag ${JSON.stringify(a)}`);
    }
  }
  const file = pairs.filter(([n]) => n === "--config").pop()?.[1];
  let config = file ? loadConfigFile(file) : defaultConfig();
  const extra = new Map<string, string>();
  for (const [name, v] of pairs) {
    if (name === "--config") continue;
    const valueFlag = VALUE_FLAGS[name];
    const sw = SWITCHES[name];
    if (valueFlag && v !== null) config = mergeConfig(config, valueFlag(v), name);
    else if (sw) config = mergeConfig(config, sw, name);
    else extra.set(name, v ?? "");
  }
  return { config, extra };
}
