import { describe, expect, it } from 'vitest';
import { NO_SECRETS, Secrets, urlCredentials } from './secrets.js';

describe('Secrets', () => {
  const secrets = new Secrets(['CanaryKey0123456789', 'short', undefined, 'with"quote/and space']);

  it('masks every known secret, wherever it appears and however often', () => {
    expect(secrets.redact('a CanaryKey0123456789 b CanaryKey0123456789')).toBe('a [REDACTED] b [REDACTED]');
  });

  it('masks the spellings an echo may use: JSON-escaped and percent-encoded', () => {
    expect(secrets.redact(JSON.stringify({ header: 'with"quote/and space' }))).toBe('{"header":"[REDACTED]"}');
    expect(secrets.redact(`url?key=${encodeURIComponent('with"quote/and space')}`)).toBe('url?key=[REDACTED]');
  });

  it('leaves values too short to be secrets alone (they would garble ordinary text)', () => {
    expect(secrets.size).toBeGreaterThan(0);
    expect(secrets.redact('a short answer')).toBe('a short answer');
  });

  it('masks key-shaped tokens it was never told about, keeping their kind', () => {
    expect(NO_SECRETS.redact('Incorrect API key provided: sk-proj-abcdefghijklmnop')).toBe('Incorrect API key provided: sk-[REDACTED]');
    expect(NO_SECRETS.redact('key AIzaSyA1234567890abcdefgh')).toBe('key AIz[REDACTED]');
  });

  it('redacts before it truncates, so a secret across the cut leaves no prefix', () => {
    const text = `${'x'.repeat(490)}CanaryKey0123456789 and more`;
    const cut = secrets.redactAndTruncate(text, 500);
    expect(cut).not.toContain('CanaryKe');
    expect(cut).toBe(`${'x'.repeat(490)}[REDACTED]…`);
  });

  it('masks a longer secret whole when a shorter one is inside it', () => {
    const nested = new Secrets(['abcdef123', 'zzabcdef123zz']);
    expect(nested.redact('zzabcdef123zz')).toBe('[REDACTED]');
  });

  it('finds credentials in a URL', () => {
    expect(urlCredentials('https://user:p%40ss@host.example/v1')).toEqual(['user', 'p@ss']);
    expect(urlCredentials('https://host.example/v1')).toEqual([]);
    expect(urlCredentials('not a url')).toEqual([]);
  });
});
