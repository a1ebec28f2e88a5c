import { parseArgs, type ParseArgsConfig } from "node:util";
import {
  optionSyntax,
  optionsOf,
  visibleSubcommands,
  type Call,
  type CommandSpec,
  type PositionalSpec,
} from "./spec.js";

/** A wrong call: main prints the message and the command's usage on stderr, exit 2. */
export class UsageError extends Error {
  override name = "UsageError";
  constructor(
    message: string,
    readonly spec: CommandSpec,
  ) {
    super(message);
  }
}

/** What argv asks for: a command's help, or a call to run. */
export type Request = { kind: "help"; spec: CommandSpec } | { kind: "call"; call: Call };

/** Walks the command words (`machines add`) down the tree; the rest is the command's own. */
export function findCommand(
  root: CommandSpec,
  argv: readonly string[],
): { spec: CommandSpec; rest: string[] } {
  let spec = root;
  let i = 0;
  for (; spec.subcommands && i < argv.length; i++) {
    const word = argv[i]!;
    if (word.startsWith("-")) break;
    const next = spec.subcommands.find((c) => c.path.at(-1) === word);
    if (!next) throw new UsageError(`unknown command "${word}"`, spec);
    spec = next;
  }
  return { spec, rest: argv.slice(i) };
}

type ParseOptions = NonNullable<ParseArgsConfig["options"]>;

/** parseArgs' view of the spec: integers are strings to it, checked afterwards. */
function parseOptions(spec: CommandSpec): ParseOptions {
  const options: ParseOptions = {};
  for (const o of optionsOf(spec))
    options[o.name] = {
      type: o.type === "boolean" ? "boolean" : "string",
      ...(o.short ? { short: o.short } : {}),
    };
  return options;
}

/** parseArgs' messages speak of its own API; say what the person typed wrong instead. */
function usageMessage(e: Error & { code?: string }): string {
  const name = /'(-{1,2}[^' ]+)/.exec(e.message)?.[1] ?? "";
  switch (e.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option ${name}`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      if (e.message.includes("does not take an argument")) return `${name} takes no value`;
      if (e.message.includes("ambiguous"))
        return `${name}: a value starting with "-" must be written ${name}=VALUE`;
      return `${name} needs a value`;
    default:
      return e.message;
  }
}

/** `--help` anywhere before `--` wins over every other mistake in the call. */
function asksForHelp(spec: CommandSpec, argv: readonly string[]): boolean {
  const { tokens } = parseArgs({
    args: [...argv],
    options: parseOptions(spec),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  return tokens.some((t) => t.kind === "option" && t.name === "help");
}

/** Checks argv against the command's spec: unknown options, values, counts, integers. */
export function parseCall(spec: CommandSpec, argv: readonly string[]): Request {
  if (asksForHelp(spec, argv)) return { kind: "help", spec };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: parseOptions(spec),
      strict: true,
      allowPositionals: true,
    });
  } catch (e) {
    if ((e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS"))
      throw new UsageError(usageMessage(e as Error), spec);
    throw e;
  }
  const options = new Map<string, string | number | true>();
  for (const o of spec.options ?? []) {
    const v = (parsed.values as Record<string, string | boolean | undefined>)[o.name];
    if (v === undefined || v === false) {
      if (o.required) throw new UsageError(`missing ${optionSyntax(o)}`, spec);
      continue;
    }
    if (v === true || o.type === "string") options.set(o.name, v);
    else
      options.set(o.name, integer(spec, o.name, v, o.min ?? 0, o.max ?? Number.MAX_SAFE_INTEGER));
  }
  const words = parsed.positionals;
  if (spec.subcommands) {
    // findCommand stopped at an option; a command word after it is a misplaced option
    if (words[0] !== undefined) throw new UsageError(`unexpected "${words[0]}"`, spec);
    if (spec.path.length > 0 || !options.has("version"))
      throw new UsageError(
        `missing command (one of ${visibleSubcommands(spec)
          .map((c) => c.path.at(-1))
          .join(", ")})`,
        spec,
      );
  }
  const args = new Map<string, string>();
  let rest: string[] = [];
  const positionals = spec.positionals ?? [];
  positionals.forEach((p, i) => {
    const word = words[i];
    if (p.rest) rest = words.slice(i);
    else if (word !== undefined) args.set(p.name, oneOf(spec, p, word));
    else if (!p.optional) throw new UsageError(`missing ${p.name}`, spec);
  });
  const extra = positionals.at(-1)?.rest ? undefined : words[positionals.length];
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`, spec);
  return { kind: "call", call: { spec, options, args, rest } };
}

/** A positional completed from a fixed list takes only the words of that list. */
function oneOf(spec: CommandSpec, p: PositionalSpec, word: string): string {
  const c = p.complete;
  if (typeof c === "object" && !c.words.includes(word))
    throw new UsageError(`${p.name} must be one of ${c.words.join(", ")}, got "${word}"`, spec);
  return word;
}

function integer(spec: CommandSpec, name: string, v: string, min: number, max: number): number {
  const n = /^-?\d+$/.test(v) ? Number(v) : NaN;
  if (!(n >= min && n <= max))
    throw new UsageError(
      `--${name}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`,
      spec,
    );
  return n;
}

/**
 * Typed reads of a call. Asking for a name the spec does not declare is a programming
 * error, thrown at once rather than read as "not given".
 */
function declared(call: Call, name: string): void {
  if (!(call.spec.options ?? []).some((o) => o.name === name))
    throw new Error(`${call.spec.path.join(" ")} has no option --${name}`);
}

export function stringOption(call: Call, name: string): string | undefined {
  declared(call, name);
  const v = call.options.get(name);
  return typeof v === "string" ? v : undefined;
}

export function integerOption(call: Call, name: string): number | undefined {
  declared(call, name);
  const v = call.options.get(name);
  return typeof v === "number" ? v : undefined;
}

export function flag(call: Call, name: string): boolean {
  declared(call, name);
  return call.options.get(name) === true;
}

export function argument(call: Call, name: string): string {
  const v = call.args.get(name);
  if (v === undefined) throw new Error(`${call.spec.path.join(" ")} has no argument ${name}`);
  return v;
}
