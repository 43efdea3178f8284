/**
 * A configuration problem found at boot. The message names the variable and the rule it broke
 * and never carries the value: the value may be a secret, and boot errors reach container logs.
 */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}
