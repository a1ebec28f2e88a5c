import { realpath } from "node:fs/promises";
import path from "node:path";
import { ErrorCode } from "../codec/packet.js";

export type Resolved =
  | { readonly ok: true; readonly path: string }
  | { readonly ok: false; readonly code: number; readonly reason: string };

function refuse(code: number, reason: string): Resolved {
  return { ok: false, code, reason };
}

/**
 * The root-relative segments a request names, or a refusal. Pure: no filesystem access.
 * A leading `/` means the root (firmware often sends `/ipxe.efi`); a request spelling out
 * the root's own absolute path is accepted too. Backslashes are separators because some PXE
 * ROMs send DOS-style paths, and so that `..\` cannot slip past the `..` check.
 */
export function requestSegments(
  rootAbs: string,
  requested: string,
): { segments: string[]; absolute: boolean } | Resolved {
  if (requested.includes("\0")) return refuse(ErrorCode.ACCESS_VIOLATION, "NUL byte in filename");
  let name = requested.replace(/\\/g, "/");
  let absolute = name.startsWith("/");
  const rootPrefix = rootAbs.endsWith("/") ? rootAbs : `${rootAbs}/`;
  if (absolute && (name === rootAbs || name.startsWith(rootPrefix))) {
    name = name.slice(rootAbs.length);
    absolute = false;
  }
  const segments = name.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.includes("..")) {
    return refuse(ErrorCode.ACCESS_VIOLATION, "'..' segments are not allowed");
  }
  if (segments.length === 0) return refuse(ErrorCode.FILE_NOT_FOUND, "names the root directory");
  return { segments, absolute };
}

/**
 * Resolves a requested filename to a real path inside `realRoot` (already realpath'd), or
 * refuses: error 2 for anything that would leave the root (including symlinks pointing out
 * and absolute paths that are not under it), error 1 for a missing file.
 */
export async function resolveInRoot(realRoot: string, requested: string): Promise<Resolved> {
  const req = requestSegments(realRoot, requested);
  if ("ok" in req) return req;
  const candidate = path.join(realRoot, ...req.segments);
  let real: string;
  try {
    real = await realpath(candidate);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") {
      // Absolute and not found under the root: it named something outside the root.
      return req.absolute
        ? refuse(ErrorCode.ACCESS_VIOLATION, "absolute path outside the TFTP root")
        : refuse(ErrorCode.FILE_NOT_FOUND, "file not found");
    }
    if (code === "ELOOP") return refuse(ErrorCode.ACCESS_VIOLATION, "symlink loop");
    return refuse(ErrorCode.ACCESS_VIOLATION, `cannot resolve: ${code ?? "unknown error"}`);
  }
  if (real !== realRoot && !real.startsWith(realRoot + path.sep)) {
    return refuse(ErrorCode.ACCESS_VIOLATION, "resolves outside the TFTP root");
  }
  return { ok: true, path: real };
}
