/**
 * Not a test: run by advertise.test.ts inside a network namespace as
 * `node advertiser-child.js --run ADDRESS HTTP_PORT`. Under `node --test` (no --run) it does
 * nothing. Prints "announced" once the announcements are out; SIGTERM closes (goodbye).
 */
import { startMdns } from "../../src/mdns/advertise.js";
import { defaultConfig } from "../../src/config/config.js";
import { createLogger } from "../../src/core/log.js";
import { serverContext } from "../support/context.js";

if (process.argv[2] === "--run") {
  const config = defaultConfig();
  config.address = process.argv[3] ?? "127.0.0.1";
  config.http.port = Number(process.argv[4] ?? "80");
  const svc = await startMdns(serverContext(config, { log: createLogger("mdns-child", "warn") }));
  await svc.announced;
  process.stdout.write(`announced ${svc.instanceName}\n`);
  process.on("SIGTERM", () => {
    void svc.close().then(() => {
      process.stdout.write("closed\n");
      process.exit(0);
    });
  });
}
