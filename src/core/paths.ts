import { realpath } from "node:fs/promises";
import { resolve, sep } from "node:path";

/** `p` with symlinks resolved, or as written (made absolute) when it does not exist (yet). */
export async function real(p: string): Promise<string> {
  try {
    return await realpath(p);
  } catch {
    return resolve(p);
  }
}

/** Whether the resolved path `p` is the resolved directory `dir` or lies below it. Pure. */
export function within(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

/** Whether `path`, symlinks resolved, is `dir` or lies below it. */
export async function insideDir(path: string, dir: string): Promise<boolean> {
  const [p, d] = await Promise.all([real(path), real(dir)]);
  return within(p, d);
}
