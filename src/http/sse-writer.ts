/**
 * Server-sent events: the frame formats (`data:` and `event:` frames, the only place that spells
 * them; the surfaces' encoders build their streams from `dataFrame` and `eventFrame`) and the one
 * writer of frames to a response. Frames written in one tick are joined into one string and written
 * once when the tick ends, so the chunks parsed from one upstream read leave in one socket write as
 * one HTTP chunk (writing them one by one to a corked response cost a `write()` call, a chunk-size
 * line and three iovecs each: 20 frames, 60 buffers for the kernel); with `firstAtOnce` the first
 * frame leaves at once instead (time to first token when nothing else is being served); with
 * `holdForTail` a complete stream's last frames wait for the write that ends it; `write()` reports
 * backpressure.
 */

/** One `data:` frame carrying `payload` as JSON (or a bare marker such as `[DONE]`). */
export function dataFrame(payload: unknown): string {
  return `data: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}\n\n`;
}

/** One named event frame (`event: NAME` then its `data:` line), as Anthropic's streams use. */
export function eventFrame(name: string, payload: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`;
}
import type { ServerResponse } from 'node:http';
import { sendWrittenNow } from './respond.js';

export class SseWriter {
  /** Frames written this tick, not yet handed to the response. */
  private pending = '';
  private scheduled = false;
  private started: boolean;
  /** Frames of the body (not only the headers) have been handed to the response. */
  private wrote = false;
  /** The body is complete: what is written now waits for `end()` (see `holdForTail`). */
  private holding = false;
  private readonly release = (): void => {
    this.scheduled = false;
    if (!this.holding) this.writePending();
  };

  /** When set, every frame written is also kept here (for Idempotency-Key replays). */
  capture: string[] | undefined;

  /**
   * `firstAtOnce`: the first frame is written with the headers at once instead of with the rest of
   * its tick — ~80 µs sooner at one connection with 20 chunks read at once, but one socket write
   * more per stream, which under load costs more than it saves.
   */
  constructor(
    private readonly response: ServerResponse,
    firstAtOnce = true,
  ) {
    this.started = !firstAtOnce;
  }

  /** Sends the status line and SSE headers. */
  open(headers: Record<string, string>): void {
    this.response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      ...headers,
    });
  }

  /** Writes encoded SSE frames; false means the client is not keeping up (await `drained()`). */
  write(frames: string): boolean {
    return frames === '' ? true : this.raw(frames);
  }

  /** Writes one `data:` event with `payload` as JSON. */
  data(payload: unknown): boolean {
    return this.raw(dataFrame(payload));
  }

  /** Ends the response, with the frames of this tick as its last chunk. */
  end(): void {
    const text = this.pending;
    this.pending = '';
    if (text === '') this.response.end();
    else this.response.end(text);
  }

  /**
   * The stream is complete but for its tail (the usage chunk and terminator), which waits for the
   * charge's commit: the frames of this tick wait with it and leave in the same socket write as the
   * end, one write and one wake-up of the client less per stream — unless no frame has left yet.
   * Then they go now (at once with `now`, else when the tick ends), before the commit: the first
   * byte never waits on the database.
   */
  holdForTail(now: boolean): void {
    if (this.wrote) this.holding = true;
    else if (now) this.flush();
  }

  /** Sends what is written now instead of at the next tick. */
  flush(): void {
    this.writePending();
    sendWrittenNow(this.response);
  }

  comment(text: string): boolean {
    return this.raw(`: ${text}\n\n`);
  }

  /** Resolves when the socket drained, or when the client went away (then `closed` is true). */
  drained(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = (): void => {
        this.response.off('drain', finish);
        this.response.off('close', finish);
        resolve();
      };
      this.response.on('drain', finish);
      this.response.on('close', finish);
    });
  }

  get closed(): boolean {
    return this.response.destroyed || this.response.writableEnded;
  }

  private raw(text: string): boolean {
    if (this.closed) return false;
    this.capture?.push(text);
    if (!this.started) {
      // The first frame leaves now, with the status line and headers: a plain write would wait in
      // node's own cork until the next tick, after every frame parsed from the same upstream read.
      this.started = true;
      this.wrote = true;
      const ok = this.response.write(text);
      sendWrittenNow(this.response);
      return ok;
    }
    this.pending += text;
    if (!this.scheduled && !this.holding) {
      this.scheduled = true;
      process.nextTick(this.release);
    }
    // Backpressure as the response last reported it: its 'drain' comes only after a write it refused.
    return !this.response.writableNeedDrain;
  }

  private writePending(): void {
    const text = this.pending;
    if (text === '') return;
    this.pending = '';
    if (this.closed) return;
    this.wrote = true;
    this.response.write(text);
  }
}
