/**
 * OpenAI's `encoding_format` for embeddings: `float` (arrays of numbers) or `base64` (the vector as
 * little-endian float32 bytes, what the openai SDK asks for by default and decodes). Several
 * OpenAI-compatible servers ignore the field and always answer floats (or always base64), so the
 * gateway gives the client the encoding it asked for, whatever the upstream sent.
 */

import type { EmbeddingItem } from './chat-types.js';

export type EmbeddingEncoding = 'float' | 'base64';

/** A float vector as OpenAI's base64: little-endian float32 bytes. */
export function floatsToBase64(values: readonly number[]): string {
  const bytes = Buffer.alloc(values.length * 4);
  for (let index = 0; index < values.length; index++) bytes.writeFloatLE(values[index]!, index * 4);
  return bytes.toString('base64');
}

/** OpenAI's base64 vector back to floats (float32 precision). */
export function base64ToFloats(text: string): number[] {
  const bytes = Buffer.from(text, 'base64');
  const values: number[] = new Array(Math.floor(bytes.length / 4));
  for (let index = 0; index < values.length; index++) values[index] = bytes.readFloatLE(index * 4);
  return values;
}

/** Rewrites each `data[i].embedding` in place into `wanted` (only the ones in the other encoding change). */
export function toEncoding(data: EmbeddingItem[], wanted: EmbeddingEncoding): void {
  for (const item of data) {
    // Upstream answers are read leniently: an item that is not an object is passed on as it came.
    if (typeof item !== 'object' || item === null) continue;
    if (wanted === 'base64' && Array.isArray(item.embedding)) item.embedding = floatsToBase64(item.embedding);
    else if (wanted === 'float' && typeof item.embedding === 'string') item.embedding = base64ToFloats(item.embedding);
  }
}
