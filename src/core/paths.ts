import { realpath } from "node:fs/promises";
import { resolve, sep } from "node:path";

async function real(p: string): Promise<string> {
  try {
    return await realpath(p);
  } catch {
    return resolve(p); // not there (yet): judge the path as written
  }
}

/** Whether `path`, symlinks resolved, is `dir` or lies below it. */
export async function insideDir(path: string, dir: string): Promise<boolean> {
  const [p, d] = await Promise.all([real(path), real(dir)]);
  return p === d || p.startsWith(d.endsWith(sep) ? d : d + sep);
}
