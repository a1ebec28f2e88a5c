#!/usr/bin/env node
// The mutants a Stryker JSON report left alive (survived, no coverage), one a line:
// `file:line mutator status -> replacement | source line`, as docs/testing.md lists them.
//   node scripts/mutate-survivors.mjs reports/mutation/boot-script.json ...
import { readFileSync } from "node:fs";

for (const report of process.argv.slice(2)) {
  const { files } = JSON.parse(readFileSync(report, "utf8"));
  for (const [file, { source, mutants }] of Object.entries(files)) {
    const lines = source.split("\n");
    for (const m of mutants) {
      if (m.status !== "Survived" && m.status !== "NoCoverage") continue;
      const line = m.location.start.line;
      const replacement = JSON.stringify(m.replacement ?? "").slice(0, 60);
      const text = lines[line - 1].trim().slice(0, 90);
      console.log(`${file}:${line} ${m.mutatorName} ${m.status} -> ${replacement} | ${text}`);
    }
  }
}
