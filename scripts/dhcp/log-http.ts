/**
 * A static HTTP server that logs each request as `METHOD PATH STATUS` on stdout, for
 * scripts/dhcp/firmware-check (what did the firmware ask for?).
 *   node dist/scripts/dhcp/log-http.js ROOT ADDRESS PORT
 */
import { createServer } from "node:http";
import { createReadStream, statSync } from "node:fs";
import { join, normalize } from "node:path";

const [root = ".", address = "0.0.0.0", port = "8080"] = process.argv.slice(2);
createServer((req, res) => {
  const path = (req.url ?? "/").split("?", 1)[0] ?? "/";
  const file = join(root, normalize(path).replace(/^(\.\.[/\\])+/, ""));
  let size = -1;
  try {
    const st = statSync(file);
    if (st.isFile()) size = st.size;
  } catch {
    // not there
  }
  const status = size < 0 ? 404 : 200;
  process.stdout.write(`${req.method} ${path} ${status}\n`);
  if (size < 0) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { "Content-Length": size });
  if (req.method === "HEAD") res.end();
  else createReadStream(file).pipe(res);
}).listen(Number(port), address);
