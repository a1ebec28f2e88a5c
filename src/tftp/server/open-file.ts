/**
 * Opening a requested file for a transfer: inside the root, no symlink at the last step,
 * a regular file. A refusal carries the TFTP error code and text the client is sent.
 */
import { close as closeFd, constants, fstat, open, type Stats } from "node:fs";
import { promisify } from "node:util";
import { ErrorCode } from "../codec/packet.js";
import { resolveInRoot } from "./paths.js";

const openFd = promisify(open);
const fstatFd = promisify(fstat);

export type Opened =
  | { readonly ok: true; readonly fd: number; readonly stat: Stats }
  | { readonly ok: false; readonly code: number; readonly reason: string };

/** The caller owns the fd of an `ok` result and must close it (or hand it on). */
export async function openForTransfer(root: string, filename: string): Promise<Opened> {
  const resolved = await resolveInRoot(root, filename);
  if (!resolved.ok) return { ok: false, code: resolved.code, reason: resolved.reason };
  let fd: number;
  try {
    fd = await openFd(resolved.path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return {
      ok: false,
      code: ErrorCode.ACCESS_VIOLATION,
      reason: `cannot open: ${code ?? "error"}`,
    };
  }
  try {
    const stat = await fstatFd(fd);
    if (!stat.isFile()) {
      closeFd(fd, () => undefined);
      return { ok: false, code: ErrorCode.FILE_NOT_FOUND, reason: "not a regular file" };
    }
    return { ok: true, fd, stat };
  } catch (e) {
    closeFd(fd, () => undefined);
    throw e;
  }
}

/** Device, inode, size and both times: a file replaced or rewritten is a new version. */
export function fileVersion(st: Stats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}
