import { z } from 'zod';
import type { SecretValues } from './secret-source';

/**
 * Value shapes the feature schemas share. Every variable arrives as a string.
 *
 * Security: zod issues carry no input value unless asked (`reportInput`), so a message built
 * from them names the variable and the rule only.
 */

/** A comma-separated list; blanks around and between entries are dropped. */
export const list = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0),
);

export const bool = z.enum(['true', 'false', '1', '0']).transform((s) => s === 'true' || s === '1');

/** What a feature's `parse` needs beyond its own variables. */
export interface ParseContext {
  production: boolean;
  /** The secret variables, read by readSecrets (src/kit/config/secret-source.ts). */
  secrets: SecretValues;
  /** Problems found so far; a parser appends its own, naming the variable and the rule. */
  problems: string[];
  /**
   * Where the development key material is kept (DEV_KEYS_DIR). Parsing only names it; the
   * DevKeyMaterial provider (src/kit/auth/dev-key-material.ts) reads or creates the files.
   */
  devKeysDir: string;
}
