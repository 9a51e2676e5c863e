/**
 * One upstream HTTP call on an undici pool, through the low-level `dispatch` API: no per-call
 * stream or pipeline objects, real backpressure (the socket is paused while the consumer lags),
 * and cancellation from a CancelSignal. Adapters read the status first, then either the whole body or
 * its chunks.
 */
import type { Dispatcher, Pool } from 'undici';
import { UpstreamError } from '../contract/errors.js';
import type { CancelSignal } from '../lib/cancel.js';

export interface HttpCallOptions {
  path: string;
  method: 'POST' | 'GET';
  headers: Record<string, string>;
  body: string | undefined;
  signal: CancelSignal;
  /** First-byte deadline (request sent → response headers). */
  headersTimeout: number;
  /** Longest silence between body chunks. */
  bodyTimeout: number;
  /** Provider name for error messages. */
  providerName: string;
}

/** Bytes buffered before the upstream socket is paused. */
const HIGH_WATER_BYTES = 64 * 1024;
/** Largest error or non-streamed body read into memory. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** Thrown (as `cause`) when our own signal aborted the call: the client left or the attempt was cancelled. */
export class CallAbortedError extends Error {
  constructor() {
    super('call aborted');
    this.name = 'CallAbortedError';
  }
}

export class HttpCall implements Dispatcher.DispatchHandler {
  statusCode = 0;
  responseHeaders: Record<string, string | string[] | undefined> = {};
  private controller: Dispatcher.DispatchController | undefined;
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;
  private ended = false;
  /** `text()` is reading the whole body: keep every chunk, wake only at the end. */
  private collecting = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private headersResolve!: () => void;
  private headersReject!: (error: Error) => void;
  private readonly headersPromise: Promise<void>;
  private removeCancelListener: (() => void) | undefined;

  constructor(private readonly options: HttpCallOptions) {
    this.headersPromise = new Promise<void>((resolve, reject) => {
      this.headersResolve = resolve;
      this.headersReject = reject;
    });
    this.headersPromise.catch(() => undefined); // rejection is observed through response()
    this.removeCancelListener = options.signal.onCancel(() => this.abort(new CallAbortedError()));
  }

  /** Starts the call on `pool`. */
  start(pool: Pool): this {
    if (this.options.signal.aborted) {
      this.fail(new CallAbortedError());
      return this;
    }
    pool.dispatch(
      {
        path: this.options.path,
        method: this.options.method,
        headers: this.options.headers,
        body: this.options.body ?? null,
        headersTimeout: this.options.headersTimeout,
        bodyTimeout: this.options.bodyTimeout,
      },
      this,
    );
    return this;
  }

  /** Resolves when the status and headers arrived; throws an UpstreamError on transport failure. */
  async response(): Promise<number> {
    try {
      await this.headersPromise;
    } catch (error) {
      throw transportError(error, this.options.providerName);
    }
    return this.statusCode;
  }

  /** The whole body as text (error bodies, non-streamed answers); no per-chunk promises. */
  text(limit = MAX_BODY_BYTES): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const finish = (): void => {
        if (this.failure) {
          reject(transportError(this.failure, this.options.providerName));
          return;
        }
        if (this.bufferedBytes > limit) {
          this.abort(new Error('response too large'));
          reject(
            new UpstreamError(`${this.options.providerName} sent a response larger than ${limit} bytes.`, {
              status: 502,
              code: 'upstream_response_too_large',
            }),
          );
          return;
        }
        if (!this.ended) {
          if (this.controller?.paused) this.controller.resume(); // collecting whole: no backpressure
          this.wake = finish;
          return;
        }
        const chunks = this.chunks;
        this.chunks = [];
        resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'));
      };
      this.collecting = true;
      finish();
    });
  }

  /** Body chunks as they arrive, with backpressure. Breaking out of the loop aborts the call. */
  async *body(): AsyncGenerator<Buffer> {
    try {
      for (;;) {
        const chunk = this.chunks.shift();
        if (chunk !== undefined) {
          this.bufferedBytes -= chunk.length;
          if (this.controller?.paused && this.bufferedBytes < HIGH_WATER_BYTES / 2) this.controller.resume();
          yield chunk;
          continue;
        }
        if (this.failure) throw transportError(this.failure, this.options.providerName);
        if (this.ended) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      if (!this.ended && !this.failure) this.abort(new CallAbortedError());
    }
  }

  abort(reason: Error): void {
    if (this.ended || this.failure) return;
    if (this.controller) this.controller.abort(reason);
    else this.fail(reason);
  }

  // ---- undici DispatchHandler -------------------------------------------------------------
  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (statusCode < 200) return; // 1xx informational
    this.statusCode = statusCode;
    this.responseHeaders = headers;
    this.headersResolve();
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bufferedBytes += chunk.length;
    if (this.collecting) {
      if (this.bufferedBytes > MAX_BODY_BYTES) this.notify();
      return;
    }
    if (this.bufferedBytes >= HIGH_WATER_BYTES && !controller.paused) controller.pause();
    this.notify();
  }

  onResponseEnd(): void {
    this.ended = true;
    this.cleanup();
    this.notify();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.fail(error);
  }

  private fail(error: Error): void {
    if (this.failure || this.ended) return;
    this.failure = this.options.signal.aborted ? new CallAbortedError() : error;
    this.cleanup();
    this.headersReject(this.failure);
    this.notify();
  }

  private cleanup(): void {
    this.removeCancelListener?.();
    this.removeCancelListener = undefined;
  }

  private notify(): void {
    const wake = this.wake;
    if (wake) {
      this.wake = undefined;
      wake();
    }
  }
}

/** Maps a transport failure (undici or socket error) to a client-safe UpstreamError. */
export function transportError(error: unknown, providerName: string): UpstreamError {
  if (error instanceof UpstreamError) return error;
  if (error instanceof CallAbortedError) {
    return new UpstreamError('The request was cancelled.', { status: 499, code: 'client_closed_request', retryable: false, cause: error });
  }
  const code = (error as { code?: string }).code ?? '';
  const named = (status: number, errorCode: string, message: string): UpstreamError =>
    new UpstreamError(`${message} (provider ${providerName})`, {
      status,
      code: errorCode,
      cause: error,
      metadata: { provider_name: providerName },
    });
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return named(504, 'upstream_connect_timeout', 'Timed out connecting to the upstream provider');
    case 'UND_ERR_HEADERS_TIMEOUT':
      return named(504, 'upstream_timeout', 'The upstream provider did not answer in time');
    case 'UND_ERR_BODY_TIMEOUT':
      return named(504, 'upstream_idle_timeout', 'The upstream provider stopped sending data');
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return named(502, 'upstream_unreachable', `Could not connect to the upstream provider: ${code}`);
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return named(502, 'upstream_connection_reset', 'The upstream provider closed the connection');
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      return named(502, 'upstream_truncated', 'The upstream response was cut short');
    default:
      if (code.startsWith('HPE_')) return named(502, 'upstream_malformed_response', 'The upstream provider sent malformed HTTP');
      return named(502, 'upstream_error', `Upstream request failed${code ? `: ${code}` : ''}`);
  }
}
