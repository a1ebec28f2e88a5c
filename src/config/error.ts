/** A configuration value that is wrong; the message names its key. */
export class ConfigError extends Error {
  override name = "ConfigError";
}
