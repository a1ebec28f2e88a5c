/**
 * Opening a requested file for a transfer: inside the root, no symlink at the last step,
 * a regular file. A refusal carries the TFTP error code and text the client is sent.
 */
import type { Stats } from "node:fs";
import { openRegularFile } from "../../core/files.js";
import { ErrorCode } from "../codec/packet.js";
import { resolveInRoot } from "./paths.js";

export type Opened =
  | { readonly ok: true; readonly fd: number; readonly stat: Stats }
  | { readonly ok: false; readonly code: number; readonly reason: string };

/** The caller owns the fd of an `ok` result and must close it (or hand it on). */
export async function openForTransfer(root: string, filename: string): Promise<Opened> {
  const resolved = await resolveInRoot(root, filename);
  if (!resolved.ok) return { ok: false, code: resolved.code, reason: resolved.reason };
  // Non-blocking, regular files only: the one open every served file goes through.
  const opened = await openRegularFile(resolved.path, { noFollow: true });
  if (opened.ok) return opened;
  const code = opened.why === "not-regular" ? ErrorCode.FILE_NOT_FOUND : ErrorCode.ACCESS_VIOLATION;
  return { ok: false, code, reason: opened.reason };
}

/** Device, inode, size and both times: a file replaced or rewritten is a new version. */
export function fileVersion(st: Stats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}
