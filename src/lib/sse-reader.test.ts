import { describe, expect, it } from 'vitest';
import { SseReader, type SseEvent } from './sse-reader.js';

/** Feeds every chunk to one reader and returns all events, plus whether a partial event is left. */
function readAll(chunks: Array<Buffer | string>): { events: SseEvent[]; partial: boolean } {
  const reader = new SseReader();
  const events: SseEvent[] = [];
  for (const chunk of chunks) events.push(...reader.push(chunk));
  return { events, partial: reader.hasPartialEvent };
}

/** The same bytes cut into two reads at `at`. */
function splitAt(bytes: Buffer, at: number): Buffer[] {
  return [bytes.subarray(0, at), bytes.subarray(at)];
}

/** The same bytes delivered one byte per read. */
function byteByByte(bytes: Buffer): Buffer[] {
  return [...bytes].map((byte) => Buffer.from([byte]));
}

const STREAM = Buffer.from(
  '\uFEFF: keep-alive\r\n' +
    'event: delta\r\n' +
    'id: 41\r\n' +
    'data: {"text":"你好 🌍"}\r\n' +
    '\r\n' +
    'data: first line\n' +
    'data: second line\n' +
    '\n' +
    'id: 42\r' +
    'data: lone-cr\r' +
    '\r' +
    'data: [DONE]\n\n',
  'utf8',
);

const EXPECTED: SseEvent[] = [
  { event: 'delta', id: '41', data: '{"text":"你好 🌍"}' },
  { event: 'message', id: '41', data: 'first line\nsecond line' },
  { event: 'message', id: '42', data: 'lone-cr' },
  { event: 'message', id: '42', data: '[DONE]' },
];

describe('SseReader', () => {
  it('parses a stream with BOM, comments, event/id fields, multi-line data and mixed line ends', () => {
    const { events, partial } = readAll([STREAM]);
    expect(events).toEqual(EXPECTED);
    expect(partial).toBe(false);
  });

  it('gives the same events whichever byte boundary the stream is split at', () => {
    for (let at = 0; at <= STREAM.length; at++) {
      const { events, partial } = readAll(splitAt(STREAM, at));
      expect(events, `split at byte ${at}`).toEqual(EXPECTED);
      expect(partial, `split at byte ${at}`).toBe(false);
    }
  });

  it('gives the same events when every byte arrives in its own read', () => {
    expect(readAll(byteByByte(STREAM)).events).toEqual(EXPECTED);
  });

  it('treats a \\r\\n pair split across two reads as one line end (no spurious blank line)', () => {
    // If the `\n` after a split `\r` were read as a blank line, the event would be dispatched
    // after its first data line and the second line would become an event of its own.
    const { events } = readAll(['data: one\r', '\ndata: two\r', '\n\r', '\n']);
    expect(events).toEqual([{ event: 'message', data: 'one\ntwo' }]);
  });

  it('keeps a split \\r\\n one line end even when an empty read comes between the halves', () => {
    const { events } = readAll([Buffer.from('data: one\r'), Buffer.alloc(0), Buffer.from('\ndata: two\r\n\r\n')]);
    expect(events).toEqual([{ event: 'message', data: 'one\ntwo' }]);
  });

  it('accepts a lone \\r as a line end', () => {
    const { events } = readAll(['data: a\rdata: b\r\rdata: c\r\r']);
    expect(events).toEqual([
      { event: 'message', data: 'a\nb' },
      { event: 'message', data: 'c' },
    ]);
  });

  it('decodes a multi-byte UTF-8 character split across reads at every byte', () => {
    for (const text of ['你好', '🌍', 'é']) {
      const bytes = Buffer.from(`data: ${text}\n\n`, 'utf8');
      const characterStart = Buffer.byteLength('data: ');
      for (let at = characterStart + 1; at < characterStart + Buffer.byteLength(text); at++) {
        const { events } = readAll(splitAt(bytes, at));
        expect(events, `${text} split at byte ${at}`).toEqual([{ event: 'message', data: text }]);
      }
      expect(readAll(byteByByte(bytes)).events).toEqual([{ event: 'message', data: text }]);
    }
  });

  it('ignores comment lines, also between data lines', () => {
    const { events } = readAll([': ping\n\ndata: a\n: in between\ndata: b\n\n:\n\n']);
    expect(events).toEqual([{ event: 'message', data: 'a\nb' }]);
  });

  it('joins multi-line data with \\n and keeps empty data lines', () => {
    const { events } = readAll(['data: {\ndata:   "indented": 1\ndata:\ndata: }\n\n']);
    expect(events).toEqual([{ event: 'message', data: '{\n  "indented": 1\n\n}' }]);
  });

  it('strips exactly one space after the colon, and none when there is none', () => {
    const { events } = readAll(['data:no-space\n\ndata:  two-spaces\n\n']);
    expect(events.map((event) => event.data)).toEqual(['no-space', ' two-spaces']);
  });

  it('reads event: and id: fields; the event name resets per event, the id persists', () => {
    const { events } = readAll(['event: error\nid: 7\ndata: x\n\ndata: y\n\nid:\ndata: z\n\n']);
    expect(events).toEqual([
      { event: 'error', id: '7', data: 'x' },
      { event: 'message', id: '7', data: 'y' },
      { event: 'message', id: '', data: 'z' },
    ]);
  });

  it('dispatches nothing for an event without data lines', () => {
    const { events, partial } = readAll(['event: ping\n\nretry: 1000\n\n']);
    expect(events).toEqual([]);
    expect(partial).toBe(false);
  });

  it('strips a leading BOM, also when the BOM bytes arrive one at a time, but only at the start', () => {
    const bytes = Buffer.from('\uFEFFdata: a\n\n', 'utf8');
    expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(readAll(byteByByte(bytes)).events).toEqual([{ event: 'message', data: 'a' }]);
    // A BOM later in the stream is not a BOM: the line's field name is then "\uFEFFdata", which is ignored.
    expect(readAll(['data: a\n\n\uFEFFdata: b\n\n']).events).toEqual([{ event: 'message', data: 'a' }]);
  });

  describe('hasPartialEvent', () => {
    it('is false after complete events', () => {
      expect(readAll(['data: a\n\n']).partial).toBe(false);
    });

    it('is true after a data line without its blank line, and that event is never emitted', () => {
      const { events, partial } = readAll(['data: a\n\ndata: {"cut":']);
      expect(events).toEqual([{ event: 'message', data: 'a' }]);
      expect(partial).toBe(true);
    });

    it('is true after a complete data line whose terminating blank line never came', () => {
      const { events, partial } = readAll(['data: a\n\ndata: b\n']);
      expect(events).toEqual([{ event: 'message', data: 'a' }]);
      expect(partial).toBe(true);
    });

    it('turns false again once the cut-off event is completed by a later read', () => {
      const reader = new SseReader();
      expect(reader.push('data: par')).toEqual([]);
      expect(reader.hasPartialEvent).toBe(true);
      expect(reader.push('tial\n\n')).toEqual([{ event: 'message', data: 'partial' }]);
      expect(reader.hasPartialEvent).toBe(false);
    });
  });
});
