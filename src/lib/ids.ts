/**
 * Identifiers. Generation ids are time-ordered (base-36 milliseconds first) so that the
 * generations table and its exports sort by time without an extra index.
 */
import { randomBytes, randomUUID } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Random per process, so ids from several gateways never collide. */
const PROCESS_TAG = randomUUID().replace(/-/g, '').slice(0, 10);
let sequence = 0;

/** `gen-<time><process><sequence>`: time-ordered, unique across processes, no randomness per call. */
export function newGenerationId(now = Date.now()): string {
  sequence = (sequence + 1) % 46_656; // 36^3
  return `gen-${now.toString(36).padStart(9, '0')}${PROCESS_TAG}${sequence.toString(36).padStart(3, '0')}`;
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
