/**
 * API keys: `sk-agora-` + 43 base-62 characters (~256 bits). Only the SHA-256 of a key is stored;
 * a fast hash is right here because the keys are long random strings (no dictionary to guess),
 * as Stripe and OpenRouter do. The hint (`sk-agora-AbC…wxyz`) is what lists and logs show.
 */
import { hash, timingSafeEqual } from 'node:crypto';
import { randomBase62 } from './ids.js';

export const KEY_PREFIX = 'sk-agora-';

export function generateApiKey(): string {
  return KEY_PREFIX + randomBase62(43);
}

export function hashApiKey(key: string): string {
  return hash('sha256', key, 'hex'); // one-shot: no Hash object per request
}

export function keyHint(key: string): string {
  return `${key.slice(0, KEY_PREFIX.length + 3)}…${key.slice(-4)}`;
}

/** Constant-time comparison of two hex digests. */
export function sameHash(left: string, right: string): boolean {
  if (left.length !== right.length) return false;
  return timingSafeEqual(Buffer.from(left, 'hex'), Buffer.from(right, 'hex'));
}
