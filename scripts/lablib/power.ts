// The lab's stand-in for `landscaper machines power` until phase 2 wires BMCs into the
// registry: Landscaper's own driver (src/power) run from Landscaper's namespace.
//   node dist/scripts/lablib/power.js BMC_JSON_FILE MACHINE status|on|off|cycle|pxe-once|arm|ensure-on
import { readFileSync } from "node:fs";
import { parseBmc } from "../../src/power/bmc.js";
import { Power, POWER_ACTIONS, PowerError, type PowerAction } from "../../src/power/power.js";

const [file, machine, action] = process.argv.slice(2);
if (!file || !machine || !POWER_ACTIONS.includes(action as PowerAction)) {
  console.error(`usage: power BMC_JSON_FILE MACHINE ${POWER_ACTIONS.join("|")}`);
  process.exit(2);
}
const bmc = parseBmc(JSON.parse(readFileSync(file, "utf8")));
try {
  const out = await new Power().perform({ machine, bmc }, action as PowerAction);
  console.log(JSON.stringify(out));
} catch (err) {
  console.error(err instanceof PowerError ? `${err.kind}: ${err.message}` : String(err));
  process.exit(1);
}
