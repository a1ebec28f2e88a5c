/**
 * What a command is, as data: the one description that parsing (`parse.ts`), `--help`
 * (`help.ts`), shell completion (`completion.ts`), the man page (`man.ts`) and the
 * reference in docs/cli.md (`reference.ts`) are all made from, so they cannot drift.
 */

/** How the shell completes a value: a file, a directory, a registered machine, or a list. */
export type Completion = "file" | "dir" | "machine" | { readonly words: readonly string[] };

export interface OptionSpec {
  /** The long name, without `--`. */
  readonly name: string;
  readonly short?: string;
  /**
   * `boolean` is a flag; the others take a value. `integer` values are checked against
   * `min`..`max` here, so a wrong one is a usage error naming the option.
   */
  readonly type: "boolean" | "string" | "integer";
  /** The value's placeholder in help (`FILE`, `PORT`). */
  readonly value?: string;
  readonly min?: number;
  readonly max?: number;
  readonly required?: boolean;
  /** The default as a person reads it; absent when there is none worth saying. */
  readonly default?: string;
  readonly description: string;
  readonly complete?: Completion;
  /**
   * The config key (`http.port`) this flag overrides. A boolean flag sets its key to
   * `sets`: false (the `--no-X` flags) unless it says true (`--force-dhcp`).
   */
  readonly config?: string;
  readonly sets?: boolean;
}

export interface PositionalSpec {
  /** The placeholder in help (`MACHINE`), and the key the handler reads it by. */
  readonly name: string;
  readonly description: string;
  readonly optional?: boolean;
  /** Takes every remaining word (only the last positional). */
  readonly rest?: boolean;
  readonly complete?: Completion;
}

export interface ExitCode {
  readonly code: number;
  readonly meaning: string;
}

/** A parsed call, checked against its spec: the handler's only view of argv. */
export interface Call {
  readonly spec: CommandSpec;
  /** Option values by long name; flags are `true` when given, integers are numbers. */
  readonly options: ReadonlyMap<string, string | number | true>;
  readonly args: ReadonlyMap<string, string>;
  /** The words a `rest` positional took. */
  readonly rest: readonly string[];
}

export type Handler = (call: Call) => number | Promise<number>;

export interface CommandSpec {
  /** The words after `landscaper`: `["machines", "add"]`. */
  readonly path: readonly string[];
  /** One line, lower case, no full stop: shown in the parent's command list. */
  readonly summary: string;
  /** Paragraphs shown under the usage line. */
  readonly description?: readonly string[];
  readonly options?: readonly OptionSpec[];
  readonly positionals?: readonly PositionalSpec[];
  readonly examples?: readonly { readonly command: string; readonly note?: string }[];
  /** The one JSON document the command can print, and the flag that asks for it. */
  readonly json?: string;
  /** The exit codes this command can end with (0 and 2 apply to every command). */
  readonly exits?: readonly ExitCode[];
  /** A group (`machines`) has subcommands and no handler of its own. */
  readonly subcommands?: readonly CommandSpec[];
  /** Loaded only when the command runs, so `--help` and completion stay fast. */
  readonly run?: () => Promise<Handler>;
  /** Left out of help, completion and the docs (the completion helper). */
  readonly hidden?: boolean;
}

/** `-h, --help`: every command has it, so it is added here rather than in each spec. */
export const HELP_OPTION: OptionSpec = {
  name: "help",
  short: "h",
  type: "boolean",
  description: "print this help and exit",
};

export function optionsOf(spec: CommandSpec): readonly OptionSpec[] {
  return [...(spec.options ?? []), HELP_OPTION];
}

export function commandName(spec: CommandSpec): string {
  return ["landscaper", ...spec.path].join(" ");
}

/** Every command and subcommand, depth first (hidden ones only when asked for). */
export function allCommands(root: CommandSpec, withHidden = false): CommandSpec[] {
  if (root.hidden && !withHidden) return [];
  return [root, ...(root.subcommands ?? []).flatMap((c) => allCommands(c, withHidden))];
}

export function visibleSubcommands(spec: CommandSpec): readonly CommandSpec[] {
  return (spec.subcommands ?? []).filter((c) => !c.hidden);
}

/** The option as written in a usage line: `--kernel FILE`, `--json`. */
export function optionSyntax(o: OptionSpec): string {
  return o.type === "boolean" ? `--${o.name}` : `--${o.name} ${o.value ?? "VALUE"}`;
}

/** `landscaper machines add MACHINE --kernel FILE --initrd FILE [options]` */
export function usageLine(spec: CommandSpec): string {
  const parts = [commandName(spec)];
  if (spec.subcommands) parts.push("COMMAND");
  for (const p of spec.positionals ?? []) {
    const word = p.rest ? `${p.name}...` : p.name;
    parts.push(p.optional ? `[${word}]` : word);
  }
  for (const o of spec.options ?? []) if (o.required) parts.push(optionSyntax(o));
  if ((spec.options ?? []).some((o) => !o.required)) parts.push("[options]");
  return parts.join(" ");
}

/** The exit codes of every command (docs/cli.md). */
export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;

/** Exit codes every command shares; a command's own list adds to these. */
export const COMMON_EXITS: readonly ExitCode[] = [
  { code: 0, meaning: "success" },
  { code: 2, meaning: "wrong call (usage on stderr)" },
];

export function exitsOf(spec: CommandSpec): ExitCode[] {
  return [...COMMON_EXITS, ...(spec.exits ?? [])].sort((a, b) => a.code - b.code);
}
