import { defaultConfig } from "../config/config.js";
import { listMachines } from "./client.js";
import { ROOT } from "./commands.js";
import { optionsOf, visibleSubcommands, type CommandSpec, type Completion } from "./spec.js";

/**
 * `landscaper __complete WORD... CURRENT`: what the shell scripts of completion.ts ask at
 * each Tab. The words are the command line after `landscaper`, the last one being the
 * word under the cursor (empty for a new word). The answer is one candidate a line,
 * `value<TAB>description`, or a single line `:files` / `:dirs` when the shell's own file
 * name completion fits better. Walking the same spec as the parser keeps the two in step.
 */

export type Answer =
  | { kind: "words"; words: { value: string; note: string }[] }
  | { kind: "files" }
  | { kind: "dirs" };

/** Where in the spec the words before the cursor lead, and what the cursor's word is. */
interface Position {
  spec: CommandSpec;
  /** The option whose value the cursor's word is, if any. */
  valueOf: Completion | "none" | null;
  /** How many positionals were given before the cursor. */
  given: number;
  /** `--socket PATH` given before the cursor, for the machine lookup. */
  socket: string | undefined;
}

function locate(before: readonly string[]): Position {
  let spec = ROOT;
  let i = 0;
  for (; spec.subcommands && i < before.length; i++) {
    const next = visibleSubcommands(spec).find((c) => c.path.at(-1) === before[i]);
    if (!next) break;
    spec = next;
  }
  let given = 0;
  let socket: string | undefined;
  let valueOf: Position["valueOf"] = null;
  for (; i < before.length; i++) {
    const w = before[i]!;
    valueOf = null;
    if (!w.startsWith("-") || w === "-") {
      given++;
      continue;
    }
    if (w === "--") continue;
    const [name, inline] = w.replace(/^--?/, "").split(/=(.*)/s);
    const o = optionsOf(spec).find((x) => x.name === name || x.short === name);
    if (!o || o.type === "boolean" || inline !== undefined) {
      if (o?.name === "socket") socket = inline;
      continue;
    }
    const value = before[i + 1];
    if (value === undefined) valueOf = o.complete ?? "none";
    else if (o.name === "socket") socket = value;
    i++;
  }
  return { spec, valueOf, given, socket };
}

async function machineWords(socket: string): Promise<Answer> {
  const timeout = new Promise<never>((_, reject) => {
    // a Tab must not hang on a socket that accepts and never answers
    setTimeout(() => reject(new Error("timeout")), 2000).unref();
  });
  const machines = await Promise.race([listMachines(socket), timeout]);
  return {
    kind: "words",
    words: machines.flatMap((m) => [
      { value: m.mac, note: m.hostname ?? "" },
      ...(m.hostname ? [{ value: m.hostname, note: m.mac }] : []),
    ]),
  };
}

async function byCompletion(c: Completion | undefined, socket: string): Promise<Answer> {
  if (c === "file") return { kind: "files" };
  if (c === "dir") return { kind: "dirs" };
  if (c === "machine") return machineWords(socket).catch(() => ({ kind: "words", words: [] }));
  return { kind: "words", words: (c?.words ?? []).map((value) => ({ value, note: "" })) };
}

export async function complete(words: readonly string[]): Promise<Answer> {
  const current = words.at(-1) ?? "";
  const pos = locate(words.slice(0, -1));
  const socket = pos.socket ?? process.env.LANDSCAPER_SOCKET ?? defaultConfig().control.socket;
  const { spec } = pos;
  let answer: Answer;
  if (pos.valueOf !== null) {
    answer = await byCompletion(pos.valueOf === "none" ? undefined : pos.valueOf, socket);
  } else if (current.startsWith("-")) {
    answer = {
      kind: "words",
      words: optionsOf(spec).map((o) => ({ value: `--${o.name}`, note: o.description })),
    };
  } else if (spec.subcommands) {
    answer = {
      kind: "words",
      words: visibleSubcommands(spec).map((c) => ({ value: c.path.at(-1)!, note: c.summary })),
    };
  } else {
    const positionals = spec.positionals ?? [];
    const p = positionals[pos.given] ?? (positionals.at(-1)?.rest ? positionals.at(-1) : undefined);
    answer = p ? await byCompletion(p.complete, socket) : { kind: "words", words: [] };
  }
  if (answer.kind !== "words") return answer;
  return { kind: "words", words: answer.words.filter((w) => w.value.startsWith(current)) };
}

export function answerText(a: Answer): string {
  if (a.kind === "files") return ":files\n";
  if (a.kind === "dirs") return ":dirs\n";
  // a tab or newline inside a host name would break the line format; the registry refuses
  // them anyway, so this only guards against a registry that one day does not
  const clean = (s: string) => s.replace(/[\t\n\r]/g, " ");
  return a.words.map((w) => `${clean(w.value)}\t${clean(w.note)}\n`).join("");
}

export async function run(call: { rest: readonly string[] }): Promise<number> {
  let text = "";
  try {
    text = answerText(await complete(call.rest));
  } catch {
    // completion must never print an error into the middle of a command line
  }
  await new Promise<void>((resolve) => process.stdout.write(text, () => resolve()));
  // a request still pending on a socket that never answered would keep the process alive
  process.exit(0);
}
