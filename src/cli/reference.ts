import { optionLabel, optionText } from "./help.js";
import {
  allCommands,
  commandName,
  exitsOf,
  optionsOf,
  usageLine,
  type CommandSpec,
} from "./spec.js";

/**
 * docs/cli.md from the spec: the command line reference. scripts/cli-docs writes it and a
 * test fails when the committed file differs, so the docs say what `--help` says.
 */

const cell = (s: string) => s.replace(/\|/g, "\\|");

function section(spec: CommandSpec): string[] {
  const out = [`## ${commandName(spec)}`, "", "```", usageLine(spec), "```", ""];
  out.push(spec.summary[0]!.toUpperCase() + spec.summary.slice(1) + ".");
  for (const p of spec.description ?? []) out.push("", p);
  if (spec.positionals?.length) {
    out.push("", "| argument | meaning |", "| --- | --- |");
    for (const p of spec.positionals) out.push(`| \`${p.name}\` | ${cell(p.description)} |`);
  }
  out.push("", "| option | meaning |", "| --- | --- |");
  for (const o of optionsOf(spec)) out.push(`| \`${optionLabel(o)}\` | ${cell(optionText(o))} |`);
  if (spec.json) out.push("", `JSON output: ${spec.json}.`);
  out.push(
    "",
    `Exit status: ${exitsOf(spec)
      .map((x) => `${x.code} ${x.meaning}`)
      .join("; ")}.`,
  );
  if (spec.examples?.length) {
    out.push("", "```sh");
    for (const e of spec.examples) {
      if (e.note) out.push(`# ${e.note}`);
      out.push(e.command);
    }
    out.push("```");
  }
  return [...out, ""];
}

/** The Markdown, before prettier (scripts/cli-docs formats it as the repository does). */
export function referenceMarkdown(root: CommandSpec): string {
  const commands = allCommands(root).filter((c) => c !== root);
  const lines = [
    "# Command line reference",
    "",
    "<!-- Generated from src/cli/commands*.ts by scripts/cli-docs; edit the spec, not this file. -->",
    "",
    "`landscaper --help`, `landscaper COMMAND --help` and `man landscaper` say the same. A",
    "wrong call prints the mistake and the usage on stderr. Every `--json` output is exactly",
    "one JSON document on stdout.",
    "",
    "| exit status | meaning |",
    "| --- | --- |",
    ...exitsOf(root).map((x) => `| ${x.code} | ${cell(x.meaning)} |`),
    "",
    "Client commands find the control socket through `--socket`, else `LANDSCAPER_SOCKET`,",
    "else `/run/landscaper/control.sock`.",
    "",
    ...commands.flatMap(section),
  ];
  return lines.join("\n");
}
