#!/usr/bin/env node
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { createLogger } from "../core/log.js";
import { packageVersion } from "../core/version.js";
import { handleRequest } from "./provider.js";
import {
  BadLineError,
  errorResponse,
  InvalidRequestError,
  parseRequest,
  serializeResponse,
  type Response,
} from "./protocol.js";

/**
 * `nixops4-resources-landscaper`: the NixOps4 resource provider. Requests are answered
 * one at a time, in order, one response line each, until stdin ends. stdout carries only
 * protocol lines; logs go to stderr. A line that is not JSON at all means the peer is not
 * speaking the protocol: it is reported on stderr and the process exits with status 2.
 */

const log = createLogger("nixops4-resources-landscaper");

function write(r: Response): Promise<void> {
  return new Promise((resolve, reject) =>
    process.stdout.write(serializeResponse(r), (e) => (e ? reject(e) : resolve())),
  );
}

async function main(): Promise<number> {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === "") continue;
    let response: Response;
    try {
      const req = parseRequest(line);
      log.info({ line: lineNo, kind: req.kind }, "request");
      response = await handleRequest(req, { log, env: process.env });
    } catch (e) {
      if (e instanceof BadLineError) {
        process.stderr.write(`nixops4-resources-landscaper: line ${lineNo}: ${e.message}\n`);
        return 2;
      }
      if (e instanceof InvalidRequestError) {
        log.error({ line: lineNo }, e.message);
        response = errorResponse(`invalid request: ${e.message}`);
      } else {
        throw e;
      }
    }
    await write(response);
  }
  return 0;
}

const USAGE = `usage: nixops4-resources-landscaper [--version | --help]
The NixOps4 resource provider of Landscaper: NixOps4 starts it and speaks its protocol on
stdin and stdout (docs/provider.md). It talks to \`landscaper serve\` over the control
socket (LANDSCAPER_SOCKET, else /run/landscaper/control.sock).
`;

/** The provider takes no arguments from NixOps4; a person may ask what it is. */
function answerArguments(argv: string[]): number | null {
  let values: { version?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { version: { type: "boolean" }, help: { type: "boolean", short: "h" } },
      strict: true,
    }));
  } catch (e) {
    process.stderr.write(`nixops4-resources-landscaper: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) process.stdout.write(USAGE);
  else if (values.version)
    process.stdout.write(`nixops4-resources-landscaper ${packageVersion()}\n`);
  else return null;
  return 0;
}

const answered = answerArguments(process.argv.slice(2));
if (answered !== null) process.exit(answered);

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`nixops4-resources-landscaper: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
