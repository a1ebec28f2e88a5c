import { chromium, type Browser } from "playwright-core";

/** Debian's Chromium, headless, with everything that would reach off the machine turned off. */
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** `executable` is /usr/bin/chromium or a wrapper that runs it (inside a namespace). */
export function launchChromium(executable = "/usr/bin/chromium"): Promise<Browser> {
  return chromium.launch({ executablePath: executable, args: ARGS });
}
