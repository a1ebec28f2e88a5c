/**
 * Writes docs/cli.md, the command line reference, from the command spec. Run after
 * `npm run build`:
 *
 *   node dist/scripts/cli-docs.js          # write docs/cli.md
 *   node dist/scripts/cli-docs.js --check  # exit 1 if docs/cli.md is not what it would write
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { format } from "prettier";
import { ROOT } from "../src/cli/commands.js";
import { referenceMarkdown } from "../src/cli/reference.js";

export const CLI_DOC = fileURLToPath(new URL("../../docs/cli.md", import.meta.url));

/** The reference as the repository keeps it: formatted by prettier like every other doc. */
export async function renderedReference(): Promise<string> {
  return format(referenceMarkdown(ROOT), { parser: "markdown", filepath: CLI_DOC });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = await renderedReference();
  if (process.argv[2] === "--check") {
    const same = readFileSync(CLI_DOC, "utf8") === text;
    if (!same) process.stderr.write("docs/cli.md is stale: run node dist/scripts/cli-docs.js\n");
    process.exitCode = same ? 0 : 1;
  } else writeFileSync(CLI_DOC, text);
}
