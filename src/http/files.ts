import { close, read } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { promisify } from "node:util";
import type { OpenedFile } from "../core/files.js";
import { ReadBuffers } from "./read-buffers.js";

/**
 * File bodies are read in chunks of 256 KiB to 4 MiB (bigger while few downloads run):
 * without sendfile every byte is copied in and out of the process, and small chunks add
 * CPU per byte on top. 12 MiB lent in big chunks, at most 24 MiB kept for reuse (the
 * figures are in docs/benchmarks.md, "LAN HTTP").
 */
export const readBuffers = new ReadBuffers(12 << 20, 24 << 20, 4 << 20, 256 << 10);

export type ByteRange = { start: number; end: number };

/**
 * Parses a Range header against a file size. Null: no (usable) range, serve it whole
 * (RFC 9110 lets a server ignore a range it doesn't support, such as several ranges).
 * "unsatisfiable": 416.
 */
export function parseRange(
  header: string | undefined,
  size: number,
): ByteRange | null | "unsatisfiable" {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return null;
  const [, a = "", b = ""] = m;
  if (a === "" && b === "") return null;
  if (a === "") {
    const n = Number(b);
    // RFC 9110: a suffix range of an empty file (or of zero bytes) selects nothing.
    if (n === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === "" ? size - 1 : Math.min(Number(b), size - 1);
  if (start >= size || end < start) return "unsatisfiable";
  return { start, end };
}

/** How a file response went; the caller counts and records it. */
export interface Served {
  status: number;
  bytes: number;
}

const readFd = promisify(read);
const closeFd = promisify(close);

function sendText(res: ServerResponse, status: number, text: string): Served {
  res.writeHead(status, { "content-type": "text/plain", "content-length": text.length });
  res.end(text);
  return { status, bytes: 0 };
}

/**
 * Sends one opened file (its fd is closed here) with Content-Length always, HEAD, and a
 * single Range (206/416). The file is the caller's (a registered file or a name inside the
 * iPXE dir), opened through core/files.ts, never named by the request. A refused open is a
 * 404 (missing, not a regular file, or not where served files may lie) or a 500.
 */
export async function serveFile(
  req: IncomingMessage,
  res: ServerResponse,
  opened: OpenedFile,
  contentType: string,
): Promise<Served> {
  if (!opened.ok)
    return opened.why === "unreadable"
      ? sendText(res, 500, "cannot read file\n")
      : sendText(res, 404, "not found\n");
  const { fd, stat } = opened;
  try {
    const size = stat.size;
    const range = parseRange(req.headers.range, size);
    const headers: Record<string, string | number> = {
      "content-type": contentType,
      "accept-ranges": "bytes",
      "last-modified": stat.mtime.toUTCString(),
    };
    if (range === "unsatisfiable") {
      res.writeHead(416, { ...headers, "content-range": `bytes */${size}`, "content-length": 0 });
      res.end();
      return { status: 416, bytes: 0 };
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? size - 1;
    const length = size === 0 ? 0 : end - start + 1;
    const status = range ? 206 : 200;
    if (range) headers["content-range"] = `bytes ${start}-${end}/${size}`;
    res.writeHead(status, { ...headers, "content-length": length });
    if (req.method === "HEAD" || length === 0) {
      res.end();
      return { status, bytes: 0 };
    }
    const bytes = await pump(fd, res, start, length);
    return { status, bytes };
  } finally {
    await closeFd(fd);
  }
}

/**
 * Two buffers per download: one is read into (on the thread pool) while the socket writes
 * the other, so the disk read and the socket write overlap instead of taking turns.
 */
const BUFFERS_PER_DOWNLOAD = 2;

/** Reads a chunk ahead of the socket and waits for a buffer's write to finish before reusing it. */
/** How long a download may make no progress before it is dropped. */
const STALL_MS = 60_000;

async function pump(
  fd: number,
  res: ServerResponse,
  start: number,
  length: number,
): Promise<number> {
  const { buffers, release } = readBuffers.lease(length, BUFFERS_PER_DOWNLOAD);
  let sent = 0;
  let next = 0;
  let writing = 0;
  let wake: (() => void) | null = null;
  const poke = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  // A client that stops reading is dropped after STALL_MS without progress, so it cannot
  // hold a file descriptor and leased buffers forever.
  const waitForWrite = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        res.destroy();
        resolve();
      }, STALL_MS);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  res.on("close", poke);
  try {
    while (sent < length && !res.destroyed) {
      // Writes complete in order, so the next buffer round-robin is the oldest one written.
      if (writing === buffers.length) {
        await waitForWrite();
        continue;
      }
      const buf = buffers[next] as Buffer;
      next = (next + 1) % buffers.length;
      const want = Math.min(buf.length, length - sent);
      const { bytesRead } = await readFd(fd, buf, 0, want, start + sent);
      if (bytesRead === 0) break; // the file shrank under us; Content-Length is now a lie, so cut
      sent += bytesRead;
      writing += 1;
      // The callback runs once the socket is done with the bytes (or failed): then reuse it.
      res.write(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead), () => {
        writing -= 1;
        poke();
      });
    }
    while (writing > 0 && !res.destroyed) await waitForWrite();
  } finally {
    res.off("close", poke);
    // A destroyed socket may still hold a buffer in a cancelled write: never reuse those.
    release(!res.destroyed);
  }
  if (sent < length) res.destroy();
  else res.end();
  return sent;
}
