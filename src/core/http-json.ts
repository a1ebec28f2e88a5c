import type { IncomingMessage, ServerResponse } from "node:http";
import { Refusal, REFUSAL_CODE } from "./refusal.js";

/** An error that becomes `{"error": {"code", "message"}}` with an HTTP status. */
export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    /** Response headers besides the JSON ones, such as Retry-After. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The one mapping from what a handler threw to an error response; null: not ours (a 500). */
export function asHttpError(e: unknown): HttpError | null {
  if (e instanceof HttpError) return e;
  if (e instanceof Refusal)
    return new HttpError(e.status, REFUSAL_CODE[e.status], e.message, e.extra);
  return null;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body) + "\n";
  res.writeHead(status, {
    ...headers,
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}

export function sendError(res: ServerResponse, e: HttpError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, e.status, { error: { code: e.code, message: e.message }, ...e.extra }, e.headers);
}

/** Reads a JSON body of at most `limit` bytes; an empty body reads as `{}`. */
export async function readJson(
  req: IncomingMessage,
  limit = 1 << 20,
  deadlineMs = 30_000,
): Promise<unknown> {
  const type = req.headers["content-type"] ?? "";
  const chunks: Buffer[] = [];
  let size = 0;
  // The servers let connections live long (files, long-polls), so a body that trickles in
  // gets its own deadline rather than holding memory forever.
  const timer = setTimeout(() => req.destroy(), deadlineMs);
  try {
    for await (const c of req as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > limit) throw new HttpError(413, "too_large", `request body over ${limit} bytes`);
      chunks.push(c);
    }
  } finally {
    clearTimeout(timer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return {};
  if (type && !/^application\/json\b/i.test(type)) {
    throw new HttpError(
      415,
      "unsupported_media_type",
      `expected Content-Type application/json, got ${type}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, "bad_json", `request body is not valid JSON: ${(e as Error).message}`);
  }
}
