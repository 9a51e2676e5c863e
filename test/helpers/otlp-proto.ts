/**
 * Decodes an OTLP/HTTP binary export (ExportTraceServiceRequest) with protobufjs, an implementation
 * of the wire format independent of the gateway's encoder, into OTLP's JSON mapping: ids as hex,
 * 64-bit integers as decimal strings, enums as numbers, defaults left out (so an unset status code
 * reads as absent, as it does on the wire). The schema is the subset of opentelemetry-proto's
 * trace.proto and common.proto the gateway writes, with their field numbers.
 */
import protobuf from 'protobufjs';

const SCHEMA = `
syntax = "proto3";
package otlp;
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; string schema_url = 3; }
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; string schema_url = 3; }
message InstrumentationScope { string name = 1; string version = 2; repeated KeyValue attributes = 3; uint32 dropped_attributes_count = 4; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4; fixed32 flags = 16;
  string name = 5; SpanKind kind = 6; fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9; uint32 dropped_attributes_count = 10; Status status = 15;
}
enum SpanKind { SPAN_KIND_UNSPECIFIED = 0; SPAN_KIND_INTERNAL = 1; SPAN_KIND_SERVER = 2; SPAN_KIND_CLIENT = 3; SPAN_KIND_PRODUCER = 4; SPAN_KIND_CONSUMER = 5; }
message Status { string message = 2; StatusCode code = 3; }
enum StatusCode { STATUS_CODE_UNSET = 0; STATUS_CODE_OK = 1; STATUS_CODE_ERROR = 2; }
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7; }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
`;

const request = protobuf.parse(SCHEMA).root.lookupType('otlp.ExportTraceServiceRequest');

const ID_FIELDS = new Set(['traceId', 'spanId', 'parentSpanId']);

/** The export request in OTLP's JSON mapping; throws on bytes that are not a valid message. */
export function decodeTraceExport(bytes: Uint8Array): unknown {
  const message = request.decode(bytes);
  const json = request.toObject(message, { longs: String, enums: Number, bytes: String, defaults: false });
  return hexIds(json);
}

/** protobufjs writes bytes as base64; OTLP/JSON writes trace and span ids as hex. */
function hexIds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(hexIds);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = ID_FIELDS.has(key) && typeof item === 'string' ? Buffer.from(item, 'base64').toString('hex') : hexIds(item);
  }
  return out;
}
