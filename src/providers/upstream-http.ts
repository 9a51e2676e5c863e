/**
 * What every HTTP adapter shares: one keep-alive undici pool per provider (created on first use),
 * the connect / first-byte / idle deadlines from the provider's config, a JSON POST that starts an
 * `HttpCall`, reading a successful body (or turning an error status into an UpstreamError), and the
 * parameter contract — which OpenAI parameters an adapter maps, refuses, or drops with a report.
 */
import { createRequire } from 'node:module';
import type { Pool } from 'undici';
import type { ResolvedProvider } from '../config/types.js';
import type { CancelSignal } from '../lib/cancel.js';
import { HttpCall } from './http-call.js';
import type { ChatBody, ChatParameter, ParameterContract } from '../contract/chat-types.js';
import { invalidRequest } from '../contract/errors.js';
import { httpStatusError, malformedResponse } from './upstream-errors.js';

let PoolClass: typeof Pool | undefined;

/**
 * undici's Pool, loaded the first time a pool is needed: a start with no HTTP provider switched on
 * never reads undici. `agora serve` calls this once it listens, so the first request does not wait for it.
 */
export function loadTransport(): typeof Pool {
  return (PoolClass ??= (createRequire(import.meta.url)('undici') as typeof import('undici')).Pool);
}

export class UpstreamHttp {
  private pool: Pool | undefined;
  private readonly origin: string;
  /** The base URL's path, without a trailing slash (`/v1`, `/compatible-mode/v1` …). */
  readonly prefix: string;

  constructor(
    private readonly provider: ResolvedProvider,
    readonly headers: Record<string, string>,
  ) {
    const url = new URL(provider.baseUrl);
    this.origin = url.origin;
    this.prefix = url.pathname.replace(/\/+$/, '');
    for (const [name, value] of Object.entries(provider.headers)) this.headers[name.toLowerCase()] = value;
  }

  /** POSTs `body` (already JSON) to `prefix + path`. */
  post(path: string, body: string, signal: CancelSignal): HttpCall {
    const timeouts = this.provider.timeouts;
    this.pool ??= new (loadTransport())(this.origin, {
      connections: this.provider.maxConnections,
      keepAliveTimeout: 30_000,
      connect: { timeout: timeouts.connectMs },
      headersTimeout: timeouts.firstByteMs,
      bodyTimeout: timeouts.idleMs,
    });
    return new HttpCall({
      path: this.prefix + path,
      method: 'POST',
      headers: this.headers,
      body,
      signal,
      headersTimeout: timeouts.firstByteMs,
      bodyTimeout: timeouts.idleMs,
      providerName: this.provider.name,
    }).start(this.pool);
  }

  /** Throws the upstream's error for a status ≥ 300; otherwise returns. */
  async check(http: HttpCall): Promise<void> {
    const status = await http.response();
    if (status >= 300) throw httpStatusError(status, await http.text(1 << 20), this.provider.name, this.provider.secrets, retryAfter(http));
  }

  /** The whole successful body as text. */
  async body(http: HttpCall): Promise<string> {
    await this.check(http);
    const text = await http.text();
    if (text.length === 0) throw malformedResponse(this.provider.name, 'empty body');
    return text;
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    if (pool) await pool.destroy();
  }
}

function retryAfter(http: HttpCall): string | undefined {
  const value = http.responseHeaders['retry-after'];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The parameter contract of an adapter for one request: parameters it maps pass, a refused one
 * whose value matters is a 400 naming it (one whose value asks for nothing passes), and any other parameter (named in the contract as
 * dropped, or an extra the canonical request does not name) is left out and returned so the
 * response can name it (`x-agora-dropped-parameters`). Never a silent loss.
 */
export function droppedParameters(body: ChatBody, contract: ParameterContract, providerName: string): string[] {
  const dropped: string[] = [];
  for (const [key, value] of Object.entries(body)) {
    if (value === undefined || value === null) continue;
    const policy = Object.hasOwn(contract, key) ? contract[key as ChatParameter] : 'dropped';
    if (policy === 'mapped' || policy === 'gateway') continue;
    if (policy !== 'dropped') {
      // A value that asks for nothing the upstream lacks (`logprobs: false`, `n: 1`) changes nothing: neither refused nor reported.
      if (policy.refuseWhen(value)) throw invalidRequest(`'${key}' cannot be served by ${providerName}.`, key, 'unsupported_parameter');
      continue;
    }
    dropped.push(key);
  }
  return dropped;
}
