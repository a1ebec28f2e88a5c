import { readFileSync } from "node:fs";

/**
 * The package version, read once from package.json: it sits three levels above this
 * file both in the repository (dist/src/core/) and in the Nix package (lib/landscaper/).
 */
export function packageVersion(): string {
  try {
    const url = new URL("../../../package.json", import.meta.url);
    const pkg = JSON.parse(readFileSync(url, "utf8")) as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : "unknown";
  } catch {
    return "unknown";
  }
}
