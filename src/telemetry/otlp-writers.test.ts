/**
 * The two OTLP encodings of the same spans: the binary export, decoded by protobufjs (an independent
 * implementation of the wire format), carries exactly what the JSON export carries — long strings
 * (whose length needs a second or third byte, one past the writer's first buffer), non-ASCII text, negative integers, doubles, lists, cached
 * attribute runs and error statuses included.
 */
import { describe, expect, it } from 'vitest';
import { decodeTraceExport } from '../../test/helpers/otlp-proto.js';
import { JsonSpans, ProtoSpans, type ExportHeader, type SpanBatchWriter } from './otlp-writers.js';

const header: ExportHeader = {
  resource: [
    ['service.name', 'agora-test'],
    ['service.version', undefined],
    ['process.pid', 4242],
  ],
  scope: { name: 'agora', version: '1.2.3' },
};

const LONG = 'x'.repeat(300);
const start = performance.now();

/** Two requests' spans: the second one failed, with a long error and a name needing escapes in JSON. */
function describeSpans(out: SpanBatchWriter): void {
  for (let request = 0; request < 2; request++) {
    out.begin('4bf92f3577b34da6a3ce929d0e0e4736', `00f067aa0ba902b${request}`, undefined, `chat acme/ok ${request}`, 2, start, start + 1.5);
    out.cached('prefix', () => {
      out.str('gen_ai.operation.name', 'chat');
      out.str('gen_ai.system', undefined);
      out.str('gen_ai.request.model', 'acme/ok');
    });
    out.num('gen_ai.usage.input_tokens', 19);
    out.num('big', 2 ** 40 + 3);
    out.num('negative', -7);
    out.num('gen_ai.request.temperature', 0.25);
    out.num('not a number', Number.NaN);
    out.bool('agora.stream', request === 1);
    out.list('gen_ai.request.stop_sequences', ['END', 'ünïcode ✓']);
    out.list('one', 'alone');
    out.str('long', LONG);
    out.str('quoted', 'say "hi" \\ 日本');
    if (request === 1) out.str('huge', 'é'.repeat(100_000)); // past the first buffer, with a three-byte length
    out.end(request === 1 ? `upstream failed: ${LONG}` : undefined);
    out.begin(
      '4bf92f3577b34da6a3ce929d0e0e4736',
      `a0f067aa0ba902b${request}`,
      `00f067aa0ba902b${request}`,
      `chat ${LONG}`,
      3,
      start + 0.1,
      start + 1.4,
    );
    out.cached('prefix', () => {
      throw new Error('cached attributes are written once');
    });
    out.end(undefined);
    out.finish();
  }
}

function decoded(writer: SpanBatchWriter): unknown {
  describeSpans(writer);
  const body = writer.take();
  return typeof body === 'string' ? JSON.parse(body) : decodeTraceExport(body);
}

/** OTLP/JSON writes an unset status code as 0 and zero-valued fields of the binary form are absent: compare them alike. */
function normalized(exported: unknown): unknown {
  const text = JSON.stringify(exported, (key, value: unknown) => (key === 'status' ? { code: 0, ...(value as object) } : value));
  return JSON.parse(text);
}

describe('OTLP span writers', () => {
  it('the binary export decodes to what the JSON export says, field by field', () => {
    const json = decoded(new JsonSpans(header));
    const proto = decoded(new ProtoSpans(header));
    expect(normalized(proto)).toEqual(normalized(json));
    const spans = (json as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ attributes: unknown[] }> }> }> }).resourceSpans[0]!
      .scopeSpans[0]!.spans;
    expect(spans).toHaveLength(4);
    expect(spans[0]!.attributes).toContainEqual({ key: 'long', value: { stringValue: LONG } });
    expect(spans[0]!.attributes).toContainEqual({ key: 'negative', value: { intValue: '-7' } });
    expect(spans[1]!.attributes).toHaveLength(2); // the cached run, copied
  });

  it('starts a fresh batch after take(), and rollback() drops a half-written request', () => {
    for (const writer of [new JsonSpans(header), new ProtoSpans(header)]) {
      describeSpans(writer);
      writer.take();
      const mark = writer.mark();
      writer.begin('4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7', undefined, 'half', 2, start, start);
      writer.str('gen_ai.operation.name', 'chat');
      writer.rollback(mark);
      const body = writer.take();
      const empty = (typeof body === 'string' ? JSON.parse(body) : decodeTraceExport(body)) as {
        resourceSpans: Array<{ scopeSpans: Array<{ spans?: unknown[] }> }>;
      };
      expect(empty.resourceSpans[0]!.scopeSpans[0]!.spans ?? []).toEqual([]);
    }
  });
});
