import { StateStore } from "/work/wt/journal/dist/src/registry/store.js";
import { pino } from "/work/wt/journal/node_modules/pino/pino.js";
const t0 = performance.now();
const s = new StateStore(process.argv[2], () => [], pino({ level: "silent" }));
const ms = await s.load();
const t1 = performance.now();
globalThis.gc?.();
console.log(ms.length, "load ms", Math.round(t1 - t0), "rss MiB", (process.memoryUsage().rss / 2**20).toFixed(1), "heapUsed", (process.memoryUsage().heapUsed / 2**20).toFixed(1));
