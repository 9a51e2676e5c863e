/**
 * Reads a request body up to a byte limit. A `content-length` over the limit is refused before a
 * byte is read; a chunked body is counted as it arrives and refused the moment it passes the limit.
 *
 * @example
 * const json = await readJsonBody(request, 16 * 1024 * 1024);  // throws 413 or 400 AgoraError
 */
import type { IncomingMessage } from 'node:http';
import { findDepthViolation, MAX_JSON_DEPTH } from '../lib/json-depth.js';
import { clientClosed, invalidRequest, payloadTooLarge } from '../contract/errors.js';

export function readBody(request: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = request.headers['content-length'];
  if (declared !== undefined && Number(declared) > limitBytes) {
    request.resume(); // drain nothing more than needed: the response closes the connection
    return Promise.reject(payloadTooLarge(limitBytes));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limitBytes) {
        request.off('data', onData);
        request.off('end', onEnd);
        request.pause();
        reject(payloadTooLarge(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      request.off('close', onClose);
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    // The client went away (or its body deadline closed the connection) before the body was whole:
    // not a gateway error, nothing to answer, nothing to log above debug.
    const onClose = (): void => {
      if (!request.complete) reject(clientClosed());
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onClose);
    request.on('close', onClose);
  });
}

export async function readJsonBody(request: IncomingMessage, limitBytes: number): Promise<unknown> {
  return parseJsonBody(await readBody(request, limitBytes));
}

/** Parses a read body as JSON (400 naming the problem), refusing nesting deeper than MAX_JSON_DEPTH. */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) throw invalidRequest('The request body is empty: expected a JSON object.', null, 'invalid_json');
  const tooDeep = findDepthViolation(body);
  if (tooDeep) {
    throw invalidRequest(
      `Invalid '${tooDeep.path}': the body nests deeper than ${MAX_JSON_DEPTH} levels of objects and arrays.`,
      tooDeep.field,
      'nesting_too_deep',
    );
  }
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    const detail = error instanceof SyntaxError ? error.message : 'invalid JSON';
    throw invalidRequest(`The request body is not valid JSON: ${detail}`, null, 'invalid_json');
  }
}
