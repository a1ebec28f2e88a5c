import { defaultConfig } from "../config/config.js";
import { optionText } from "./help.js";
import {
  allCommands,
  exitsOf,
  optionsOf,
  usageLine,
  type CommandSpec,
  type OptionSpec,
} from "./spec.js";

/**
 * landscaper(1) in roff (man(7) macros), from the same spec as `--help`. No date in the
 * header, so the page is the same for the same spec (reproducible builds).
 */

/** Plain text as roff: backslashes and hyphens escaped, `code` in bold. */
function roff(text: string): string {
  return text
    .replace(/\\/g, "\\e")
    .replace(/-/g, "\\-")
    .replace(/`([^`]+)`/g, "\\fB$1\\fR")
    .replace(/^([.'])/gm, "\\&$1");
}

function optionLine(o: OptionSpec): string {
  const long =
    `\\fB\\-\\-${roff(o.name)}\\fR` +
    (o.type === "boolean" ? "" : ` \\fI${o.value ?? "VALUE"}\\fR`);
  return o.short ? `\\fB\\-${o.short}\\fR, ${long}` : long;
}

function section(spec: CommandSpec): string[] {
  const out = [
    `.SS "${roff(usageLine(spec))}"`,
    roff(spec.summary[0]!.toUpperCase() + spec.summary.slice(1)) + ".",
  ];
  for (const p of spec.description ?? []) out.push(".PP", roff(p));
  for (const p of spec.positionals ?? []) out.push(".TP", `\\fI${p.name}\\fR`, roff(p.description));
  for (const o of optionsOf(spec)) out.push(".TP", optionLine(o), roff(optionText(o)));
  if (spec.json) out.push(".PP", `JSON output: ${roff(spec.json)}.`);
  if (spec.examples?.length) {
    out.push(".PP", "Example:", ".RS", ".nf");
    for (const e of spec.examples) {
      if (e.note) out.push(roff(`# ${e.note}`));
      out.push(roff(e.command));
    }
    out.push(".fi", ".RE");
  }
  return out;
}

export function manPage(root: CommandSpec, version: string): string {
  const leaves = allCommands(root).filter((c) => !c.subcommands);
  const lines = [
    `.TH LANDSCAPER 1 "" "landscaper ${roff(version)}" "Landscaper"`,
    // no hyphenation: option names and paths must read as typed
    ".nh",
    ".SH NAME",
    `landscaper \\- ${roff(root.summary)}`,
    ".SH SYNOPSIS",
    ".nf",
    ...leaves.map((c) => roff(usageLine(c))),
    "\\fBlandscaper\\fR \\fICOMMAND\\fR \\fB\\-\\-help\\fR",
    "\\fBlandscaper \\-\\-version\\fR",
    ".fi",
    ".SH DESCRIPTION",
    roff(
      "Landscaper answers PXE as a proxyDHCP server, chainloads iPXE over TFTP and serves each registered machine's NixOS installer over HTTP. `landscaper serve` runs the appliance; the other commands talk to it over its control socket or check the host.",
    ),
    ...(root.description ?? []).flatMap((p) => [".PP", roff(p)]),
    ".SH COMMANDS",
    ...leaves.flatMap(section),
    ".SH EXIT STATUS",
    ...exitsOf(root).flatMap((x) => [".TP", `\\fB${x.code}\\fR`, roff(x.meaning)]),
    ".SH ENVIRONMENT",
    ".TP",
    "\\fBLANDSCAPER_SOCKET\\fR",
    roff("The control socket the client commands use when --socket is not given."),
    ".SH FILES",
    ".TP",
    `\\fI${roff(defaultConfig().control.socket)}\\fR`,
    "The control socket (control.socket).",
    ".TP",
    `\\fI${roff(defaultConfig().stateDir)}\\fR`,
    "The machine registry (stateDir).",
    ".SH SEE ALSO",
    roff(
      "nixops4-resources-landscaper, the NixOps4 resource provider. The design and the config keys: docs/design.md; this reference as Markdown: docs/cli.md.",
    ),
  ];
  return lines.join("\n") + "\n";
}
