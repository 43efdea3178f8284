import { inspect } from 'node:util';

const REDACTED = '[REDACTED]';

/**
 * A configured secret. Every accidental way of turning it into text (string concatenation,
 * template literals, JSON.stringify, util.inspect, console.log, pino) prints `[REDACTED]`;
 * the raw value is reachable only through `reveal()`, so each use is deliberate and greppable.
 * Security: ASVS 13.3.1, OWASP Logging Cheat Sheet "data to exclude".
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
