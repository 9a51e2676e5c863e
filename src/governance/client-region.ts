/**
 * Where a client is: the region (an ISO 3166-1 alpha-2 country code) that client-region policies are
 * evaluated against. `ClientRegionResolver.open(settings)` compiles the trusted proxies into numeric
 * ranges and reads the GeoIP database into memory once; `resolve()` then runs on every request with
 * no I/O and no parsing beyond a character scan of two header values.
 *
 * The rules, first match wins:
 *
 * 1. **Header** (`settings.header`, e.g. `CF-IPCountry` or `X-Client-Region`; the name is
 *    case-insensitive). Trusted only when the TCP peer (`remoteAddress`; an IPv4-mapped IPv6 peer
 *    `::ffff:1.2.3.4` is read as `1.2.3.4`) is inside one of `settings.trustedProxies` — from any other
 *    peer the header is ignored, however it is spelled, since a client can send anything. Its value must
 *    be an assigned ISO 3166-1 alpha-2 code (case-insensitive, answered upper case; `XK` for Kosovo is
 *    accepted too, as Cloudflare, MaxMind and the EU use it). Anything else is not a country and the
 *    header is passed over as if absent — rule 2 decides: Cloudflare's `XX` ("no country data"), its
 *    `T1` (a Tor exit: the exit's location says nothing about the user, so Tor is treated as "no
 *    country", never as a region of its own), the other user-assigned codes (`AA`, `QM`–`QZ`, `XA`–`XZ`,
 *    `ZZ`), unassigned pairs (`UK` is not GB, `EU` is not a country), a repeated header (`US, FR`), an
 *    empty value.
 * 2. **GeoIP** on the client address, when `settings.geoipDatabase` is configured. The client address
 *    is the peer itself; or, when the peer is a trusted proxy, the rightmost address of
 *    `X-Forwarded-For` that is not itself a trusted proxy (each proxy appends the address it saw, so
 *    entries left of the first untrusted one may be forged by the client: they are never read). When
 *    every entry is a trusted proxy the leftmost one is the client; when the peer is trusted and there
 *    is no `X-Forwarded-For`, the peer is. An entry that is not an address (`unknown`, an obfuscated
 *    `_hidden`, garbage) reached by that walk means a trusted proxy did not know the client: there is
 *    no client address, and GeoIP is skipped. Entries may carry a port (`1.2.3.4:5678`,
 *    `[2001:db8::1]:443`) or an IPv6 zone (`%eth0`); both are ignored. Only `X-Forwarded-For` is read
 *    (not RFC 7239 `Forwarded`). The country is the record's `country.iso_code`, else its
 *    `registered_country.iso_code`, validated like the header. Addresses that are not publicly routed
 *    (private, loopback, link-local, CGNAT 100.64/10, unique-local fc00::/7, documentation, multicast,
 *    reserved) have no country and are never looked up; an IPv6 address has none in an IPv4-only
 *    database.
 * 3. **Key**: the API key's own region setting (`keyRegion`), validated like the header.
 * 4. Otherwise `unknown` (policies say what `unknown` gets).
 *
 * The result's `ip` is the client address as rule 2 defines it, whichever rule decided (for the audit
 * log); it is absent when there is none (no peer address, or an unusable `X-Forwarded-For` entry).
 * An address written IPv4-mapped comes back as plain IPv4.
 *
 * The GeoIP database is any MaxMind DB format file with country data (GeoLite2-Country or -City,
 * GeoIP2-*, DB-IP country/city lite), read with the `maxmind` package's reader (its `Reader` over a
 * buffer we read ourselves: no file watching; reopen the resolver to pick up a new file). Opening checks
 * the file before the first request needs it, and a file that is missing, unreadable, gzip-compressed,
 * truncated or not a country database is an Error naming the path and the fault. A failed lookup at
 * request time (a corrupt record) counts as "no country", never as a failed request.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import type { Reader, CountryResponse } from 'maxmind';

export interface ClientRegionSettings {
  /** The region header, e.g. `cf-ipcountry` or `x-client-region` (case-insensitive). Trusted only from `trustedProxies`. */
  header?: string;
  /** Addresses or CIDRs of the proxies in front of the gateway, IPv4 and IPv6: `127.0.0.1/32`, `10.0.0.0/8`, `::1`. */
  trustedProxies: string[];
  /** Path to a MaxMind-format `.mmdb` with country data (GeoLite2-Country/City, DB-IP country lite). */
  geoipDatabase?: string;
}

export type RegionSource = 'header' | 'geoip' | 'key' | 'unknown';

export interface ClientRegionInput {
  headers: IncomingHttpHeaders;
  /** The TCP peer, as `socket.remoteAddress` gives it (`undefined` once the socket is gone). */
  remoteAddress: string | undefined;
  /** The API key's own region setting, if it has one. */
  keyRegion?: string | null;
}

export interface ClientRegion {
  /** ISO 3166-1 alpha-2, upper case, or `unknown`. */
  region: string;
  source: RegionSource;
  /** The client address (rule 2's definition), when one is known. */
  ip?: string;
}

/** What was loaded, for the start-up log. */
export interface GeoipDatabaseInfo {
  path: string;
  databaseType: string;
  ipVersion: 4 | 6;
  nodeCount: number;
  builtAt: Date;
}

// ---------------------------------------------------------------------------------------------------
// Country codes

/** ISO 3166-1 alpha-2, the 249 officially assigned codes, plus XK (Kosovo, user-assigned but in wide use). */
const COUNTRY_CODES =
  'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
  'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR ' +
  'GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP ' +
  'KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT ' +
  'MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW ' +
  'SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ ' +
  'UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW';

/** Indexed by (first letter × 26 + second letter): the interned upper-case code, so a match allocates nothing. */
const COUNTRY_BY_INDEX: (string | undefined)[] = new Array<string | undefined>(26 * 26).fill(undefined);
for (const code of COUNTRY_CODES.split(' ')) COUNTRY_BY_INDEX[(code.charCodeAt(0) - 65) * 26 + (code.charCodeAt(1) - 65)] = code;

function letterIndex(c: number): number {
  if (c >= 65 && c <= 90) return c - 65;
  if (c >= 97 && c <= 122) return c - 97;
  return -1;
}

function countryOf(value: string): string | null {
  if (value.length !== 2) {
    const trimmed = value.trim();
    if (trimmed.length !== 2) return null;
    value = trimmed;
  }
  const first = letterIndex(value.charCodeAt(0));
  const second = letterIndex(value.charCodeAt(1));
  if (first < 0 || second < 0) return null;
  return COUNTRY_BY_INDEX[first * 26 + second] ?? null;
}

/**
 * The upper-case country code for `value` when it is an assigned ISO 3166-1 alpha-2 code (any case,
 * surrounding blanks ignored) or XK; otherwise null. The same test every rule applies: use it to
 * validate a key's region when the configuration is loaded.
 */
export function normalizeCountryCode(value: unknown): string | null {
  return typeof value === 'string' ? countryOf(value) : null;
}

// ---------------------------------------------------------------------------------------------------
// Addresses: parsed by a character scan into a shared scratch, no allocation.

const INVALID = 0;
const V4 = 4;
const V6 = 6;

/** The last parsed address: an IPv4 address in WORDS[0], an IPv6 address in WORDS[0..3] (big-endian words). */
const WORDS = new Int32Array(4);
const GROUPS = new Uint16Array(8);
/** Where the bare address (no brackets, port or zone) was found in the parsed text. */
let parsedStart = 0;
let parsedEnd = 0;
/** Whether the last V4 result was written as an IPv4-mapped IPv6 address. */
let parsedMapped = false;

/** A dotted quad in `text[start, end)` as an unsigned 32-bit number, or -1. Strict: four parts, 0–255, no leading zeros. */
function parseIPv4(text: string, start: number, end: number): number {
  let value = 0;
  let i = start;
  for (let part = 0; part < 4; part++) {
    const partStart = i;
    let octet = 0;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      octet = octet * 10 + (c - 48);
      i++;
    }
    const length = i - partStart;
    if (length === 0 || length > 3 || octet > 255 || (length > 1 && text.charCodeAt(partStart) === 48)) return -1;
    value = value * 256 + octet;
    if (part < 3) {
      if (i >= end || text.charCodeAt(i) !== 46) return -1;
      i++;
    }
  }
  return i === end ? value : -1;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** An IPv6 address in `text[start, end)` (no zone) into GROUPS; false when it is not one. */
function parseIPv6(text: string, start: number, end: number): boolean {
  let i = start;
  let count = 0;
  let gap = -1;
  if (i < end && text.charCodeAt(i) === 58) {
    if (i + 1 >= end || text.charCodeAt(i + 1) !== 58) return false;
    gap = 0;
    i += 2;
  }
  while (i < end) {
    if (count === 8) return false;
    const groupStart = i;
    let group = 0;
    while (i < end) {
      const digit = hexDigit(text.charCodeAt(i));
      if (digit < 0) break;
      group = group * 16 + digit;
      i++;
    }
    if (i < end && text.charCodeAt(i) === 46) {
      // An embedded dotted quad: the last 32 bits.
      if (count > 6) return false;
      const v4 = parseIPv4(text, groupStart, end);
      if (v4 < 0) return false;
      GROUPS[count++] = Math.floor(v4 / 65536);
      GROUPS[count++] = v4 % 65536;
      i = end;
      break;
    }
    const length = i - groupStart;
    if (length === 0 || length > 4) return false;
    GROUPS[count++] = group;
    if (i === end) break;
    if (text.charCodeAt(i) !== 58) return false;
    i++;
    if (i < end && text.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = count;
      i++;
    } else if (i === end) {
      return false;
    }
  }
  if (gap < 0) return count === 8;
  if (count > 7) return false;
  const tail = count - gap;
  for (let k = 0; k < tail; k++) GROUPS[7 - k] = GROUPS[count - 1 - k]!;
  for (let k = gap; k < 8 - tail; k++) GROUPS[k] = 0;
  return true;
}

/**
 * Parses the address in `text[start, end)` into WORDS and returns V4, V6 or INVALID. An IPv4-mapped
 * IPv6 address is V4. With `lenient` (an `X-Forwarded-For` entry), a port (`1.2.3.4:80`,
 * `[::1]:80`), brackets and an IPv6 zone are accepted and ignored.
 */
function parseAddress(text: string, start: number, end: number, lenient: boolean): number {
  parsedMapped = false;
  if (start >= end) return INVALID;
  if (text.charCodeAt(start) === 91 /* [ */) {
    if (!lenient) return INVALID;
    const close = text.indexOf(']', start);
    if (close < 0 || close >= end) return INVALID;
    if (close + 1 < end && text.charCodeAt(close + 1) !== 58) return INVALID;
    start++;
    end = close;
  }
  let colon = -1;
  let colons = 0;
  let dots = 0;
  let zone = -1;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 58) {
      if (colon < 0) colon = i;
      colons++;
    } else if (c === 46) dots++;
    else if (c === 37 /* % */ && zone < 0) zone = i;
  }
  if (colons === 0 || (lenient && colons === 1 && dots === 3)) {
    // IPv4, or (leniently) IPv4 with a port.
    const addressEnd = colons === 0 ? end : colon;
    const value = parseIPv4(text, start, addressEnd);
    if (value < 0) return INVALID;
    WORDS[0] = value | 0;
    parsedStart = start;
    parsedEnd = addressEnd;
    return V4;
  }
  if (zone >= 0) {
    if (!lenient || zone + 1 >= end) return INVALID;
    end = zone;
  }
  if (!parseIPv6(text, start, end)) return INVALID;
  parsedStart = start;
  parsedEnd = end;
  if (GROUPS[0] === 0 && GROUPS[1] === 0 && GROUPS[2] === 0 && GROUPS[3] === 0 && GROUPS[4] === 0 && GROUPS[5] === 0xffff) {
    WORDS[0] = (GROUPS[6]! << 16) | GROUPS[7]!;
    parsedMapped = true;
    return V4;
  }
  for (let k = 0; k < 4; k++) WORDS[k] = (GROUPS[2 * k]! << 16) | GROUPS[2 * k + 1]!;
  return V6;
}

function formatIPv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

function formatIPv6(words: ArrayLike<number>): string {
  const groups: string[] = [];
  for (let k = 0; k < 4; k++) groups.push(((words[k]! >>> 16) & 0xffff).toString(16), (words[k]! & 0xffff).toString(16));
  return groups.join(':');
}

/** The text of the last parsed address: plain IPv4 for a mapped address, otherwise as written. */
function parsedText(text: string, kind: number): string {
  if (kind === V4 && parsedMapped) return formatIPv4(WORDS[0]!);
  return parsedStart === 0 && parsedEnd === text.length ? text : text.slice(parsedStart, parsedEnd);
}

/** A set of networks as numeric ranges: IPv4 as (network, mask) pairs, IPv6 as 4 network words then 4 mask words. */
interface Ranges {
  v4Networks: Int32Array;
  v4Masks: Int32Array;
  v6: Int32Array;
}

function maskOf(bits: number): number {
  return bits <= 0 ? 0 : bits >= 32 ? -1 : (-1 << (32 - bits)) | 0;
}

/** Compiles addresses and CIDRs into ranges; an entry that is not one throws, naming it (`what` says where it came from). */
function compileRanges(entries: readonly string[], what: string): Ranges {
  const v4: number[] = [];
  const v6: number[] = [];
  const seen = new Set<string>();
  const add4 = (network: number, bits: number): void => {
    const key = `4/${network}/${bits}`;
    if (seen.has(key)) return;
    seen.add(key);
    v4.push(network, maskOf(bits));
  };
  for (const entry of entries) {
    if (typeof entry !== 'string') throw new Error(`${what}: ${JSON.stringify(entry)} is not a string`);
    const text = entry.trim();
    const slash = text.indexOf('/');
    const address = slash < 0 ? text : text.slice(0, slash);
    const kind = parseAddress(address, 0, address.length, false);
    if (kind === INVALID) throw new Error(`${what}: '${entry}' is not an IP address or CIDR (e.g. 10.0.0.0/8, ::1)`);
    const writtenAsV6 = address.includes(':');
    const maxBits = writtenAsV6 ? 128 : 32;
    let bits = maxBits;
    if (slash >= 0) {
      const suffix = text.slice(slash + 1);
      if (!/^\d{1,3}$/.test(suffix) || Number(suffix) > maxBits) {
        throw new Error(`${what}: '${entry}' has an invalid prefix length (expected /0 to /${maxBits})`);
      }
      bits = Number(suffix);
    }
    if (kind === V4) {
      const value = WORDS[0]!;
      if (writtenAsV6 && bits < 96) {
        // Wider than ::ffff:0:0/96: the IPv6 range below, which also holds every IPv4 address.
        for (let k = 0; k < 3; k++) WORDS[k] = k === 2 ? 0xffff : 0;
        WORDS[3] = value;
      } else {
        const v4Bits = writtenAsV6 ? bits - 96 : bits;
        const mask = maskOf(v4Bits);
        if ((value & mask) !== value) {
          throw new Error(
            `${what}: '${entry}' has host bits set beyond the /${bits} prefix (did you mean ${formatIPv4(value & mask)}/${v4Bits}?)`,
          );
        }
        add4(value, v4Bits);
        continue;
      }
    }
    const network: number[] = [];
    const masks: number[] = [];
    for (let k = 0; k < 4; k++) {
      const mask = maskOf(bits - 32 * k);
      if ((WORDS[k]! & mask) !== WORDS[k]) {
        const masked = Array.from({ length: 4 }, (_, j) => WORDS[j]! & maskOf(bits - 32 * j));
        throw new Error(`${what}: '${entry}' has host bits set beyond the /${bits} prefix (did you mean ${formatIPv6(masked)}/${bits}?)`);
      }
      network.push(WORDS[k]!);
      masks.push(mask);
    }
    const key = `6/${network.join(',')}/${bits}`;
    if (!seen.has(key)) {
      seen.add(key);
      v6.push(...network, ...masks);
    }
    // A range holding all of ::ffff:0:0/96 holds every IPv4 address, which arrive here as plain IPv4.
    const mappedBase = [0, 0, 0xffff, 0];
    if (bits <= 96 && mappedBase.every((word, k) => (word & masks[k]!) === network[k])) add4(0, 0);
  }
  return {
    v4Networks: Int32Array.from(v4.filter((_, i) => i % 2 === 0)),
    v4Masks: Int32Array.from(v4.filter((_, i) => i % 2 === 1)),
    v6: Int32Array.from(v6),
  };
}

/** Whether the last parsed address (in WORDS) lies in `ranges`. */
function inRanges(kind: number, ranges: Ranges): boolean {
  if (kind === V4) {
    const address = WORDS[0]!;
    const networks = ranges.v4Networks;
    const masks = ranges.v4Masks;
    for (let i = 0; i < networks.length; i++) if ((address & masks[i]!) === networks[i]) return true;
    return false;
  }
  const table = ranges.v6;
  const w0 = WORDS[0]!;
  const w1 = WORDS[1]!;
  const w2 = WORDS[2]!;
  const w3 = WORDS[3]!;
  for (let i = 0; i < table.length; i += 8) {
    if (
      (w0 & table[i + 4]!) === table[i] &&
      (w1 & table[i + 5]!) === table[i + 1] &&
      (w2 & table[i + 6]!) === table[i + 2] &&
      (w3 & table[i + 7]!) === table[i + 3]
    ) {
      return true;
    }
  }
  return false;
}

/** Addresses that are not publicly routed: no country, never looked up. */
const NOT_PUBLIC = compileRanges(
  [
    '0.0.0.0/8', // "this network"
    '10.0.0.0/8', // private
    '100.64.0.0/10', // carrier-grade NAT
    '127.0.0.0/8', // loopback
    '169.254.0.0/16', // link-local
    '172.16.0.0/12', // private
    '192.0.0.0/24', // IETF protocol assignments
    '192.0.2.0/24', // documentation
    '192.168.0.0/16', // private
    '198.18.0.0/15', // benchmarking
    '198.51.100.0/24', // documentation
    '203.0.113.0/24', // documentation
    '224.0.0.0/4', // multicast
    '240.0.0.0/4', // reserved, and broadcast
    '::/128', // unspecified
    '::1/128', // loopback
    '100::/64', // discard-only
    '2001:db8::/32', // documentation
    'fc00::/7', // unique local
    'fe80::/10', // link-local
    'fec0::/10', // site-local (deprecated)
    'ff00::/8', // multicast
  ],
  'non-public ranges',
);

// ---------------------------------------------------------------------------------------------------
// The GeoIP database

const METADATA_MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'); // "\xAB\xCD\xEFMaxMind.com"
const METADATA_MAX_BYTES = 128 * 1024;
const DATA_SECTION_SEPARATOR = 16;
const COUNTRY_TYPES = /country|city|enterprise|location/i;

/** The reader's decoded-record cache (keyed by data offset): bounded, oldest entry out first. */
class RecordCache {
  private readonly entries = new Map<number | string, unknown>();
  constructor(private readonly max: number) {}
  get(key: number | string): unknown {
    return this.entries.get(key);
  }
  set(key: number | string, value: unknown): void {
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, value);
  }
}

/**
 * The offset just past the data field at `offset`, or -1 when the field runs past the end of `bytes`.
 * mmdb-lib clamps a string or byte field cut by the end of the buffer instead of failing, so a file cut
 * inside its metadata would otherwise open with a shortened last value.
 */
function fieldEnd(bytes: Buffer, offset: number, depth = 0): number {
  if (depth > 16 || offset >= bytes.length) return -1;
  const control = bytes[offset++]!;
  let type = control >> 5;
  if (type === 1) {
    // A pointer: 1 to 4 more bytes (its target is checked by the reader).
    const end = offset + ((control >> 3) & 3) + 1;
    return end <= bytes.length ? end : -1;
  }
  if (type === 0) {
    if (offset >= bytes.length) return -1;
    type = 7 + bytes[offset++]!;
  }
  let size = control & 0x1f;
  if (size >= 29) {
    const extra = size - 28;
    if (offset + extra > bytes.length) return -1;
    size = (extra === 1 ? 29 : extra === 2 ? 285 : 65_821) + bytes.readUIntBE(offset, extra);
    offset += extra;
  }
  if (type === 7 || type === 11) {
    // A map (size pairs) or an array (size values).
    for (let i = type === 7 ? size * 2 : size; i > 0; i--) {
      offset = fieldEnd(bytes, offset, depth + 1);
      if (offset < 0) return -1;
    }
    return offset;
  }
  if (type === 14) return offset; // a boolean: no payload
  return offset + size <= bytes.length ? offset + size : -1;
}

function readError(path: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const why =
    code === 'ENOENT'
      ? 'the file does not exist'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EISDIR'
          ? 'it is a directory, not a .mmdb file'
          : `it cannot be read (${error instanceof Error ? error.message : String(error)})`;
  return new Error(`GeoIP database ${path}: ${why}`, { cause: error });
}

/** Opens and checks a MaxMind DB file; every fault is an Error naming the path and what is wrong. */
async function openDatabase(path: string): Promise<{ reader: Reader<CountryResponse>; info: GeoipDatabaseInfo }> {
  const fail = (why: string, cause?: unknown): Error =>
    new Error(`GeoIP database ${path}: ${why}`, cause === undefined ? undefined : { cause });
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw readError(path, error);
  }
  if (bytes.length === 0) throw fail('the file is empty');
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    throw fail('the file is gzip-compressed; unpack it first (the .mmdb inside the .tar.gz MaxMind ships)');
  }
  const marker = bytes.lastIndexOf(METADATA_MARKER);
  if (marker < 0 || bytes.length - marker > METADATA_MAX_BYTES) {
    throw fail('not a MaxMind DB file, or a truncated one (no "\\xAB\\xCD\\xEFMaxMind.com" metadata marker in its last 128 KiB)');
  }
  if (fieldEnd(bytes, marker + METADATA_MARKER.length) < 0) {
    throw fail(`the file is truncated: its metadata (from byte ${marker}) runs past the end of the file at byte ${bytes.length}`);
  }
  let reader: Reader<CountryResponse>;
  // maxmind is loaded only when a GeoIP database is configured.
  const { Reader: MmdbReader } = await import('maxmind');
  try {
    reader = new MmdbReader<CountryResponse>(bytes, { cache: new RecordCache(8192) });
  } catch (error) {
    throw fail(`its metadata cannot be parsed (${error instanceof Error ? error.message : String(error)})`, error);
  }
  const meta = reader.metadata;
  if (meta.binaryFormatMajorVersion !== 2) {
    throw fail(`binary format version ${String(meta.binaryFormatMajorVersion)} is not supported (expected major version 2)`);
  }
  if (meta.ipVersion !== 4 && meta.ipVersion !== 6) throw fail(`ip_version ${String(meta.ipVersion)} is neither 4 nor 6`);
  if (!Number.isSafeInteger(meta.nodeCount) || meta.nodeCount <= 0)
    throw fail(`node_count ${String(meta.nodeCount)} is not a positive integer`);
  const treeBytes = meta.searchTreeSize;
  if (treeBytes + DATA_SECTION_SEPARATOR > marker) {
    throw fail(
      `the file is truncated or corrupt: its search tree (${meta.nodeCount} nodes of two ${meta.recordSize}-bit records = ${treeBytes} bytes) and separator do not fit before the metadata at byte ${marker}`,
    );
  }
  for (let i = treeBytes; i < treeBytes + DATA_SECTION_SEPARATOR; i++) {
    if (bytes[i] !== 0)
      throw fail(`the file is corrupt: the 16-byte data section separator after the search tree (byte ${treeBytes}) is not all zeros`);
  }
  const databaseType = typeof meta.databaseType === 'string' ? meta.databaseType : '';
  if (!COUNTRY_TYPES.test(databaseType)) {
    throw fail(`database_type '${databaseType}' holds no country data (expected a country or city database such as GeoLite2-Country)`);
  }
  try {
    reader.get('8.8.8.8');
    if (meta.ipVersion === 6) reader.get('2001:4860:4860::8888');
  } catch (error) {
    throw fail(`the file is corrupt: a test lookup failed (${error instanceof Error ? error.message : String(error)})`, error);
  }
  return {
    reader,
    info: { path, databaseType, ipVersion: meta.ipVersion, nodeCount: meta.nodeCount, builtAt: meta.buildEpoch },
  };
}

function isoCodeOf(record: unknown): string | null {
  if (record === null || typeof record !== 'object') return null;
  const code = (record as { iso_code?: unknown }).iso_code;
  return typeof code === 'string' ? countryOf(code) : null;
}

// ---------------------------------------------------------------------------------------------------
// The resolver

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export class ClientRegionResolver {
  private reader: Reader<CountryResponse> | undefined;
  private readonly readerIpVersion: number;

  private constructor(
    private readonly header: string | undefined,
    private readonly trusted: Ranges,
    reader: Reader<CountryResponse> | undefined,
    /** The GeoIP database loaded, if any. */
    readonly database: GeoipDatabaseInfo | undefined,
  ) {
    this.reader = reader;
    this.readerIpVersion = database?.ipVersion ?? 0;
  }

  /** Validates the settings, compiles the trusted proxies and reads the GeoIP database (once). Throws on any fault. */
  static async open(settings: ClientRegionSettings): Promise<ClientRegionResolver> {
    if (!Array.isArray(settings.trustedProxies)) throw new Error('client region: trustedProxies must be a list of addresses or CIDRs');
    let header: string | undefined;
    if (settings.header !== undefined && settings.header !== '') {
      if (typeof settings.header !== 'string' || !HEADER_NAME.test(settings.header)) {
        throw new Error(`client region: header ${JSON.stringify(settings.header)} is not a valid HTTP header name`);
      }
      header = settings.header.toLowerCase();
      if (settings.trustedProxies.length === 0) {
        throw new Error(`client region: header '${settings.header}' is set but trustedProxies is empty, so it would never be trusted`);
      }
    }
    const trusted = compileRanges(settings.trustedProxies, 'client region: trustedProxies');
    const opened =
      settings.geoipDatabase === undefined || settings.geoipDatabase === '' ? undefined : await openDatabase(settings.geoipDatabase);
    return new ClientRegionResolver(header, trusted, opened?.reader, opened?.info);
  }

  /** The client's region by the rules at the top of this file. Synchronous, no I/O; never throws. */
  resolve(input: ClientRegionInput): ClientRegion {
    const headers = input.headers;
    const peer = input.remoteAddress;

    // The client address: the peer, or behind trusted proxies the rightmost untrusted X-Forwarded-For entry.
    let kind = INVALID;
    let ip: string | undefined;
    let ipSource: string | undefined;
    let peerTrusted = false;
    if (typeof peer === 'string' && peer.length > 0) {
      kind = parseAddress(peer, 0, peer.length, true);
      if (kind !== INVALID) {
        ipSource = peer;
        peerTrusted = inRanges(kind, this.trusted);
        if (peerTrusted) {
          const forwarded = headers['x-forwarded-for'];
          if (forwarded !== undefined) {
            const chain = typeof forwarded === 'string' ? forwarded : Array.isArray(forwarded) ? forwarded.join(', ') : '';
            kind = this.walkForwarded(chain, kind, peer);
            ipSource = kind === INVALID ? undefined : this.walkedSource;
          }
        }
        if (kind !== INVALID && ipSource !== undefined) ip = parsedText(ipSource, kind);
      }
    }

    // 1. The header, from a trusted proxy only.
    if (peerTrusted && this.header !== undefined) {
      const value = headers[this.header];
      const region =
        typeof value === 'string' ? countryOf(value) : Array.isArray(value) && value.length === 1 ? countryOf(value[0]!) : null;
      if (region !== null) return { region, source: 'header', ip };
    }

    // 2. GeoIP on the client address.
    if (this.reader !== undefined && ip !== undefined && !(kind === V6 && this.readerIpVersion === 4) && !inRanges(kind, NOT_PUBLIC)) {
      const region = this.lookup(ip);
      if (region !== null) return { region, source: 'geoip', ip };
    }

    // 3. The key's own setting.
    if (typeof input.keyRegion === 'string') {
      const region = countryOf(input.keyRegion);
      if (region !== null) return { region, source: 'key', ip };
    }

    return { region: 'unknown', source: 'unknown', ip };
  }

  /** Releases the database; afterwards `resolve` skips rule 2. */
  close(): void {
    this.reader = undefined;
  }

  /** The string holding the address `walkForwarded` settled on (the header, or the peer when the header had no entries). */
  private walkedSource: string | undefined;

  /**
   * Walks `X-Forwarded-For` from the right, skipping trusted proxies. Leaves the client address
   * parsed (WORDS, parsedStart/End) in `walkedSource` and returns its kind, or INVALID when an entry
   * reached is not an address. With no entries at all the client is the peer (re-parsed).
   */
  private walkForwarded(chain: string, peerKind: number, peer: string): number {
    let end = chain.length;
    let kind = INVALID;
    let found = false;
    while (end > 0) {
      const comma = chain.lastIndexOf(',', end - 1);
      let start = comma + 1;
      let stop = end;
      end = comma < 0 ? 0 : comma;
      while (start < stop && isBlank(chain.charCodeAt(start))) start++;
      while (stop > start && isBlank(chain.charCodeAt(stop - 1))) stop--;
      if (start === stop) continue;
      kind = parseAddress(chain, start, stop, true);
      found = true;
      if (kind === INVALID || !inRanges(kind, this.trusted)) break;
    }
    if (!found) {
      this.walkedSource = peer;
      return parseAddress(peer, 0, peer.length, true) === INVALID ? INVALID : peerKind;
    }
    this.walkedSource = chain;
    return kind;
  }

  private lookup(ip: string): string | null {
    let record: CountryResponse | null;
    try {
      record = this.reader!.get(ip);
    } catch {
      return null;
    }
    if (record === null || typeof record !== 'object') return null;
    return isoCodeOf(record.country) ?? isoCodeOf(record.registered_country);
  }
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}
