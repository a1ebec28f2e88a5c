import { open } from "node:fs/promises";

/** Makes a directory's entries (a new or renamed file) survive a crash. */
export async function syncDir(dir: string): Promise<void> {
  const dh = await open(dir, "r");
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}
