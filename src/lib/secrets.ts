/**
 * Every secret value the configuration knows (provider API keys, credential header values, values
 * read from the environment through `${VAR}`), and the one function that removes them from a text
 * before it is logged, stored or returned. Upstreams are untrusted: an error body may echo the
 * headers it received (Azure's `api-key`, an `x-org-secret`), so every upstream text passes here,
 * whole, before it is cut to length — redact, then truncate.
 */

const MASK = '[REDACTED]';
/** Shorter values (`true`, `2023-06-01`-like versions are kept out by name) would garble ordinary text. */
const MIN_LENGTH = 6;
/** Provider key-like tokens an upstream may echo even when they are not ours (`sk-…`, Google's `AIza…`). */
const KEY_LIKE = /\b(sk|pk|rk|key|AIza)[-_A-Za-z0-9]{12,}/g;

/** Header names whose values are public protocol settings, not credentials. */
export const PUBLIC_HEADERS = new Set([
  'content-type',
  'accept',
  'accept-encoding',
  'user-agent',
  'anthropic-version',
  'anthropic-beta',
  'openai-beta',
  'http-referer',
  'x-title',
  'api-version',
]);

export class Secrets {
  private patterns: string[] = [];

  constructor(values: Iterable<string | undefined> = []) {
    for (const value of values) this.add(value);
  }

  /** Adds a secret (and the spellings an echo may use: JSON-escaped, percent-encoded). */
  add(value: string | undefined): void {
    if (value === undefined) return;
    const trimmed = value.trim();
    if (trimmed.length < MIN_LENGTH) return;
    for (const spelling of new Set([trimmed, JSON.stringify(trimmed).slice(1, -1), encodeURIComponent(trimmed)])) {
      if (!this.patterns.includes(spelling)) this.patterns.push(spelling);
    }
    // Longest first, so a secret that contains another is masked whole.
    this.patterns.sort((left, right) => right.length - left.length);
  }

  get size(): number {
    return this.patterns.length;
  }

  /** `text` with every known secret, and anything shaped like a provider key, masked. */
  redact(text: string): string {
    let out = text;
    for (const pattern of this.patterns) if (out.includes(pattern)) out = out.split(pattern).join(MASK);
    return out.replace(KEY_LIKE, (match) => `${match.slice(0, 3)}${MASK}`);
  }

  /** Redacts, then cuts to `limit` characters: a secret straddling the cut cannot survive as a prefix. */
  redactAndTruncate(text: string, limit: number): string {
    const clean = this.redact(text);
    return clean.length > limit ? `${clean.slice(0, limit)}…` : clean;
  }
}

/** No configured secret: still masks key-shaped tokens. */
export const NO_SECRETS = new Secrets();

/** The credential part of a URL (`https://user:pass@host`), if any. */
export function urlCredentials(url: string): string[] {
  try {
    const parsed = new URL(url);
    return [parsed.username, parsed.password].filter((part) => part !== '').map((part) => decodeURIComponent(part));
  } catch {
    return [];
  }
}
