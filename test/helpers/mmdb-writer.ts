/**
 * A small writer of the MaxMind DB binary format (version 2.0, https://maxmind.github.io/MaxMind-DB/),
 * for tests that need a GeoIP database with known contents: `writeMmdb(networks, options)` returns the
 * bytes of a `.mmdb` file that any MaxMind DB reader opens (the tests read it back with the `maxmind`
 * package's `Reader`).
 *
 * The layout, as the spec gives it:
 *
 * - **Search tree**: `node_count` nodes of two records each (left: bit 0, right: bit 1), 24, 28 or 32
 *   bits a record, big-endian; with 28-bit records the top four bits of each record share the middle
 *   byte (left's in the high nibble). A record below `node_count` is a node number, `node_count` itself
 *   means "no data", and a larger value `v` points at byte `v - node_count - 16` of the data section.
 * - **Data section separator**: 16 zero bytes.
 * - **Data section**: each field is a control byte (type in the top 3 bits, or 0 and an "extended" type
 *   byte holding type − 7; payload size in the low 5 bits, 29/30/31 meaning one, two or three more
 *   size bytes holding size − 29, − 285, − 65,821), then the payload. Maps and arrays count entries,
 *   not bytes. Pointers (type 1) refer to earlier fields by data-section offset.
 * - **Metadata**: the marker `\xAB\xCD\xEFMaxMind.com`, then a map with `node_count` (uint32),
 *   `record_size`, `ip_version`, `binary_format_major_version`, `binary_format_minor_version` (uint16),
 *   `build_epoch` (uint64), `database_type` (string), `languages` (array of strings) and `description`
 *   (map of strings).
 *
 * Networks: with `ipVersion: 4` the tree is 32 bits deep and takes IPv4 networks only; with 6 it is 128
 * bits deep and IPv4 networks are stored at `::a.b.c.d/(96 + prefix)`, as MaxMind stores them, and (like
 * MaxMind's own databases, unless `ipv4Aliases: false`) `::ffff:0:0/96` and `2002::/16` point at the
 * IPv4 subtree. A more specific network wins over a wider one that holds it, whatever the input order;
 * the same network twice: the later one wins. A network with host bits set is an error (a typo in a test
 * should not pass silently).
 *
 * Values: a string is utf8_string, a whole number uint32 (int32 when negative, uint64 above 2^32 − 1),
 * another number double, a bigint uint64 (uint128 above 2^64 − 1), a boolean boolean, a Buffer bytes, an
 * array array and a plain object map. `mmdb.uint16(…)` and the like force a type; `mmdb.raw(bytes)`
 * writes bytes as they are, for corrupt records. Repeated strings (map keys included) and repeated
 * records are written once and referred to with pointers, as real databases do (`pointers: false`
 * writes every one inline).
 */

export type MmdbType = 'uint16' | 'uint32' | 'int32' | 'uint64' | 'uint128' | 'double' | 'float' | 'raw';

/** A value with its MaxMind DB type forced (see `mmdb`). */
export class MmdbTyped {
  constructor(
    readonly type: MmdbType,
    readonly value: number | bigint | Buffer,
  ) {}
}

export type MmdbValue = string | number | bigint | boolean | Buffer | MmdbTyped | MmdbValue[] | { [key: string]: MmdbValue };

export const mmdb = {
  uint16: (value: number) => new MmdbTyped('uint16', value),
  uint32: (value: number) => new MmdbTyped('uint32', value),
  int32: (value: number) => new MmdbTyped('int32', value),
  uint64: (value: number | bigint) => new MmdbTyped('uint64', BigInt(value)),
  uint128: (value: number | bigint) => new MmdbTyped('uint128', BigInt(value)),
  double: (value: number) => new MmdbTyped('double', value),
  float: (value: number) => new MmdbTyped('float', value),
  /** Bytes written into the data section as they are: a corrupt or hand-made field. */
  raw: (bytes: Buffer | number[]) => new MmdbTyped('raw', Buffer.from(bytes)),
};

export interface MmdbNetwork {
  /** `1.2.3.0/24`, `2001:db8::/32`, or an address alone (a /32 or /128). */
  network: string;
  /** What a lookup inside the network answers, e.g. `{ country: { iso_code: 'FR' } }`. */
  record: MmdbValue;
}

export interface MmdbOptions {
  ipVersion: 4 | 6;
  /** e.g. `GeoLite2-Country`, `GeoLite2-City`, `GeoLite2-ASN`. */
  databaseType: string;
  /** Bits a search-tree record; the smallest that fits by default. */
  recordSize?: 24 | 28 | 32;
  languages?: string[];
  description?: Record<string, string>;
  /** Seconds since the epoch, or a Date (default: now). */
  buildEpoch?: number | Date;
  /** 2 unless a test wants an unsupported file. */
  binaryFormatMajorVersion?: number;
  binaryFormatMinorVersion?: number;
  /** IPv6 only: `::ffff:0:0/96` and `2002::/16` lead to the IPv4 subtree (default true). */
  ipv4Aliases?: boolean;
  /** Repeated strings and records written once and pointed to (default true). */
  pointers?: boolean;
}

export const METADATA_MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex');
const SEPARATOR_BYTES = 16;

// ---------------------------------------------------------------------------------------------------
// Addresses

/** The bytes of an IPv4 (4) or IPv6 (16) address, or null when `text` is neither. */
export function addressBytes(text: string): Uint8Array | null {
  const v4 = parseIPv4(text);
  if (v4) return v4;
  return parseIPv6(text);
}

function parseIPv4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return null;
    bytes[i] = Number(part);
  }
  return bytes;
}

function parseIPv6(text: string): Uint8Array | null {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (half: string): number[] | null => {
    if (half === '') return [];
    const groups: number[] = [];
    const parts = half.split(':');
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (i === parts.length - 1 && part.includes('.')) {
        const v4 = parseIPv4(part);
        if (!v4) return null;
        groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return null;
        groups.push(parseInt(part, 16));
      }
    }
    return groups;
  };
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (!head || !tail) return null;
  if (halves.length === 2 && halves[0]!.includes('.')) return null; // a dotted quad only ends the address
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return bytes;
}

function bitOf(bytes: Uint8Array, index: number): 0 | 1 {
  return ((bytes[index >> 3]! >> (7 - (index & 7))) & 1) as 0 | 1;
}

/** A network as the bits of its path in a tree `depth` bits deep (32 for IPv4 trees, 128 for IPv6). */
function networkPath(text: string, depth: 32 | 128): { bytes: Uint8Array; prefix: number } {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const parsed = addressBytes(address);
  if (!parsed) throw new Error(`mmdb writer: '${text}' is not an IP network`);
  const ownBits = parsed.length * 8;
  let prefix = ownBits;
  if (slash >= 0) {
    const suffix = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(suffix) || Number(suffix) > ownBits) throw new Error(`mmdb writer: '${text}' has an invalid prefix length`);
    prefix = Number(suffix);
  }
  for (let bit = prefix; bit < ownBits; bit++) {
    if (bitOf(parsed, bit)) throw new Error(`mmdb writer: '${text}' has host bits set beyond /${prefix}`);
  }
  if (parsed.length === 16 && depth === 32) throw new Error(`mmdb writer: '${text}' is IPv6, but the database is IPv4`);
  if (parsed.length === 4 && depth === 128) {
    // IPv4 in an IPv6 tree: ::a.b.c.d, the first 2^32 addresses.
    const bytes = new Uint8Array(16);
    bytes.set(parsed, 12);
    return { bytes, prefix: 96 + prefix };
  }
  return { bytes: parsed, prefix };
}

// ---------------------------------------------------------------------------------------------------
// The search tree

interface TreeNode {
  children: [Child, Child];
}
/** A node, a record (its index among the distinct records), or nothing. */
type Child = TreeNode | { record: number } | undefined;

function isNode(child: Child): child is TreeNode {
  return child !== undefined && 'children' in child;
}

/** Sets the subtree at `prefix` bits of `bytes` to `value`, splitting any wider record it passes through. */
function place(root: TreeNode, bytes: Uint8Array, prefix: number, value: Child, replace: boolean): void {
  if (prefix === 0) {
    if (!replace) throw new Error('mmdb writer: cannot alias the whole tree');
    root.children = [value, value];
    return;
  }
  let node = root;
  for (let depth = 0; depth < prefix - 1; depth++) {
    const bit = bitOf(bytes, depth);
    const child = node.children[bit];
    if (isNode(child)) {
      node = child;
    } else {
      if (!replace && child !== undefined) throw new Error('mmdb writer: a network overlaps an IPv4 alias (::ffff:0:0/96 or 2002::/16)');
      const split: TreeNode = { children: [child, child] };
      node.children[bit] = split;
      node = split;
    }
  }
  const bit = bitOf(bytes, prefix - 1);
  if (!replace && node.children[bit] !== undefined) {
    throw new Error('mmdb writer: a network overlaps an IPv4 alias (::ffff:0:0/96 or 2002::/16)');
  }
  node.children[bit] = value;
}

/** The subtree at `prefix` bits of `bytes`, or undefined when the path ends earlier. */
function subtreeAt(root: TreeNode, bytes: Uint8Array, prefix: number): Child {
  let child: Child = root;
  for (let depth = 0; depth < prefix; depth++) {
    if (!isNode(child)) return child;
    child = child.children[bitOf(bytes, depth)];
  }
  return child;
}

// ---------------------------------------------------------------------------------------------------
// The data section

const TYPE = {
  pointer: 1,
  utf8: 2,
  double: 3,
  bytes: 4,
  uint16: 5,
  uint32: 6,
  map: 7,
  int32: 8,
  uint64: 9,
  uint128: 10,
  array: 11,
  boolean: 14,
  float: 15,
} as const;

/** The control byte(s) of a field of `type` whose payload is `size` (bytes, or entries for maps and arrays). */
function control(type: number, size: number): Buffer {
  let sizeBits: number;
  let extra: Buffer;
  if (size < 29) {
    sizeBits = size;
    extra = Buffer.alloc(0);
  } else if (size < 29 + 256) {
    sizeBits = 29;
    extra = Buffer.from([size - 29]);
  } else if (size < 285 + 65_536) {
    sizeBits = 30;
    extra = Buffer.alloc(2);
    extra.writeUInt16BE(size - 285);
  } else if (size < 65_821 + 16_777_216) {
    sizeBits = 31;
    extra = Buffer.alloc(3);
    extra.writeUIntBE(size - 65_821, 0, 3);
  } else {
    throw new Error(`mmdb writer: a field of ${size} is too large`);
  }
  const head = type <= 7 ? Buffer.from([(type << 5) | sizeBits]) : Buffer.from([sizeBits, type - 7]);
  return Buffer.concat([head, extra]);
}

/** An unsigned integer in as few big-endian bytes as it needs (none for 0), at most `maxBytes`. */
function unsignedBytes(value: bigint, maxBytes: number, what: string): Buffer {
  if (value < 0n || value >= 1n << BigInt(8 * maxBytes)) throw new Error(`mmdb writer: ${value} does not fit ${what}`);
  const bytes: number[] = [];
  for (let rest = value; rest > 0n; rest >>= 8n) bytes.unshift(Number(rest & 0xffn));
  return Buffer.from(bytes);
}

function pointerField(offset: number): Buffer {
  if (offset < 2048) return Buffer.from([0x20 | (offset >> 8), offset & 0xff]);
  if (offset < 2048 + 524_288) {
    const v = offset - 2048;
    return Buffer.from([0x28 | (v >> 16), (v >> 8) & 0xff, v & 0xff]);
  }
  if (offset < 526_336 + 134_217_728) {
    const v = offset - 526_336;
    return Buffer.from([0x30 | (v >>> 24), (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff]);
  }
  const field = Buffer.alloc(5);
  field[0] = 0x38;
  field.writeUInt32BE(offset, 1);
  return field;
}

/** A canonical text for a value, so equal values are written once. */
function keyOf(value: MmdbValue): string {
  if (value instanceof MmdbTyped) {
    return `${value.type}:${Buffer.isBuffer(value.value) ? value.value.toString('hex') : String(value.value)}`;
  }
  if (Buffer.isBuffer(value)) return `bytes:${value.toString('hex')}`;
  if (Array.isArray(value)) return `[${value.map(keyOf).join(',')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}:${keyOf(v)}`)
      .join(',')}}`;
  }
  return `${typeof value}:${typeof value === 'string' ? JSON.stringify(value) : String(value)}`;
}

class DataWriter {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  /** Where each string (map keys too) and each record was first written, for pointers. */
  private readonly written = new Map<string, number>();

  constructor(private readonly pointers: boolean) {}

  get length(): number {
    return this.size;
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  private push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** Writes a top-level record (or points at an equal one written before); returns its offset. */
  record(value: MmdbValue): number {
    const key = keyOf(value);
    const seen = this.written.get(key);
    if (seen !== undefined) return seen;
    const offset = this.size;
    this.value(value);
    this.written.set(key, offset);
    return offset;
  }

  value(value: MmdbValue): void {
    if (typeof value === 'string') return this.string(value);
    if (value instanceof MmdbTyped) return this.typed(value);
    if (typeof value === 'boolean') return this.push(control(TYPE.boolean, value ? 1 : 0));
    if (typeof value === 'bigint') {
      return value < 1n << 64n ? this.typed(new MmdbTyped('uint64', value)) : this.typed(new MmdbTyped('uint128', value));
    }
    if (typeof value === 'number') {
      if (Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff) return this.typed(new MmdbTyped('uint32', value));
      if (Number.isInteger(value) && value < 0 && value >= -0x8000_0000) return this.typed(new MmdbTyped('int32', value));
      if (Number.isSafeInteger(value) && value > 0) return this.typed(new MmdbTyped('uint64', BigInt(value)));
      return this.typed(new MmdbTyped('double', value));
    }
    if (Buffer.isBuffer(value)) {
      this.push(control(TYPE.bytes, value.length));
      return this.push(value);
    }
    if (Array.isArray(value)) {
      this.push(control(TYPE.array, value.length));
      for (const item of value) this.value(item);
      return;
    }
    const entries = Object.entries(value);
    this.push(control(TYPE.map, entries.length));
    for (const [key, item] of entries) {
      this.string(key);
      this.value(item);
    }
  }

  private string(text: string): void {
    const encoded = Buffer.from(text, 'utf8');
    const key = `string:${text}`;
    const seen = this.pointers ? this.written.get(key) : undefined;
    if (seen !== undefined) {
      const pointer = pointerField(seen);
      if (pointer.length < encoded.length + control(TYPE.utf8, encoded.length).length) return this.push(pointer);
    }
    if (!this.written.has(key)) this.written.set(key, this.size);
    this.push(control(TYPE.utf8, encoded.length));
    this.push(encoded);
  }

  private typed(typed: MmdbTyped): void {
    const { type, value } = typed;
    if (type === 'raw') return this.push(value as Buffer);
    if (type === 'double' || type === 'float') {
      const payload = Buffer.alloc(type === 'double' ? 8 : 4);
      if (type === 'double') payload.writeDoubleBE(Number(value));
      else payload.writeFloatBE(Number(value));
      this.push(control(TYPE[type], payload.length));
      return this.push(payload);
    }
    if (type === 'int32') {
      const number = Number(value);
      if (!Number.isInteger(number) || number < -0x8000_0000 || number > 0x7fff_ffff) {
        throw new Error(`mmdb writer: ${number} is not an int32`);
      }
      // Two's complement; a non-negative value in as few bytes as it needs.
      const payload = number < 0 ? Buffer.alloc(4) : unsignedBytes(BigInt(number), 4, 'int32');
      if (number < 0) payload.writeInt32BE(number);
      this.push(control(TYPE.int32, payload.length));
      return this.push(payload);
    }
    const maxBytes = { uint16: 2, uint32: 4, uint64: 8, uint128: 16 }[type];
    const payload = unsignedBytes(BigInt(value as number | bigint), maxBytes, type);
    this.push(control(TYPE[type], payload.length));
    this.push(payload);
  }
}

// ---------------------------------------------------------------------------------------------------
// The file

/** The bytes of a MaxMind DB file holding `networks`. */
export function writeMmdb(networks: readonly MmdbNetwork[], options: MmdbOptions): Buffer {
  const depth = options.ipVersion === 4 ? 32 : 128;
  const data = new DataWriter(options.pointers ?? true);

  // The tree: wider networks first, so that a more specific one splits them; equal ones in input order.
  const placed = networks.map((entry, order) => ({ ...networkPath(entry.network, depth), record: entry.record, order }));
  placed.sort((a, b) => a.prefix - b.prefix || a.order - b.order);
  const offsets: number[] = [];
  const root: TreeNode = { children: [undefined, undefined] };
  for (const entry of placed) {
    const index = offsets.length;
    offsets.push(data.record(entry.record));
    place(root, entry.bytes, entry.prefix, { record: index }, true);
  }
  if (options.ipVersion === 6 && (options.ipv4Aliases ?? true)) {
    const ipv4 = subtreeAt(root, new Uint8Array(16), 96);
    if (ipv4 !== undefined) {
      const mapped = new Uint8Array(16);
      mapped[10] = 0xff;
      mapped[11] = 0xff;
      place(root, mapped, 96, ipv4, false);
      const sixToFour = new Uint8Array(16);
      sixToFour[0] = 0x20;
      sixToFour[1] = 0x02;
      place(root, sixToFour, 16, ipv4, false);
    }
  }

  // Number the nodes breadth first (an alias is one node reached twice: numbered once).
  const numbers = new Map<TreeNode, number>();
  const order: TreeNode[] = [];
  const queue: TreeNode[] = [root];
  numbers.set(root, 0);
  while (queue.length > 0) {
    const node = queue.shift()!;
    order.push(node);
    for (const child of node.children) {
      if (isNode(child) && !numbers.has(child)) {
        numbers.set(child, numbers.size);
        queue.push(child);
      }
    }
  }
  const nodeCount = order.length;
  const dataSection = data.bytes();
  const largest = nodeCount + SEPARATOR_BYTES + Math.max(dataSection.length, 1);
  const recordSize = options.recordSize ?? ([24, 28, 32] as const).find((bits) => largest < 2 ** bits);
  if (recordSize === undefined || largest >= 2 ** recordSize) throw new Error(`mmdb writer: ${recordSize ?? 32}-bit records are too small`);

  const recordValue = (child: Child): number => {
    if (child === undefined) return nodeCount;
    if (isNode(child)) return numbers.get(child)!;
    return nodeCount + SEPARATOR_BYTES + offsets[child.record]!;
  };
  const nodeBytes = recordSize / 4;
  const tree = Buffer.alloc(nodeCount * nodeBytes);
  order.forEach((node, number) => {
    const left = recordValue(node.children[0]);
    const right = recordValue(node.children[1]);
    const at = number * nodeBytes;
    if (recordSize === 24) {
      tree.writeUIntBE(left, at, 3);
      tree.writeUIntBE(right, at + 3, 3);
    } else if (recordSize === 28) {
      tree.writeUIntBE(left & 0xff_ffff, at, 3);
      tree[at + 3] = (((left >>> 24) & 0x0f) << 4) | ((right >>> 24) & 0x0f);
      tree.writeUIntBE(right & 0xff_ffff, at + 4, 3);
    } else {
      tree.writeUInt32BE(left, at);
      tree.writeUInt32BE(right, at + 4);
    }
  });

  const epoch = options.buildEpoch ?? new Date();
  const metadata = new DataWriter(false);
  metadata.value({
    node_count: mmdb.uint32(nodeCount),
    record_size: mmdb.uint16(recordSize),
    ip_version: mmdb.uint16(options.ipVersion),
    database_type: options.databaseType,
    languages: options.languages ?? ['en'],
    binary_format_major_version: mmdb.uint16(options.binaryFormatMajorVersion ?? 2),
    binary_format_minor_version: mmdb.uint16(options.binaryFormatMinorVersion ?? 0),
    build_epoch: mmdb.uint64(Math.floor(epoch instanceof Date ? epoch.getTime() / 1000 : epoch)),
    description: options.description ?? { en: `Test ${options.databaseType} database` },
  });

  return Buffer.concat([tree, Buffer.alloc(SEPARATOR_BYTES), dataSection, METADATA_MARKER, metadata.bytes()]);
}
