import { ROOT } from "./commands.js";
import { findCommand, UsageError } from "./parse.js";
import {
  commandName,
  exitsOf,
  optionsOf,
  usageLine,
  visibleSubcommands,
  type Call,
  type CommandSpec,
  type OptionSpec,
} from "./spec.js";

const WIDTH = 80;

/** Greedy word wrap; a word longer than the width gets a line of its own. */
export function wrap(text: string, width: number, indent = ""): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line !== "" && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(indent + line);
  return lines;
}

/** `name  text` rows with the text column aligned and wrapped under itself. */
function rows(items: readonly (readonly [string, string])[]): string[] {
  const col = Math.min(30, Math.max(...items.map(([n]) => n.length)) + 4);
  return items.flatMap(([name, text]) => {
    const body = wrap(text, WIDTH, " ".repeat(col));
    const first = (body[0] ?? "").slice(col);
    if (name.length + 2 + 2 > col) return [`  ${name}`, ...body];
    return [`  ${name.padEnd(col - 2)}${first}`, ...body.slice(1)];
  });
}

export function optionLabel(o: OptionSpec): string {
  const long = o.type === "boolean" ? `--${o.name}` : `--${o.name} ${o.value ?? "VALUE"}`;
  return o.short ? `-${o.short}, ${long}` : long;
}

/** What help says about an option after its name: the text, required or default, config key. */
export function optionText(o: OptionSpec): string {
  const notes = [
    ...(o.required ? ["required"] : []),
    ...(o.default !== undefined ? [`default: ${o.default}`] : []),
    ...(o.config !== undefined ? [`config key ${o.config}`] : []),
  ];
  return notes.length > 0 ? `${o.description} (${notes.join("; ")})` : o.description;
}

/** The whole `--help` text of a command. */
export function helpText(spec: CommandSpec): string {
  const out = [`usage: ${usageLine(spec)}`, "", ...wrap(spec.summary, WIDTH)];
  for (const p of spec.description ?? []) out.push("", ...wrap(p, WIDTH));
  const subs = visibleSubcommands(spec);
  if (subs.length > 0)
    out.push("", "commands:", ...rows(subs.map((c) => [c.path.at(-1)!, c.summary])));
  if (spec.positionals?.length)
    out.push("", "arguments:", ...rows(spec.positionals.map((p) => [p.name, p.description])));
  out.push("", "options:", ...rows(optionsOf(spec).map((o) => [optionLabel(o), optionText(o)])));
  if (spec.json) out.push("", ...wrap(`JSON output: ${spec.json}.`, WIDTH));
  if (spec.examples?.length) {
    out.push("", "examples:");
    for (const e of spec.examples) {
      if (e.note) out.push(`  # ${e.note}`);
      out.push(`  ${e.command}`);
    }
  }
  out.push("", "exit status:", ...rows(exitsOf(spec).map((x) => [String(x.code), x.meaning])));
  return out.join("\n") + "\n";
}

/** What a wrong call prints on stderr: the mistake, then how to call the command. */
export function usageText(e: UsageError): string {
  const name = commandName(e.spec);
  // a group's usage is its list of commands, which is most of its help
  if (e.spec.subcommands) return `${name}: ${e.message}\n\n${helpText(e.spec)}`;
  return `${name}: ${e.message}\nusage: ${usageLine(e.spec)}\nRun "${name} --help" for the options.\n`;
}

/** `landscaper help [COMMAND...]` */
export function runHelp(call: Call): number {
  const { spec, rest } = findCommand(ROOT, call.rest);
  if (rest.length > 0) throw new UsageError(`no command "${call.rest.join(" ")}"`, call.spec);
  process.stdout.write(helpText(spec));
  return 0;
}
