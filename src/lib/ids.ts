/**
 * Identifiers. Generation ids are time-ordered (base-36 milliseconds first) so that the
 * generations table and its exports sort by time without an extra index.
 */
import { randomBytes, randomUUID } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** `gen-<time><random>`, 28 characters, unique across processes. */
export function newGenerationId(now = Date.now()): string {
  return `gen-${now.toString(36).padStart(9, '0')}${randomUUID().replace(/-/g, '').slice(0, 15)}`;
}

/** A random base-62 string of `length` characters (rejection sampling, no modulo bias). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += ALPHABET[byte % 62];
    }
  }
  return out;
}
