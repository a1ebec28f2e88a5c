/**
 * The server-mode start-up probe alone, for the namespace test:
 *   ip netns exec NS node dist/scripts/dhcp/guard-node.js '{"address":"10.77.0.2","seconds":2}'
 * Prints {"others": [...]} (the DHCP servers other than `address` that answered).
 */
import { findOtherServers } from "../../src/dhcpd/guard.js";

const a = JSON.parse(process.argv[2] ?? "{}") as { address: string; seconds?: number };
const others = await findOtherServers(a.address, a.seconds ?? 2);
process.stdout.write(JSON.stringify({ others }) + "\n");
