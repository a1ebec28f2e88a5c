/**
 * A transfer thread: runs the transfers the server's pool hands it, so that block pumping
 * uses every core and never delays the main thread's DHCP and HTTP answers. Speaks the
 * messages in pool.ts.
 */
import { parentPort } from "node:worker_threads";
import type { FromWorker, ToWorker } from "./pool.js";
import { TransferRunner } from "./runner.js";

const port = parentPort;
if (!port) throw new Error("tftp/worker.js runs as a worker thread only");

const post = (m: FromWorker) => port.postMessage(m);
const runner = new TransferRunner({
  done: (id, result) => post({ type: "done", id, result }),
  malformed: (id, reason) => post({ type: "malformed", id, reason }),
  acked: (id) => post({ type: "acked", id }),
  failed: (id, stack) => post({ type: "failed", id, stack }),
  fdFree: (id) => post({ type: "fdFree", id }),
});

port.on("message", (m: ToWorker) => {
  switch (m.type) {
    case "start":
      return runner.start(m.spec);
    case "abort":
      return runner.abort(m.id, m.reason);
    case "close":
      runner.abortAll(m.reason);
      // Let the error packets' send callbacks run before the pool ends the thread.
      setImmediate(() => post({ type: "closed" }));
      return;
  }
});
