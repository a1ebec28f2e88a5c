/**
 * Opening the files the appliance serves to the LAN (iPXE binaries over TFTP and HTTP, the
 * registered kernels and initrds over HTTP). One function opens them all, so every open is
 * non-blocking and refuses what is not a regular file; `FileRoots` says where they may lie.
 */
import { close, constants, fstat, open, readlink, type Stats } from "node:fs";
import { promisify } from "node:util";
import type { Config } from "../config/config.js";
import { real, within } from "./paths.js";

const openFd = promisify(open);
const fstatFd = promisify(fstat);
const readlinkP = promisify(readlink);

export type OpenedFile =
  | { readonly ok: true; readonly fd: number; readonly stat: Stats }
  | {
      readonly ok: false;
      /** missing: ENOENT; unreadable: any other open error; not-regular: a FIFO, device, dir; outside: refused by FileRoots. */
      readonly why: "missing" | "unreadable" | "not-regular" | "outside";
      readonly reason: string;
    };

function refused(why: Exclude<OpenedFile, { ok: true }>["why"], reason: string): OpenedFile {
  return { ok: false, why, reason };
}

/**
 * Opens `path` for reading, O_NONBLOCK: opening a FIFO with no writer then returns at once
 * instead of parking a thread of libuv's pool (four such opens froze every PUT, file and
 * TFTP read). Anything but a regular file is refused. The caller owns the fd of an `ok`.
 */
export async function openRegularFile(
  path: string,
  opts: { noFollow?: boolean } = {},
): Promise<OpenedFile> {
  let fd: number;
  try {
    const flags =
      constants.O_RDONLY | constants.O_NONBLOCK | (opts.noFollow ? constants.O_NOFOLLOW : 0);
    fd = await openFd(path, flags);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "error";
    return refused(code === "ENOENT" ? "missing" : "unreadable", `cannot open: ${code}`);
  }
  try {
    const stat = await fstatFd(fd);
    if (stat.isFile()) return { ok: true, fd, stat };
    close(fd, () => undefined);
    return refused("not-regular", "not a regular file");
  } catch (e) {
    close(fd, () => undefined);
    throw e;
  }
}

/**
 * Where served files may lie: below one of `roots`, never below one of `forbidden` (the
 * state dir, which holds every token and key). Judged on the real path, both when a path is
 * registered and again at every open, on the file actually opened, so a symlink made or
 * changed after registration cannot lead elsewhere.
 */
export class FileRoots {
  constructor(
    readonly roots: readonly string[],
    readonly forbidden: readonly string[],
  ) {}

  /** Why `path` may not be served, or null. A path that does not exist yet is judged as written. */
  async refusal(path: string): Promise<string | null> {
    return this.judge(await real(path));
  }

  /** Opens `path` (see `openRegularFile`) if the file opened lies where it may. */
  async open(path: string): Promise<OpenedFile> {
    const opened = await openRegularFile(path);
    if (!opened.ok) return opened;
    let why: string | null;
    try {
      // The path of the file behind the fd: no race with a rename or symlink swap.
      why = await this.judge(await readlinkP(`/proc/self/fd/${opened.fd}`));
    } catch (e) {
      close(opened.fd, () => undefined);
      throw e;
    }
    if (why === null) return opened;
    close(opened.fd, () => undefined);
    return refused("outside", why);
  }

  private async judge(p: string): Promise<string | null> {
    const forbidden = await Promise.all(this.forbidden.map(real));
    if (forbidden.some((d) => within(p, d)))
      return `${p} is inside the state directory, which holds install tokens and keys`;
    const roots = await Promise.all(this.roots.map(real));
    if (!roots.some((d) => within(p, d)))
      return `${p} is outside the directories files are served from (files.allowedRoots and ipxe.dir: ${this.roots.join(", ")})`;
    return null;
  }
}

/** The roots of the registered kernels and initrds: `files.allowedRoots` and `ipxe.dir`. */
export function servedFileRoots(config: Config): FileRoots {
  return new FileRoots([...config.files.allowedRoots, config.ipxe.dir], [config.stateDir]);
}
