import { readFileSync } from 'node:fs';

export type RawEnv = Record<string, string | undefined>;

/**
 * Variables that hold secrets. Each also accepts NAME_FILE, ends up as a Secret and is kept out
 * of the schema (src/kit/config/env.schema.ts), which sees only values safe to parse and type.
 */
export const SECRET_VARIABLES = [
  'JWT_SECRET',
  'JWT_PUBLIC_KEY',
  'API_KEY_PEPPER',
  /** Retired peppers, comma-separated: they still verify old keys, never sign new ones. */
  'API_KEY_PEPPER_PREVIOUS',
  'DOWNSTREAM_API_KEY',
] as const;
export type SecretVariable = (typeof SECRET_VARIABLES)[number];
export type SecretValues = Partial<Record<SecretVariable, string>>;

/**
 * Connection URLs that can carry a password: they too accept NAME_FILE, are scrubbed from the
 * environment, and the password in them is a configured secret. Their values go through the
 * schema like any other variable.
 */
export const URL_VARIABLES = ['DATABASE_URL', 'REDIS_URL'] as const;

const FILE_VARIABLES = [...SECRET_VARIABLES, ...URL_VARIABLES];

/** The shortest secret accepted: RFC 7518 §3.2 (an HS256 key has at least 256 bits). */
export const MIN_SECRET_BYTES = 32;
const PLACEHOLDER = /change.?me|placeholder|example|dummy|your[-_]?secret|^secret$|^password$/i;

/**
 * Reads every secret and connection URL from NAME or NAME_FILE (Docker and Kubernetes secrets),
 * never both. One rule for every file: the content is the value, less one trailing newline
 * (`\n` or `\r\n`), because secret files are usually written with one; any other whitespace is
 * part of the value. An empty value is refused. Returns the environment with each NAME_FILE
 * resolved into NAME, and the secret values, which the schema never sees.
 */
export function readSecrets(
  input: RawEnv,
  problems: string[],
): { env: RawEnv; secrets: SecretValues } {
  const env: RawEnv = { ...input };
  for (const name of FILE_VARIABLES) {
    const fileVariable = `${name}_FILE`;
    const file = input[fileVariable];
    Reflect.deleteProperty(env, fileVariable);
    if (file === undefined) continue;
    if (input[name] !== undefined) {
      problems.push(`${name}, ${fileVariable}: set one of them, not both`);
      continue;
    }
    try {
      env[name] = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch {
      problems.push(`${fileVariable}: the file cannot be read`);
    }
  }
  const secrets: SecretValues = {};
  for (const name of FILE_VARIABLES) {
    if (env[name] !== '') continue;
    problems.push(`${name}: must not be empty`);
    Reflect.deleteProperty(env, name);
  }
  for (const name of SECRET_VARIABLES) {
    secrets[name] = env[name];
    Reflect.deleteProperty(env, name);
  }
  return { env, secrets };
}

/**
 * Removes every secret-bearing variable, and its NAME_FILE path, from the environment once the
 * configuration holds it. Security: a handler, a dependency or a child process that reads or
 * dumps `process.env` (an error reporter, a debug endpoint, a tool-using LLM fed a crafted
 * prompt) finds no secret there; the values live only in Secret objects.
 */
export function scrub(env: NodeJS.ProcessEnv): void {
  for (const name of FILE_VARIABLES) {
    Reflect.deleteProperty(env, name);
    Reflect.deleteProperty(env, `${name}_FILE`);
  }
}

/**
 * Security: a secret given as a plain variable stays in the environment block the process was
 * started with, which the kernel shows in /proc/<pid>/environ (to the same user and to root)
 * for the life of the process; deleting it from `process.env` (scrub) cannot change that block.
 * NAME_FILE puts only a path there. JWT_PUBLIC_KEY is not a secret, and a database or Redis URL
 * is one only when it carries a password. Outside production there is no warning.
 */
export function plainSecretWarnings(input: RawEnv): string[] {
  const names: string[] = SECRET_VARIABLES.filter(
    (name) => name !== 'JWT_PUBLIC_KEY' && input[name] !== undefined,
  );
  for (const name of URL_VARIABLES) {
    if (urlPassword(input[name])) names.push(name);
  }
  return names.map(
    (name) =>
      `${name} is a plain environment variable: its value stays readable in /proc/<pid>/environ; give it as ${name}_FILE`,
  );
}

/**
 * The password in a connection URL, if it has one; a file path or `:memory:` has none. Leading
 * spaces and control characters are allowed before the scheme because the URL parser drops them
 * (WHATWG URL), so such a URL still connects and its password must still be known.
 */
export function urlPassword(value: string | undefined): string | undefined {
  if (!value) return undefined;
  let start = 0;
  while (start < value.length && value.charCodeAt(start) <= 0x20) start++;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value.slice(start))) return undefined;
  try {
    const password = decodeURIComponent(new URL(value).password);
    return password.length > 0 ? password : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Production refuses a secret that is short, a placeholder or of too few distinct characters.
 * Outside production any value goes, so local setups need no generated secrets.
 */
export function checkStrength(
  name: string,
  value: string,
  production: boolean,
  problems: string[],
): void {
  if (!production) return;
  const weak =
    Buffer.byteLength(value) < MIN_SECRET_BYTES ||
    PLACEHOLDER.test(value) ||
    new Set(value).size < 12;
  if (weak) problems.push(`${name}: too weak or a placeholder (production needs 32+ random bytes)`);
}
