/**
 * An incremental, spec-correct Server-Sent Events parser (WHATWG HTML §9.2.6).
 *
 * Bytes go in as they arrive from the socket; complete events come out. It handles `\n`, `\r\n` and
 * `\r` line ends (also when a `\r\n` pair is split across reads), multi-byte UTF-8 characters split
 * across reads, comment lines (`: keep-alive`), multi-line `data:` fields and a leading BOM.
 *
 * @example
 * const reader = new SseReader();
 * for (const event of reader.push(chunk)) console.log(event.event, event.data);
 * reader.end(); // flushes nothing: an event without its blank line is discarded, as the spec says
 */
import { StringDecoder } from 'node:string_decoder';

export interface SseEvent {
  /** The `event:` field, or `message` when absent. */
  event: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
  /** The `id:` field, when present. */
  id?: string;
}

export class SseReader {
  private readonly decoder = new StringDecoder('utf8');
  private buffer = '';
  private sawCarriageReturn = false;
  private firstLine = true;
  private dataLines: string[] = [];
  private eventName = '';
  private eventId: string | undefined;

  /** Feeds bytes (or text) and returns the events completed by them, in order. */
  push(chunk: Buffer | string): SseEvent[] {
    let text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    // An empty read (or the first bytes of a split character) completes nothing, and must not forget
    // a pending `\r` whose `\n` is still to come.
    if (text.length === 0) return [];
    if (this.sawCarriageReturn && text.startsWith('\n')) text = text.slice(1);
    this.sawCarriageReturn = false;
    const events: SseEvent[] = [];
    let start = 0;
    const full = this.buffer.length > 0 ? this.buffer + text : text;
    if (full.indexOf('\r') === -1) {
      // The common case, `\n` line ends only: find them natively instead of testing every character.
      for (let index = full.indexOf('\n'); index !== -1; index = full.indexOf('\n', start)) {
        this.processLine(full.slice(start, index), events);
        start = index + 1;
      }
    } else {
      for (let index = 0; index < full.length; index++) {
        const code = full.charCodeAt(index);
        if (code !== 10 && code !== 13) continue;
        this.processLine(full.slice(start, index), events);
        if (code === 13) {
          if (index + 1 < full.length) {
            if (full.charCodeAt(index + 1) === 10) index++;
          } else {
            this.sawCarriageReturn = true;
          }
        }
        start = index + 1;
      }
    }
    this.buffer = start < full.length ? full.slice(start) : '';
    return events;
  }

  /** Whether bytes of an unfinished event are pending (a stream that ends here was cut off mid-event). */
  get hasPartialEvent(): boolean {
    return this.buffer.length > 0 || this.dataLines.length > 0;
  }

  private processLine(line: string, events: SseEvent[]): void {
    if (this.firstLine) {
      this.firstLine = false;
      if (line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    }
    if (line.length === 0) {
      if (this.dataLines.length > 0) {
        const lines = this.dataLines;
        const event: SseEvent = { event: this.eventName || 'message', data: lines.length === 1 ? lines[0]! : lines.join('\n') };
        if (this.eventId !== undefined) event.id = this.eventId;
        events.push(event);
      }
      this.dataLines = [];
      this.eventName = '';
      return;
    }
    if (line.startsWith('data: ')) {
      this.dataLines.push(line.slice(6)); // the usual field, spelled the usual way
      return;
    }
    if (line.charCodeAt(0) === 58 /* ':' comment */) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    switch (field) {
      case 'data':
        this.dataLines.push(value);
        break;
      case 'event':
        this.eventName = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.eventId = value;
        break;
      default:
        break; // `retry` and unknown fields are ignored by a proxy
    }
  }
}
