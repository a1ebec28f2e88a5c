import { open } from "node:fs/promises";

const CHUNK = 1 << 20;

/**
 * A file's lines (without their newline), read a MiB at a time: start-up reads tens of
 * MiB of journal, and readline's per-line machinery cost more than parsing the lines.
 * The last line is yielded whether or not a newline ends it.
 */
export async function* fileLines(path: string): AsyncGenerator<string> {
  const fh = await open(path, "r");
  try {
    // One buffer for the whole file: each line is decoded (copied) before the next read.
    const buf = Buffer.allocUnsafe(CHUNK);
    let carry: Buffer = Buffer.alloc(0);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      const data = carry.length ? Buffer.concat([carry, buf.subarray(0, bytesRead)]) : buf;
      const end = carry.length ? data.length : bytesRead;
      let start = 0;
      for (let nl = data.indexOf(10, start); nl >= 0 && nl < end; nl = data.indexOf(10, start)) {
        yield data.toString("utf8", start, nl);
        start = nl + 1;
      }
      carry = Buffer.from(data.subarray(start, end));
    }
    if (carry.length) yield carry.toString("utf8");
  } finally {
    await fh.close();
  }
}
