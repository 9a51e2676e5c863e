import { describe, expect, it } from 'vitest';
import { findDepthViolation, MAX_JSON_DEPTH } from './json-depth.js';

const nested = (depth: number, key = 'a'): string => `${`{"${key}":`.repeat(depth)}1${'}'.repeat(depth)}`;

describe('findDepthViolation', () => {
  it('accepts nesting up to the limit and refuses one level more', () => {
    expect(findDepthViolation(Buffer.from(nested(MAX_JSON_DEPTH)))).toBeUndefined();
    expect(findDepthViolation(Buffer.from(nested(MAX_JSON_DEPTH + 1)))).toEqual({ path: 'a.a.a.a.a.a…', field: 'a' });
  });

  it('names the top-level field and the path, through arrays', () => {
    const body = `{"model":"x","messages":[{"role":"user","content":"hi"},{"content":[${'['.repeat(70)}${']'.repeat(70)}]}]}`;
    expect(findDepthViolation(Buffer.from(body))).toEqual({ path: 'messages[1].content[0][0][0]…', field: 'messages' });
  });

  it('ignores brackets, quotes and escapes inside strings', () => {
    const body = JSON.stringify({ text: `${'{['.repeat(500)} \\" \\\\ "` });
    expect(findDepthViolation(Buffer.from(body))).toBeUndefined();
  });

  it('scans 10,000 levels without recursion', () => {
    expect(findDepthViolation(Buffer.from(nested(10_000, 'metadata')))?.field).toBe('metadata');
    expect(findDepthViolation(Buffer.from(`[${'['.repeat(10_000)}`))?.field).toBeNull();
  });
});
