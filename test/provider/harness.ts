import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { Validator, type Schema } from "./json-schema.js";

/** The repository root (this file is dist/test/provider/harness.js once built). */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const PROVIDER = join(REPO, "dist/src/provider/main.js");

const SCHEMA_NAME = "nixops4-resource-schema-v0.json";

/**
 * Where the nixops4 protocol schema is: $LANDSCAPER_NIXOPS4_SCHEMA, else
 * `../shared/reference/` beside the repository. It is nixops4's file (LGPL) and is never
 * committed here, so it can be absent.
 */
export function schemaPath(): string {
  return (
    process.env.LANDSCAPER_NIXOPS4_SCHEMA || join(REPO, "..", "shared", "reference", SCHEMA_NAME)
  );
}

let cached: Validator | null | undefined;

/** The schema's validator, or null when the file is absent. */
export function schemaValidator(): Validator | null {
  if (cached !== undefined) return cached;
  const p = schemaPath();
  cached = existsSync(p) ? new Validator(JSON.parse(readFileSync(p, "utf8")) as Schema) : null;
  return cached;
}

export const SCHEMA_ABSENT = `the NixOps4 protocol schema ${SCHEMA_NAME} was not found at ${schemaPath()}; set LANDSCAPER_NIXOPS4_SCHEMA to its path to check conformance`;

/**
 * In CI the schema must be there: a conformance check that passes because it checked
 * nothing proves nothing. On a developer's machine without it, the checks are skipped
 * with SCHEMA_ABSENT as the reason.
 */
export const SCHEMA_REQUIRED = process.env.CI === "true";

/** The validator; with CI=true a missing schema fails the calling test. */
export function requireSchema(): Validator | null {
  const v = schemaValidator();
  if (v === null && SCHEMA_REQUIRED) assert.fail(`CI=true: ${SCHEMA_ABSENT}`);
  return v;
}

/** Checks a request line and a response object against the schema's Request / Response. */
export function assertConforms(kind: "Request" | "Response", value: unknown): void {
  const v = requireSchema();
  if (v === null) return;
  const errors = v.validate(value, `#/definitions/${kind}`);
  assert.deepEqual(errors, [], `${kind} does not conform to the schema: ${JSON.stringify(value)}`);
}

export interface ProviderRun {
  responses: Record<string, unknown>[];
  stdout: string;
  stderr: string;
  code: number | null;
}

/**
 * Pipes lines into the real executable and collects its answers. Every request that is
 * JSON and every response is validated against the schema (when present); each stdout
 * line must be JSON, so nothing but protocol lines reach stdout.
 */
export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** false for tests that send deliberately malformed requests */
  requestsConform?: boolean;
}

export async function runProvider(
  requests: (object | string)[],
  { env = {}, timeoutMs = 60_000, requestsConform = true }: RunOptions = {},
): Promise<ProviderRun> {
  const lines = requests.map((r) => (typeof r === "string" ? r : JSON.stringify(r)));
  if (requestsConform) {
    for (const r of requests) if (typeof r !== "string") assertConforms("Request", r);
  }
  const child = spawn(process.execPath, [PROVIDER], {
    env: { PATH: process.env.PATH, LANDSCAPER_LOG_LEVEL: "debug", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdin.on("error", () => {}); // the provider may exit before reading everything
  child.stdin.end(lines.map((l) => l + "\n").join(""));
  const code = await new Promise<number | null>((res, rej) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      rej(
        new Error(
          `provider did not exit within ${timeoutMs} ms; stderr ends:\n${stderr.slice(-2000)}`,
        ),
      );
    }, timeoutMs);
    child.on("exit", (c) => {
      clearTimeout(timer);
      res(c);
    });
  });
  const responses = stdout
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => {
      const r = JSON.parse(l) as Record<string, unknown>;
      assertConforms("Response", r);
      return r;
    });
  return { responses, stdout, stderr, code };
}

export function create(type: string, inputProperties: object, isStateful = true): object {
  return { createResourceRequest: { type, inputProperties, isStateful } };
}

export function update(
  type: string,
  previousInputs: object,
  previousOutputs: object | undefined,
  inputProperties: object,
): object {
  const resource: Record<string, unknown> = { type, inputProperties: previousInputs };
  if (previousOutputs !== undefined) resource.outputProperties = previousOutputs;
  return { updateResourceRequest: { resource, inputProperties } };
}

/** The outputs of a create/update response, failing with the error message otherwise. */
export function outputsOf(r: Record<string, unknown> | undefined): Record<string, unknown> {
  assert.ok(r, "no response");
  const body = (r.createResourceResponse ?? r.updateResourceResponse) as
    { outputProperties: Record<string, unknown> } | undefined;
  assert.ok(body, `expected outputs, got ${JSON.stringify(r)}`);
  return body.outputProperties;
}

export function errorOf(r: Record<string, unknown> | undefined): string {
  const e = r?.errorResponse as { message?: string } | undefined;
  assert.ok(
    e && typeof e.message === "string",
    `expected an errorResponse, got ${JSON.stringify(r)}`,
  );
  return e.message;
}

/** A provider run left to go on in the background, and whether it has answered yet. */
export function pending(run: Promise<ProviderRun>): {
  run: Promise<ProviderRun>;
  done: () => boolean;
} {
  let done = false;
  void run.then(() => (done = true));
  return { run, done: () => done };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
