#!/usr/bin/env node
import { ConfigError } from "../config/config.js";
import { ControlError } from "../control/client.js";
import { packageVersion } from "../core/version.js";
import { StateError } from "../registry/store.js";
import { ROOT } from "./commands.js";
import { helpText, usageText } from "./help.js";
import { findCommand, parseCall, UsageError } from "./parse.js";
import { commandName, EXIT, type CommandSpec } from "./spec.js";

/** The message of a control API refusal, with its status so a 4xx reads as a refusal. */
function controlMessage(e: ControlError): string {
  return e.status === null ? e.message : `${e.message} (HTTP ${e.status})`;
}

async function main(argv: readonly string[]): Promise<number> {
  let spec: CommandSpec = ROOT;
  try {
    const found = findCommand(ROOT, argv);
    spec = found.spec;
    const request = parseCall(spec, found.rest);
    if (request.kind === "help") {
      process.stdout.write(helpText(spec));
      return EXIT.ok;
    }
    if (spec === ROOT) {
      // parseCall lets the root through only with --version
      process.stdout.write(`landscaper ${packageVersion()}\n`);
      return EXIT.ok;
    }
    if (!spec.run) throw new Error(`${commandName(spec)} has no handler`);
    return await (
      await spec.run()
    )(request.call);
  } catch (e) {
    const name = commandName(spec);
    if (e instanceof UsageError) {
      process.stderr.write(usageText(e));
      return EXIT.usage;
    }
    if (e instanceof ControlError) {
      process.stderr.write(`${name}: ${controlMessage(e)}\n`);
      return e.code === "unreachable" ? EXIT.unreachable : EXIT.failed;
    }
    if (e instanceof ConfigError || e instanceof StateError) {
      process.stderr.write(`${name}: ${e.message}\n`);
      return EXIT.failed;
    }
    process.stderr.write(`${name}: ${(e as Error).stack ?? String(e)}\n`);
    return EXIT.failed;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`landscaper: ${String(e)}\n`);
    process.exitCode = EXIT.failed;
  },
);
