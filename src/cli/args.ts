/** A tiny flag parser: `--name value`, `--name=value`, boolean `--flag`; positionals kept in order. */
export interface ParsedArgs {
  flags: Map<string, string | true>;
  positional: string[];
}

export class UsageError extends Error {
  override name = "UsageError";
}

export function parseArgs(
  argv: readonly string[],
  spec: { values: readonly string[]; booleans: readonly string[] },
): ParsedArgs {
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    if (a === "--") {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith("--")) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const name = a.slice(2, eq === -1 ? undefined : eq);
    if (spec.booleans.includes(name)) {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      flags.set(name, true);
    } else if (spec.values.includes(name)) {
      const value = eq !== -1 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      flags.set(name, value);
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  return { flags, positional };
}

export function socketPath(flags: Map<string, string | true>): string {
  const f = flags.get("socket");
  return typeof f === "string"
    ? f
    : (process.env.LANDSCAPER_SOCKET ?? "/run/landscaper/control.sock");
}
