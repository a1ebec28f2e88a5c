#!/usr/bin/env node
import { createInterface } from "node:readline";
import { createLogger } from "../core/log.js";
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

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`nixops4-resources-landscaper: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
