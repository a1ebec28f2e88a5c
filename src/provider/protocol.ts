/**
 * The NixOps4 resource provider protocol, v0: one JSON request per stdin line, one JSON
 * response per stdout line. Types mirror `resource-schema-v0.json` (the nixops4 file);
 * `parseRequest` checks a line against the same rules the schema states, so a request
 * that the schema refuses never reaches a resource implementation.
 */

export type JsonObject = Record<string, unknown>;

export interface CreateResourceRequest {
  type: string;
  inputProperties: JsonObject;
  isStateful: boolean;
}

export interface ExtantResource {
  type: string;
  inputProperties: JsonObject;
  outputProperties?: JsonObject;
}

export interface UpdateResourceRequest {
  resource: ExtantResource;
  inputProperties: JsonObject;
}

/** A request after parsing; the state-provider requests are recognised only to refuse them. */
export type Request =
  | { kind: "create"; create: CreateResourceRequest }
  | { kind: "update"; update: UpdateResourceRequest }
  | { kind: "stateResourceEvent" }
  | { kind: "stateResourceRead" };

export type Response =
  | { createResourceResponse: { outputProperties: JsonObject } }
  | { updateResourceResponse: { outputProperties: JsonObject } }
  | { errorResponse: { message: string } };

/** A line that is not JSON at all: the provider reports it on stderr and exits non-zero. */
export class BadLineError extends Error {
  override name = "BadLineError";
}

/** JSON that is not a valid request: answered with an errorResponse naming the problem. */
export class InvalidRequestError extends Error {
  override name = "InvalidRequestError";
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return `a ${typeof v}`;
}

/** The schema's `additionalProperties: false`: every key must be one of `allowed`. */
function onlyKeys(obj: JsonObject, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) {
      throw new InvalidRequestError(
        `${where}: unknown field ${JSON.stringify(k)} (expected ${allowed.join(", ")})`,
      );
    }
  }
}

function field<T>(
  obj: JsonObject,
  key: string,
  where: string,
  check: (v: unknown) => v is T,
  expected: string,
): T {
  if (!(key in obj)) throw new InvalidRequestError(`${where}: missing field ${key}`);
  const v = obj[key];
  if (!check(v)) {
    throw new InvalidRequestError(`${where}.${key} must be ${expected}, got ${describe(v)}`);
  }
  return v;
}

const isString = (v: unknown): v is string => typeof v === "string";
const isBoolean = (v: unknown): v is boolean => typeof v === "boolean";

function extantResource(v: unknown, where: string): ExtantResource {
  if (!isObject(v)) throw new InvalidRequestError(`${where} must be an object, got ${describe(v)}`);
  onlyKeys(v, ["type", "inputProperties", "outputProperties"], where);
  const r: ExtantResource = {
    type: field(v, "type", where, isString, "a string"),
    inputProperties: field(v, "inputProperties", where, isObject, "an object"),
  };
  if ("outputProperties" in v) {
    r.outputProperties = field(v, "outputProperties", where, isObject, "an object");
  }
  return r;
}

const REQUEST_KINDS = [
  "createResourceRequest",
  "updateResourceRequest",
  "stateResourceEvent",
  "stateResourceReadRequest",
] as const;

/**
 * Parses one request line. Throws BadLineError when the line is not JSON, and
 * InvalidRequestError when it is JSON but not one of the schema's requests.
 */
export function parseRequest(line: string): Request {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (e) {
    throw new BadLineError(`request line is not JSON: ${(e as Error).message}`);
  }
  if (!isObject(value)) {
    throw new InvalidRequestError(`a request must be a JSON object, got ${describe(value)}`);
  }
  // The schema's Request is a oneOf over objects each *requiring* one of these keys.
  const present = REQUEST_KINDS.filter((k) => k in value);
  if (present.length !== 1) {
    throw new InvalidRequestError(
      present.length === 0
        ? `a request needs exactly one of ${REQUEST_KINDS.join(", ")}; got keys ${JSON.stringify(Object.keys(value))}`
        : `a request needs exactly one of ${REQUEST_KINDS.join(", ")}; got ${present.join(" and ")}`,
    );
  }
  const kind = present[0];
  switch (kind) {
    case "createResourceRequest": {
      const where = "createResourceRequest";
      const c = field(value, kind, "request", isObject, "an object");
      onlyKeys(c, ["type", "inputProperties", "isStateful"], where);
      return {
        kind: "create",
        create: {
          type: field(c, "type", where, isString, "a string"),
          inputProperties: field(c, "inputProperties", where, isObject, "an object"),
          isStateful: field(c, "isStateful", where, isBoolean, "a boolean"),
        },
      };
    }
    case "updateResourceRequest": {
      const where = "updateResourceRequest";
      const u = field(value, kind, "request", isObject, "an object");
      onlyKeys(u, ["resource", "inputProperties"], where);
      if (!("resource" in u)) throw new InvalidRequestError(`${where}: missing field resource`);
      return {
        kind: "update",
        update: {
          resource: extantResource(u.resource, `${where}.resource`),
          inputProperties: field(u, "inputProperties", where, isObject, "an object"),
        },
      };
    }
    case "stateResourceEvent":
      return { kind: "stateResourceEvent" };
    case "stateResourceReadRequest":
      return { kind: "stateResourceRead" };
    case undefined:
      break;
  }
  throw new InvalidRequestError("no request kind");
}

export function createResponse(outputProperties: JsonObject): Response {
  return { createResourceResponse: { outputProperties } };
}

export function updateResponse(outputProperties: JsonObject): Response {
  return { updateResourceResponse: { outputProperties } };
}

export function errorResponse(message: string): Response {
  return { errorResponse: { message } };
}

/** One protocol line: compact JSON (never containing a raw newline) plus "\n". */
export function serializeResponse(r: Response): string {
  return JSON.stringify(r) + "\n";
}
