import { randomBytes } from 'node:crypto';

export interface Canary {
  readonly name: string;
  readonly value: string;
}

export interface Leak {
  canary: string;
  sink: string;
  encoding: string;
  where: string;
}

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** The shortest excerpt searched for: V8's JSON.parse errors quote 10-character windows. */
const WINDOW = 10;
const RUN = /[A-Za-z0-9+/_=-]{10,}/g;

/**
 * Finds canaries in any text: raw, URL-encoded, base64 and base64url (at every byte alignment),
 * hex, JSON-escaped, upper/lower case, and any 10-character substring. A canary is
 * `cny` + 24 base62 characters, unique per run and per vector, so a hit names its origin.
 */
export class LeakScanner {
  private readonly canaries = new Map<string, Canary>();
  private readonly needles = new Map<
    string,
    { canary: Canary; needle: string; encoding: string }[]
  >();
  readonly leaks: Leak[] = [];
  private scanned = 0;

  canary(name: string): string {
    let value = 'cny';
    while (value.length < 27) {
      for (const byte of randomBytes(32)) {
        if (byte < 248 && value.length < 27) value += ALPHABET[byte % 62];
      }
    }
    return this.register(name, value);
  }

  /** Watches for a value the test did not generate (a token signature, an API key). */
  register(name: string, value: string): string {
    const canary = { name, value };
    this.canaries.set(value, canary);
    this.index(canary);
    return value;
  }

  /** How many sink texts were searched (for the report of vectors x sinks). */
  get sinksScanned(): number {
    return this.scanned;
  }

  scan(sink: string, text: string, where: string): void {
    this.scanned++;
    const seen = new Set<string>();
    for (const candidate of LeakScanner.decodings(text)) {
      for (const hit of this.find(candidate.text)) {
        const encoding = candidate.decoded ?? hit.encoding;
        const key = `${hit.canary.name}|${sink}|${encoding}`;
        if (seen.has(key)) continue;
        seen.add(key);
        this.leaks.push({
          canary: hit.canary.name,
          sink,
          encoding,
          where,
        });
      }
    }
  }

  private find(text: string): { canary: Canary; encoding: string }[] {
    const out: { canary: Canary; encoding: string }[] = [];
    RUN.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = RUN.exec(text))) {
      const run = m[0];
      for (let i = 0; i + WINDOW <= run.length; i++) {
        const entries = this.needles.get(run.slice(i, i + WINDOW));
        if (!entries) continue;
        for (const e of entries) {
          if (run.startsWith(e.needle, i)) out.push({ canary: e.canary, encoding: e.encoding });
        }
      }
    }
    return out;
  }

  private index(canary: Canary): void {
    const v = canary.value;
    const add = (needle: string, encoding: string): void => {
      if (needle.length < WINDOW) return;
      const key = needle.slice(0, WINDOW);
      const list = this.needles.get(key) ?? [];
      list.push({ canary, needle, encoding });
      this.needles.set(key, list);
    };
    add(v, 'raw');
    add(v.toLowerCase(), 'lowercase');
    add(v.toUpperCase(), 'uppercase');
    for (let pad = 0; pad < 3; pad++) {
      let part = v.slice(pad);
      part = part.slice(0, part.length - (part.length % 3));
      const b64 = Buffer.from(part).toString('base64');
      add(b64, 'base64');
      add(b64.replace(/\+/g, '-').replace(/\//g, '_'), 'base64url');
    }
    const hex = Buffer.from(v).toString('hex');
    add(hex, 'hex');
    add(hex.toUpperCase(), 'hex');
    for (let i = 0; i + WINDOW <= v.length; i++) add(v.slice(i, i + WINDOW), 'substring');
  }

  private static decodings(text: string): { text: string; decoded?: string }[] {
    const out: { text: string; decoded?: string }[] = [{ text }];
    if (/%[0-9A-Fa-f]{2}/.test(text)) {
      out.push({
        text: text.replace(/%([0-9A-Fa-f]{2})/g, (_m, h: string) =>
          String.fromCharCode(parseInt(h, 16)),
        ),
        decoded: 'urlencoded',
      });
    }
    if (/\\u[0-9A-Fa-f]{4}|\\x[0-9A-Fa-f]{2}/.test(text)) {
      out.push({
        text: text.replace(
          /\\u([0-9A-Fa-f]{4})|\\x([0-9A-Fa-f]{2})/g,
          (_m, a?: string, b?: string) => String.fromCharCode(parseInt(a ?? b ?? '0', 16)),
        ),
        decoded: 'json-escaped',
      });
    }
    return out;
  }
}
