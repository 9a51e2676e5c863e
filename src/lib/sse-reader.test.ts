import { describe, expect, it } from 'vitest';
import { SseReader, type SseEvent } from './sse-reader.js';

const STREAM = ': keep-alive\r\n\r\nevent: message\r\ndata: {"a":"你好 🌍"}\r\n\r\ndata: line one\ndata: line two\nid: 7\n\ndata: [DONE]\n\n';

function readAll(parts: Array<Buffer | string>): SseEvent[] {
  const reader = new SseReader();
  return parts.flatMap((part) => reader.push(part));
}

describe('SseReader', () => {
  const whole = readAll([Buffer.from(STREAM)]);

  it('parses comments, CRLF, multi-line data, ids and [DONE]', () => {
    expect(whole).toEqual([
      { event: 'message', data: '{"a":"你好 🌍"}' },
      { event: 'message', data: 'line one\nline two', id: '7' },
      { event: 'message', data: '[DONE]', id: '7' },
    ]);
  });

  it('gives the same events when the bytes arrive split at every position (multi-byte characters and \\r\\n included)', () => {
    const bytes = Buffer.from(STREAM);
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(readAll([bytes.subarray(0, cut), bytes.subarray(cut)]), `cut at byte ${cut}`).toEqual(whole);
    }
    expect(readAll([...bytes].map((byte) => Buffer.from([byte])))).toEqual(whole);
  });

  it('accepts lone \\r line ends, a leading BOM, and "data:" without a space', () => {
    expect(readAll(['\uFEFFdata:x\r\rdata: y\r\r'])).toEqual([{ event: 'message', data: 'x' }, { event: 'message', data: 'y' }]);
  });

  it('reports an event cut off before its blank line', () => {
    const reader = new SseReader();
    expect(reader.push('data: {"partial":')).toEqual([]);
    expect(reader.hasPartialEvent).toBe(true);
    const complete = new SseReader();
    complete.push('data: 1\n\n');
    expect(complete.hasPartialEvent).toBe(false);
  });
});
