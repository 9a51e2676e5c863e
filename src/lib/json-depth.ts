/**
 * Nesting depth of a JSON text, found by one pass over its bytes before it is parsed. A body nested
 * thousands of levels deep parses fine in V8, but every recursive walk after that (JSON.stringify in
 * an adapter, a validation message, a structured clone) overflows the stack: such a body is refused
 * at the door, naming where it goes too deep.
 */

/** Deepest nesting accepted in a request body (objects and arrays). Tool schemas rarely pass 20. */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

export interface DepthViolation {
  /** The path to the first container that is too deep, e.g. `metadata.a.a.a` (at most 6 segments, then `…`). */
  path: string;
  /** The top-level field it is under (null when the body itself is an array or scalar). */
  field: string | null;
}

/**
 * Returns where `body` first nests deeper than `limit`, or undefined when it does not. The scan does
 * not validate the JSON (the parser does that next); it only tracks strings, keys and indices.
 */
export function findDepthViolation(body: Buffer, limit = MAX_JSON_DEPTH): DepthViolation | undefined {
  // Fast path (native indexOf, no per-byte JS): with no more than `limit` opening brackets in the
  // whole text, nothing can nest deeper than `limit`. Most request bodies stop here.
  if (openers(body, limit) <= limit) return undefined;
  let depth = 0;
  let inString = false;
  let stringStart = 0;
  let lastString: [number, number] | undefined;
  // Per level (up to the limit): whether it is an array, its current key or index.
  const isArray: boolean[] = [];
  const keys: Array<string | number> = [];
  for (let index = 0; index < body.length; index++) {
    const byte = body[index]!;
    if (inString) {
      if (byte === BACKSLASH) index++;
      else if (byte === QUOTE) {
        inString = false;
        lastString = [stringStart, index];
      }
      continue;
    }
    switch (byte) {
      case QUOTE:
        inString = true;
        stringStart = index + 1;
        break;
      case COLON:
        if (depth > 0 && !isArray[depth - 1] && lastString)
          keys[depth - 1] = body.toString('utf8', lastString[0], Math.min(lastString[1], lastString[0] + 64));
        break;
      case COMMA:
        if (depth > 0 && isArray[depth - 1]) keys[depth - 1] = (keys[depth - 1] as number) + 1;
        break;
      case OPEN_BRACE:
      case OPEN_BRACKET:
        if (depth >= limit) return violation(keys, isArray);
        isArray[depth] = byte === OPEN_BRACKET;
        keys[depth] = byte === OPEN_BRACKET ? 0 : '';
        depth++;
        break;
      case CLOSE_BRACE:
      case CLOSE_BRACKET:
        if (depth > 0) depth--;
        break;
      default:
        break;
    }
  }
  return undefined;
}

/** How many `{` and `[` bytes the text holds, counting no further than `limit + 1`. */
function openers(body: Buffer, limit: number): number {
  let count = 0;
  for (const byte of [OPEN_BRACE, OPEN_BRACKET]) {
    for (let at = body.indexOf(byte); at !== -1; at = body.indexOf(byte, at + 1)) {
      if (++count > limit) return count;
    }
  }
  return count;
}

function violation(keys: Array<string | number>, isArray: boolean[]): DepthViolation {
  let path = '';
  const shown = Math.min(keys.length, 6);
  for (let level = 0; level < shown; level++) {
    const key = keys[level]!;
    if (isArray[level]) path += `[${key as number}]`;
    else path += path === '' ? String(key) : `.${String(key)}`;
  }
  if (keys.length > shown) path += '…';
  const field = isArray[0] ? null : (keys[0] as string);
  return { path, field };
}
