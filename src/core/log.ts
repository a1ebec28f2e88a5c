import { pino, type Logger } from "pino";

export type { Logger };

/**
 * JSON logs on stderr (stdout stays clean for CLI output and the provider protocol);
 * readable when stderr is a terminal.
 */
export function createLogger(
  name: string,
  level = process.env.LANDSCAPER_LOG_LEVEL ?? "info",
): Logger {
  if (process.stderr.isTTY) {
    return pino({
      name,
      level,
      transport: { target: "pino-pretty", options: { destination: 2, colorize: true } },
    });
  }
  return pino({ name, level }, pino.destination({ fd: 2, sync: true }));
}
