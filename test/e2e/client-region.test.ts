/**
 * ClientRegionResolver against MaxMind DB files written by test/helpers/mmdb-writer.ts (checked first
 * against the `maxmind` package's own Reader): the region header trusted only from configured proxies
 * (IPv4, IPv6, CIDR, IPv4-mapped peers), header values that are not countries, GeoIP on IPv4 and IPv6
 * databases, the X-Forwarded-For walk, addresses that are never looked up, the registered_country
 * fallback, the key's region, `unknown`, and every fault `open()` names.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Reader } from 'maxmind';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ClientRegionResolver,
  normalizeCountryCode,
  type ClientRegion,
  type ClientRegionSettings,
} from '../../src/governance/client-region.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { fakeConfig, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { METADATA_MARKER, mmdb, writeMmdb, type MmdbNetwork, type MmdbValue } from '../helpers/mmdb-writer.js';

const folder = mkdtempSync(join(tmpdir(), 'agora-client-region-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

let fileCount = 0;
function saveDatabase(bytes: Buffer, name = `db-${++fileCount}.mmdb`): string {
  const path = join(folder, name);
  writeFileSync(path, bytes);
  return path;
}

const country = (code: string): MmdbValue => ({
  continent: { code: 'EU', names: { en: 'Europe' } },
  country: { iso_code: code, names: { en: `Country ${code}` } },
  registered_country: { iso_code: code },
});

/** Real-looking data, plus records at addresses that must never be looked up (all 'JP'). */
const IPV4_NETWORKS: MmdbNetwork[] = [
  { network: '81.0.0.0/8', record: country('FR') },
  { network: '81.2.69.0/24', record: country('GB') },
  { network: '8.8.8.0/24', record: country('US') },
  { network: '5.5.0.0/16', record: { registered_country: { iso_code: 'DE' } } },
  { network: '6.6.6.0/24', record: { country: { iso_code: 'EU' }, registered_country: { iso_code: 'NL' } } },
  { network: '7.7.7.0/24', record: { continent: { code: 'EU' } } },
  { network: '9.9.9.0/24', record: mmdb.raw([0x00, 0x00]) }, // an extended type of 7: the reader throws
  { network: '10.0.0.0/8', record: country('JP') },
  { network: '100.64.0.0/10', record: country('JP') },
  { network: '100.128.0.0/16', record: country('CZ') }, // just past CGNAT
  { network: '172.16.0.0/12', record: country('JP') },
  { network: '172.32.0.0/16', record: country('CZ') }, // just past 172.16/12
  { network: '127.0.0.0/8', record: country('JP') },
  { network: '169.254.0.0/16', record: country('JP') },
  { network: '192.168.0.0/16', record: country('JP') },
  { network: '192.0.2.0/24', record: country('JP') },
  { network: '224.0.0.0/4', record: country('JP') },
];
const IPV6_NETWORKS: MmdbNetwork[] = [
  ...IPV4_NETWORKS,
  { network: '2a01:e00::/26', record: country('FR') },
  { network: '2001:4860::/32', record: country('US') },
  { network: '2a02:1000::/24', record: { registered_country: { iso_code: 'DE' } } },
  { network: '::1/128', record: country('JP') },
  { network: 'fc00::/7', record: country('JP') },
  { network: 'fe80::/10', record: country('JP') },
  { network: '2001:db8::/32', record: country('JP') },
  { network: '2001:db9::/32', record: country('CZ') }, // just past the documentation range
  { network: 'ff00::/8', record: country('JP') },
];
const BUILT = new Date('2024-05-01T00:00:00Z');

let v4Path: string;
let v6Path: string;
let v4Bytes: Buffer;
beforeAll(() => {
  v4Bytes = writeMmdb(IPV4_NETWORKS, { ipVersion: 4, databaseType: 'GeoLite2-Country', buildEpoch: BUILT });
  v4Path = saveDatabase(v4Bytes, 'country-v4.mmdb');
  v6Path = saveDatabase(writeMmdb(IPV6_NETWORKS, { ipVersion: 6, databaseType: 'GeoLite2-City', buildEpoch: BUILT }), 'city-v6.mmdb');
});

function request(
  remoteAddress: string | undefined,
  headers: IncomingHttpHeaders = {},
  keyRegion?: string | null,
): { headers: IncomingHttpHeaders; remoteAddress: string | undefined; keyRegion?: string | null } {
  return { headers, remoteAddress, keyRegion };
}

async function open(settings: Partial<ClientRegionSettings>): Promise<ClientRegionResolver> {
  return ClientRegionResolver.open({ trustedProxies: [], ...settings });
}

// ---------------------------------------------------------------------------------------------------

describe('the test MaxMind DB writer, read back by the maxmind package', () => {
  it('answers every network, the more specific first, with every record size and both IP versions', () => {
    for (const ipVersion of [4, 6] as const) {
      for (const recordSize of [24, 28, 32] as const) {
        const bytes = writeMmdb(ipVersion === 4 ? IPV4_NETWORKS : IPV6_NETWORKS, {
          ipVersion,
          recordSize,
          databaseType: 'GeoLite2-Country',
          buildEpoch: BUILT,
          languages: ['en', 'de'],
          description: { en: 'Test', de: 'Prüfung' },
        });
        const reader = new Reader<Record<string, any>>(bytes);
        expect(reader.metadata).toMatchObject({
          binaryFormatMajorVersion: 2,
          binaryFormatMinorVersion: 0,
          buildEpoch: BUILT,
          databaseType: 'GeoLite2-Country',
          description: { en: 'Test', de: 'Prüfung' },
          ipVersion,
          languages: ['en', 'de'],
          recordSize,
        });
        expect(reader.get('81.2.69.160')?.country.iso_code).toBe('GB');
        expect(reader.get('81.2.70.1')?.country.iso_code).toBe('FR');
        expect(reader.get('81.255.255.255')?.country).toEqual({ iso_code: 'FR', names: { en: 'Country FR' } });
        expect(reader.get('80.255.255.255')).toBeNull();
        expect(reader.get('82.0.0.0')).toBeNull();
        expect(reader.get('5.5.1.1')).toEqual({ registered_country: { iso_code: 'DE' } });
        // (mmdb-lib counts an IPv4 prefix from the IPv4 subtree in both kinds of tree.)
        expect(reader.getWithPrefixLength('81.2.69.1')[1]).toBe(24);
        if (ipVersion === 6) {
          expect(reader.get('2a01:e00::1')?.country.iso_code).toBe('FR');
          expect(reader.get('2a01:e40::1')).toBeNull(); // outside the /26
          expect(reader.get('2001:4860:4860::8888')?.country.iso_code).toBe('US');
          // IPv4 lives at ::/96; ::ffff:0:0/96 and 2002::/16 (6to4) lead to the same subtree.
          expect(reader.get('::81.2.69.1')?.country.iso_code).toBe('GB');
          expect(reader.get('::ffff:81.2.69.1')?.country.iso_code).toBe('GB');
          expect(reader.get('2002:5102:4501::')?.country.iso_code).toBe('GB');
        }
      }
    }
  });

  it('writes every data type, long sizes, and 2-, 3- and 4-byte pointers', () => {
    const long = 'x'.repeat(70_000); // a size past 65,821: three extra size bytes
    const record: MmdbValue = {
      text: 'héllo wörld',
      medium: 'm'.repeat(300), // two extra size bytes
      short: 's'.repeat(40), // one extra size byte
      long,
      near: 'first written past 2,048 bytes', // pointed to with 3 bytes
      uint16: mmdb.uint16(65_535),
      uint32: 4_294_967_295,
      zero: 0,
      int32: -123_456,
      positive_int32: mmdb.int32(77),
      uint64: 2n ** 64n - 1n,
      uint128: 2n ** 128n - 1n,
      double: 3.25,
      float: mmdb.float(1.5),
      yes: true,
      no: false,
      bytes: Buffer.from([1, 2, 3]),
      list: [1, 'two', [3], { four: 4 }],
      empty_map: {},
      empty_list: [],
      many: Array.from({ length: 40 }, (_, i) => i), // an array of more than 28 entries
    };
    const networks: MmdbNetwork[] = [
      { network: '1.0.0.0/24', record },
      { network: '2.0.0.0/24', record: { blob: Buffer.alloc(600_000, 7), far: 'first written past 526,336 bytes' } }, // 4-byte pointers
      {
        network: '3.0.0.0/24',
        record: { text: 'héllo wörld', near: 'first written past 2,048 bytes', far: 'first written past 526,336 bytes' },
      },
      { network: '4.0.0.0/24', record: { long } },
      { network: '5.0.0.0/24', record }, // the same record: written once
    ];
    const sizes: number[] = [];
    for (const pointers of [true, false]) {
      const bytes = writeMmdb(networks, { ipVersion: 4, databaseType: 'Test', pointers });
      sizes.push(bytes.length);
      const reader = new Reader<Record<string, any>>(bytes);
      const expected = { ...record, uint16: 65_535, positive_int32: 77, float: 1.5 };
      expect(reader.get('1.0.0.1')).toEqual(expected);
      expect(reader.get('5.0.0.1')).toEqual(expected);
      const second = reader.get('2.0.0.1')!;
      expect(second.far).toBe('first written past 526,336 bytes');
      expect(Buffer.compare(second.blob, Buffer.alloc(600_000, 7))).toBe(0);
      expect(reader.get('3.0.0.1')).toEqual({
        text: 'héllo wörld',
        near: 'first written past 2,048 bytes',
        far: 'first written past 526,336 bytes',
      });
      expect(reader.get('4.0.0.1')?.long).toBe(long);
      const far = Buffer.from('first written past 526,336 bytes');
      expect(bytes.lastIndexOf(far) !== bytes.indexOf(far)).toBe(!pointers);
    }
    // Without pointers the long string is written once more (records 1 and 5 are one record either way).
    expect(sizes[1]! - sizes[0]!).toBeGreaterThan(70_000);
    expect(sizes[1]! - sizes[0]!).toBeLessThan(2 * 70_000);
  });

  it('splits the top four bits of 28-bit records into the middle byte', () => {
    // A data section past 2^24 bytes: the second record's tree value needs the high nibble.
    const networks: MmdbNetwork[] = [
      { network: '1.0.0.0/8', record: { blob: Buffer.alloc(16_800_000) } },
      { network: '128.0.0.0/8', record: { country: { iso_code: 'JP' } } },
      { network: '0.0.0.0/8', record: { country: { iso_code: 'KR' } } },
    ];
    const bytes = writeMmdb(networks, { ipVersion: 4, databaseType: 'Test' });
    const reader = new Reader<Record<string, any>>(bytes);
    expect(reader.metadata.recordSize).toBe(28);
    expect(reader.get('128.1.2.3')).toEqual({ country: { iso_code: 'JP' } });
    expect(reader.get('0.1.2.3')).toEqual({ country: { iso_code: 'KR' } });
    expect(reader.get('1.1.1.1')?.blob.length).toBe(16_800_000);
    expect(() => writeMmdb(networks, { ipVersion: 4, databaseType: 'Test', recordSize: 24 })).toThrow(/too small/);
  });

  it('refuses networks it cannot place', () => {
    expect(() => writeMmdb([{ network: '10.0.0.1/8', record: 'x' }], { ipVersion: 4, databaseType: 'T' })).toThrow(/host bits/);
    expect(() => writeMmdb([{ network: '2001:db8::/32', record: 'x' }], { ipVersion: 4, databaseType: 'T' })).toThrow(/IPv6/);
    expect(() => writeMmdb([{ network: 'nope', record: 'x' }], { ipVersion: 4, databaseType: 'T' })).toThrow(/not an IP network/);
    expect(() =>
      writeMmdb(
        [
          { network: '1.0.0.0/8', record: 'x' },
          { network: '::ffff:1.0.0.0/104', record: 'y' },
        ],
        { ipVersion: 6, databaseType: 'T' },
      ),
    ).toThrow(/alias/);
  });
});

// ---------------------------------------------------------------------------------------------------

describe('the region header', () => {
  const trusted = ['10.0.0.0/8', '192.168.1.1', '::1', 'fd12:3456::/32', '2001:db8:ff::/48'];

  it('is trusted from an IPv4, IPv6 or CIDR proxy, and from an IPv4-mapped IPv6 peer', async () => {
    const resolver = await open({ header: 'CF-IPCountry', trustedProxies: trusted });
    for (const peer of ['10.1.2.3', '10.255.255.255', '192.168.1.1', '::1', 'fd12:3456:1::5', '2001:db8:ff:1::1', '::ffff:10.0.0.7']) {
      expect(resolver.resolve(request(peer, { 'cf-ipcountry': 'FR' })), peer).toMatchObject({ region: 'FR', source: 'header' });
    }
    expect(resolver.resolve(request('::ffff:10.0.0.7', { 'cf-ipcountry': 'FR' }))).toEqual({
      region: 'FR',
      source: 'header',
      ip: '10.0.0.7',
    });
  });

  it('is ignored from any other peer, however it is spelled', async () => {
    const resolver = await open({ header: 'CF-IPCountry', trustedProxies: trusted });
    for (const peer of [
      '11.0.0.1',
      '9.255.255.255',
      '192.168.1.2',
      '::2',
      'fd12:3457::1',
      '2001:db8:fe::1',
      '::ffff:192.168.1.2',
      '8.8.8.8',
    ]) {
      expect(resolver.resolve(request(peer, { 'cf-ipcountry': 'FR' })), peer).toEqual({
        region: 'unknown',
        source: 'unknown',
        ip: peer.replace('::ffff:', ''),
      });
      expect(resolver.resolve(request(peer, { 'cf-ipcountry': 'FR' }, 'DE')), peer).toMatchObject({ region: 'DE', source: 'key' });
    }
    // Another header, and no peer at all.
    expect(resolver.resolve(request('10.0.0.1', { 'x-client-region': 'FR' }))).toMatchObject({ region: 'unknown' });
    expect(resolver.resolve(request(undefined, { 'cf-ipcountry': 'FR' }))).toEqual({ region: 'unknown', source: 'unknown' });
    expect(resolver.resolve(request('not an address', { 'cf-ipcountry': 'FR' }))).toEqual({ region: 'unknown', source: 'unknown' });
  });

  it('matches the configured name in any case', async () => {
    for (const header of ['X-Client-Region', 'x-client-region', 'X-CLIENT-REGION']) {
      const resolver = await open({ header, trustedProxies: ['127.0.0.1'] });
      expect(resolver.resolve(request('127.0.0.1', { 'x-client-region': 'se' }))).toMatchObject({ region: 'SE', source: 'header' });
    }
  });

  it('reads IPv4 peers against IPv6-written proxies: ::ffff:a.b.c.d/n, ::ffff:0:0/96 and ::/0', async () => {
    const mapped = await open({ header: 'cf-ipcountry', trustedProxies: ['::ffff:10.0.0.0/104'] });
    expect(mapped.resolve(request('10.9.9.9', { 'cf-ipcountry': 'FR' })).source).toBe('header');
    expect(mapped.resolve(request('::ffff:10.9.9.9', { 'cf-ipcountry': 'FR' })).source).toBe('header');
    expect(mapped.resolve(request('11.9.9.9', { 'cf-ipcountry': 'FR' })).source).toBe('unknown');
    for (const everything of ['::ffff:0:0/96', '::/0']) {
      const resolver = await open({ header: 'cf-ipcountry', trustedProxies: [everything] });
      expect(resolver.resolve(request('203.0.113.9', { 'cf-ipcountry': 'FR' })).source, everything).toBe('header');
      expect(resolver.resolve(request('::ffff:203.0.113.9', { 'cf-ipcountry': 'FR' })).source, everything).toBe('header');
    }
    const plain = await open({ header: 'cf-ipcountry', trustedProxies: ['0.0.0.0/0'] });
    expect(plain.resolve(request('::ffff:1.2.3.4', { 'cf-ipcountry': 'FR' })).source).toBe('header');
    expect(plain.resolve(request('2001:4860::1', { 'cf-ipcountry': 'FR' })).source).toBe('unknown');
    const v6only = await open({ header: 'cf-ipcountry', trustedProxies: ['::/1'] });
    expect(v6only.resolve(request('1.2.3.4', { 'cf-ipcountry': 'FR' })).source).toBe('header');
  });

  it('passes over values that are not assigned country codes', async () => {
    const resolver = await open({ header: 'cf-ipcountry', trustedProxies: ['10.0.0.0/8'] });
    const notCountries = [
      'XX',
      'T1',
      'UK',
      'EU',
      'US, FR',
      'US,FR',
      '',
      ' ',
      'AA',
      'QM',
      'QZ',
      'XA',
      'XZ',
      'ZZ',
      'USA',
      'F',
      '1F',
      'F1',
      'FR-75',
      'É',
      'ＦＲ',
    ];
    for (const value of notCountries) {
      expect(resolver.resolve(request('10.0.0.1', { 'cf-ipcountry': value })), JSON.stringify(value)).toEqual({
        region: 'unknown',
        source: 'unknown',
        ip: '10.0.0.1',
      });
      expect(resolver.resolve(request('10.0.0.1', { 'cf-ipcountry': value }, 'it')), JSON.stringify(value)).toMatchObject({
        region: 'IT',
        source: 'key',
      });
    }
    expect(resolver.resolve(request('10.0.0.1', { 'cf-ipcountry': ['FR', 'DE'] })).source).toBe('unknown');
  });

  it('answers valid codes upper case', async () => {
    const resolver = await open({ header: 'cf-ipcountry', trustedProxies: ['10.0.0.0/8'] });
    const cases: Array<[string | string[], string]> = [
      ['fr', 'FR'],
      ['Fr', 'FR'],
      [' de ', 'DE'],
      ['\tgb', 'GB'],
      ['XK', 'XK'],
      ['us', 'US'],
      [['JP'], 'JP'],
    ];
    for (const [value, region] of cases) {
      expect(resolver.resolve(request('10.0.0.1', { 'cf-ipcountry': value }))).toEqual({ region, source: 'header', ip: '10.0.0.1' });
    }
  });

  it('beats GeoIP, and an invalid value leaves GeoIP to decide', async () => {
    const resolver = await open({ header: 'cf-ipcountry', trustedProxies: ['10.0.0.0/8'], geoipDatabase: v4Path });
    const through = (value: string): ClientRegion =>
      resolver.resolve(request('10.0.0.1', { 'cf-ipcountry': value, 'x-forwarded-for': '81.2.69.1' }, 'DE'));
    expect(through('IT')).toEqual({ region: 'IT', source: 'header', ip: '81.2.69.1' });
    expect(through('T1')).toEqual({ region: 'GB', source: 'geoip', ip: '81.2.69.1' });
    expect(through('XX')).toEqual({ region: 'GB', source: 'geoip', ip: '81.2.69.1' });
    // From an untrusted peer the header is not read; GeoIP on the peer itself.
    expect(resolver.resolve(request('81.2.69.1', { 'cf-ipcountry': 'IT', 'x-forwarded-for': '8.8.8.8' }))).toEqual({
      region: 'GB',
      source: 'geoip',
      ip: '81.2.69.1',
    });
  });
});

// ---------------------------------------------------------------------------------------------------

describe('GeoIP', () => {
  it('looks up IPv4 clients in an IPv4 database, the most specific network first', async () => {
    const resolver = await open({ geoipDatabase: v4Path });
    expect(resolver.database).toEqual({
      path: v4Path,
      databaseType: 'GeoLite2-Country',
      ipVersion: 4,
      nodeCount: expect.any(Number),
      builtAt: BUILT,
    });
    expect(resolver.resolve(request('81.2.69.160'))).toEqual({ region: 'GB', source: 'geoip', ip: '81.2.69.160' });
    expect(resolver.resolve(request('81.3.0.1'))).toEqual({ region: 'FR', source: 'geoip', ip: '81.3.0.1' });
    expect(resolver.resolve(request('::ffff:8.8.8.4'))).toEqual({ region: 'US', source: 'geoip', ip: '8.8.8.4' });
    expect(resolver.resolve(request('82.0.0.1', {}, 'de'))).toEqual({ region: 'DE', source: 'key', ip: '82.0.0.1' });
    // An IPv6 client has no country in an IPv4 database.
    expect(resolver.resolve(request('2a01:e00::1', {}, 'DE'))).toEqual({ region: 'DE', source: 'key', ip: '2a01:e00::1' });
  });

  it('looks up IPv6 and IPv4 clients in an IPv6 database', async () => {
    const resolver = await open({ geoipDatabase: v6Path });
    expect(resolver.database).toMatchObject({ databaseType: 'GeoLite2-City', ipVersion: 6, path: v6Path });
    expect(resolver.resolve(request('2a01:e00::1'))).toEqual({ region: 'FR', source: 'geoip', ip: '2a01:e00::1' });
    expect(resolver.resolve(request('2A01:E00:0:0:0:0:0:1'))).toEqual({ region: 'FR', source: 'geoip', ip: '2A01:E00:0:0:0:0:0:1' });
    expect(resolver.resolve(request('2001:4860:4860::8888'))).toMatchObject({ region: 'US', source: 'geoip' });
    expect(resolver.resolve(request('2a01:e40::1'))).toMatchObject({ region: 'unknown', source: 'unknown' });
    expect(resolver.resolve(request('81.2.69.1'))).toEqual({ region: 'GB', source: 'geoip', ip: '81.2.69.1' });
    expect(resolver.resolve(request('::ffff:81.2.69.1'))).toEqual({ region: 'GB', source: 'geoip', ip: '81.2.69.1' });
    expect(resolver.resolve(request('2a02:1000::9'))).toMatchObject({ region: 'DE', source: 'geoip' });
  });

  it('falls back to registered_country, and validates both codes', async () => {
    const resolver = await open({ geoipDatabase: v4Path });
    expect(resolver.resolve(request('5.5.5.5'))).toEqual({ region: 'DE', source: 'geoip', ip: '5.5.5.5' });
    expect(resolver.resolve(request('6.6.6.6'))).toEqual({ region: 'NL', source: 'geoip', ip: '6.6.6.6' }); // country 'EU' is not one
    expect(resolver.resolve(request('7.7.7.7', {}, 'PT'))).toEqual({ region: 'PT', source: 'key', ip: '7.7.7.7' });
  });

  it('never looks up addresses that are not publicly routed', async () => {
    for (const path of [v4Path, v6Path]) {
      const resolver = await open({ geoipDatabase: path });
      const v4 = [
        '10.1.2.3',
        '100.64.0.1',
        '100.127.255.255',
        '172.31.255.255',
        '127.0.0.1',
        '169.254.1.1',
        '192.168.0.1',
        '192.0.2.1',
        '224.0.0.1',
        '::ffff:10.0.0.1',
      ];
      const v6 = ['::1', 'fd00::1', 'fc00::1', 'fe80::1', 'fe80::1%eth0', '2001:db8::1', 'ff02::1'];
      for (const peer of [...v4, ...v6]) {
        expect(resolver.resolve(request(peer)), `${peer} in ${path}`).toMatchObject({ region: 'unknown', source: 'unknown' });
      }
      // Just outside the ranges, the database answers.
      expect(resolver.resolve(request('100.128.0.1'))).toMatchObject({ region: 'CZ', source: 'geoip' });
      expect(resolver.resolve(request('172.32.0.1'))).toMatchObject({ region: 'CZ', source: 'geoip' });
      if (path === v6Path) expect(resolver.resolve(request('2001:db9::1'))).toMatchObject({ region: 'CZ', source: 'geoip' });
    }
  });

  it('counts a record that cannot be decoded as no country', async () => {
    const resolver = await open({ geoipDatabase: v4Path });
    expect(resolver.resolve(request('9.9.9.9', {}, 'AT'))).toEqual({ region: 'AT', source: 'key', ip: '9.9.9.9' });
    expect(resolver.resolve(request('9.9.9.9'))).toEqual({ region: 'unknown', source: 'unknown', ip: '9.9.9.9' });
  });

  it('is skipped after close()', async () => {
    const resolver = await open({ geoipDatabase: v4Path });
    resolver.close();
    expect(resolver.resolve(request('81.2.69.1'))).toEqual({ region: 'unknown', source: 'unknown', ip: '81.2.69.1' });
  });

  it('is skipped without a database', async () => {
    const resolver = await open({ geoipDatabase: '' });
    expect(resolver.database).toBeUndefined();
    expect(resolver.resolve(request('81.2.69.1', {}, 'NO'))).toEqual({ region: 'NO', source: 'key', ip: '81.2.69.1' });
  });
});

// ---------------------------------------------------------------------------------------------------

describe('X-Forwarded-For', () => {
  const trustedProxies = ['10.0.0.0/8', '192.168.1.1', '::1', '2001:db8:ff::/48'];
  let v4: ClientRegionResolver;
  let v6: ClientRegionResolver;
  beforeAll(async () => {
    v4 = await open({ trustedProxies, geoipDatabase: v4Path });
    v6 = await open({ trustedProxies, geoipDatabase: v6Path });
  });
  const via = (resolver: ClientRegionResolver, xff: string | string[], peer = '10.0.0.1', keyRegion?: string): ClientRegion =>
    resolver.resolve(request(peer, { 'x-forwarded-for': xff }, keyRegion));

  it('takes the rightmost address that is not a trusted proxy', () => {
    expect(via(v4, '81.2.69.1')).toEqual({ region: 'GB', source: 'geoip', ip: '81.2.69.1' });
    expect(via(v4, '81.2.69.1, 10.0.0.9, 192.168.1.1')).toEqual({ region: 'GB', source: 'geoip', ip: '81.2.69.1' });
    expect(via(v4, '81.2.69.1,10.0.0.9,192.168.1.1', '::1')).toEqual({ region: 'GB', source: 'geoip', ip: '81.2.69.1' });
    expect(via(v4, '81.2.69.1, ::ffff:10.0.0.9', '::ffff:10.0.0.2')).toEqual({ region: 'GB', source: 'geoip', ip: '81.2.69.1' });
    expect(via(v6, '2a01:e00::1, 2001:db8:ff::7', '2001:db8:ff::8')).toEqual({ region: 'FR', source: 'geoip', ip: '2a01:e00::1' });
  });

  it('never reads entries left of the first untrusted one (a client can forge them)', () => {
    expect(via(v4, '8.8.8.8, 81.2.69.1')).toMatchObject({ region: 'GB', ip: '81.2.69.1' });
    expect(via(v4, '10.0.0.5, 81.2.69.1, 10.0.0.6')).toMatchObject({ region: 'GB', ip: '81.2.69.1' });
    expect(via(v4, 'unknown, garbage, , 81.2.69.1')).toMatchObject({ region: 'GB', ip: '81.2.69.1' });
    // Headers sent twice arrive as one list (Node joins them); an array is read the same way.
    expect(via(v4, ['8.8.8.8', '81.2.69.1'])).toMatchObject({ region: 'GB', ip: '81.2.69.1' });
  });

  it('takes the leftmost entry when every one is a trusted proxy', () => {
    expect(via(v4, '10.0.0.5, 192.168.1.1')).toEqual({ region: 'unknown', source: 'unknown', ip: '10.0.0.5' });
    expect(via(v4, '::1, 10.0.0.5', '10.0.0.1', 'ES')).toEqual({ region: 'ES', source: 'key', ip: '::1' });
  });

  it('uses the peer when there is no entry at all', () => {
    expect(via(v4, '')).toEqual({ region: 'unknown', source: 'unknown', ip: '10.0.0.1' });
    expect(via(v4, ' , ,')).toEqual({ region: 'unknown', source: 'unknown', ip: '10.0.0.1' });
    expect(v4.resolve(request('10.0.0.1'))).toEqual({ region: 'unknown', source: 'unknown', ip: '10.0.0.1' });
  });

  it('has no client address when the walk reaches an entry that is not an address', () => {
    for (const xff of [
      '81.2.69.1, unknown',
      'unknown',
      '81.2.69.1, _hidden, 10.0.0.2',
      '81.2.69.1, 1.2.3.256',
      '81.2.69.1, 01.2.3.4',
      '81.2.69.1, ::g',
    ]) {
      expect(via(v4, xff, '10.0.0.1', 'FI'), xff).toEqual({ region: 'FI', source: 'key' });
      expect(via(v4, xff), xff).toEqual({ region: 'unknown', source: 'unknown' });
    }
  });

  it('ignores ports, brackets, blanks and IPv6 zones', () => {
    expect(via(v4, '81.2.69.1:5678')).toEqual({ region: 'GB', source: 'geoip', ip: '81.2.69.1' });
    expect(via(v4, '  81.2.69.1:5678\t, 10.0.0.3:80 ')).toEqual({ region: 'GB', source: 'geoip', ip: '81.2.69.1' });
    expect(via(v6, '[2a01:e00::1]:443')).toEqual({ region: 'FR', source: 'geoip', ip: '2a01:e00::1' });
    expect(via(v6, '[2a01:e00::1]')).toEqual({ region: 'FR', source: 'geoip', ip: '2a01:e00::1' });
    expect(via(v6, '2a01:e00::1%eth0')).toEqual({ region: 'FR', source: 'geoip', ip: '2a01:e00::1' });
    expect(via(v6, '[2a01:e00::1%25eth0]:443')).toEqual({ region: 'FR', source: 'geoip', ip: '2a01:e00::1' });
    expect(via(v4, '[::ffff:81.2.69.1]:80')).toEqual({ region: 'GB', source: 'geoip', ip: '81.2.69.1' });
    expect(via(v4, '::ffff:81.2.69.1')).toEqual({ region: 'GB', source: 'geoip', ip: '81.2.69.1' });
    expect(via(v4, '81.2.69.1, [::1]:8080')).toEqual({ region: 'GB', source: 'geoip', ip: '81.2.69.1' });
    for (const bad of ['[2a01:e00::1', '[2a01:e00::1]x', '2a01:e00::1%']) {
      expect(via(v6, bad), bad).toEqual({ region: 'unknown', source: 'unknown' });
    }
  });

  it('is not read from an untrusted peer', () => {
    expect(via(v4, '81.2.69.1', '8.8.8.8')).toEqual({ region: 'US', source: 'geoip', ip: '8.8.8.8' });
    expect(via(v4, 'unknown', '8.8.8.8')).toEqual({ region: 'US', source: 'geoip', ip: '8.8.8.8' });
    expect(via(v4, '81.2.69.1', '10.0.0.1')).toMatchObject({ region: 'GB' });
  });

  it('does not look up a private client address it walked to', () => {
    expect(via(v4, '192.168.7.7')).toEqual({ region: 'unknown', source: 'unknown', ip: '192.168.7.7' });
    expect(via(v6, 'fd00::7, 10.0.0.9')).toEqual({ region: 'unknown', source: 'unknown', ip: 'fd00::7' });
  });
});

// ---------------------------------------------------------------------------------------------------

describe('the key region and unknown', () => {
  it('uses the key region last, validated like the header', async () => {
    const resolver = await open({ header: 'cf-ipcountry', trustedProxies: ['10.0.0.0/8'], geoipDatabase: v4Path });
    expect(resolver.resolve(request('10.0.0.1', {}, 'ch'))).toEqual({ region: 'CH', source: 'key', ip: '10.0.0.1' });
    for (const keyRegion of ['EU', 'UK', 'XX', '', 'CHE', null, undefined]) {
      expect(resolver.resolve(request('10.0.0.1', {}, keyRegion)), String(keyRegion)).toEqual({
        region: 'unknown',
        source: 'unknown',
        ip: '10.0.0.1',
      });
    }
    expect(resolver.resolve(request('8.8.8.8', {}, 'CH'))).toMatchObject({ region: 'US', source: 'geoip' });
    expect(resolver.resolve(request('10.0.0.1', { 'cf-ipcountry': 'SE' }, 'CH'))).toMatchObject({ region: 'SE', source: 'header' });
  });

  it('normalizeCountryCode applies the same test', () => {
    expect(normalizeCountryCode('de')).toBe('DE');
    expect(normalizeCountryCode(' xk ')).toBe('XK');
    for (const value of ['EU', 'UK', 'XX', 'T1', 'ZZ', 'A', 'ABC', '', 42, null, undefined, ['DE']]) {
      expect(normalizeCountryCode(value), String(value)).toBeNull();
    }
  });
});

// ---------------------------------------------------------------------------------------------------

describe('open() faults', () => {
  const fails = async (settings: Partial<ClientRegionSettings>, pattern: RegExp): Promise<void> => {
    await expect(open(settings)).rejects.toThrow(pattern);
  };
  const withDatabase = async (bytes: Buffer, pattern: RegExp): Promise<void> => {
    const path = saveDatabase(bytes);
    const error = await open({ geoipDatabase: path }).then(
      () => undefined,
      (failure: unknown) => failure as Error,
    );
    expect(error, `expected ${pattern}`).toBeInstanceOf(Error);
    expect(error!.message).toContain(path);
    expect(error!.message).toMatch(pattern);
  };

  it('a missing file, a directory, an empty file', async () => {
    const missing = join(folder, 'missing.mmdb');
    await fails({ geoipDatabase: missing }, new RegExp(`GeoIP database ${missing}: the file does not exist`));
    const directory = join(folder, 'a-directory');
    mkdirSync(directory);
    await fails({ geoipDatabase: directory }, /is a directory/);
    await withDatabase(Buffer.alloc(0), /the file is empty/);
  });

  it('a gzip-compressed file', async () => {
    await withDatabase(gzipSync(v4Bytes), /gzip-compressed; unpack it first/);
  });

  it('a file that is not a MaxMind DB', async () => {
    await withDatabase(Buffer.from('hello, this is not a database\n'.repeat(100)), /not a MaxMind DB file/);
  });

  it('a truncated file', async () => {
    const treeBytes = new Reader(v4Bytes).metadata.searchTreeSize;
    const marker = v4Bytes.lastIndexOf(METADATA_MARKER);
    // Cut anywhere before the metadata: the marker is gone.
    for (const length of [1, 100, treeBytes, marker, marker + 5]) {
      await withDatabase(v4Bytes.subarray(0, length), /not a MaxMind DB file, or a truncated one \(no .* metadata marker/);
    }
    // Cut inside the metadata map, even in its last string (which the reader would silently shorten).
    for (const length of [marker + METADATA_MARKER.length, marker + 20, v4Bytes.length - 40, v4Bytes.length - 10, v4Bytes.length - 1]) {
      await withDatabase(v4Bytes.subarray(0, length), /the file is truncated: its metadata .* runs past the end of the file/);
    }
    // The tree cut short, the metadata kept.
    await withDatabase(
      Buffer.concat([v4Bytes.subarray(0, treeBytes / 2), v4Bytes.subarray(marker)]),
      /truncated or corrupt: its search tree \(\d+ nodes of two 24-bit records = \d+ bytes\) and separator do not fit/,
    );
  });

  it('a corrupt separator or record', async () => {
    const treeBytes = new Reader(v4Bytes).metadata.searchTreeSize;
    const corrupt = Buffer.from(v4Bytes);
    corrupt[treeBytes + 5] = 1;
    await withDatabase(corrupt, /data section separator .* is not all zeros/);
    const badRecord = writeMmdb([{ network: '8.8.8.0/24', record: mmdb.raw([0x00, 0x00]) }], {
      ipVersion: 4,
      databaseType: 'GeoLite2-Country',
    });
    await withDatabase(badRecord, /a test lookup failed/);
  });

  it('a database without country data, or of another format version', async () => {
    for (const databaseType of ['GeoLite2-ASN', 'GeoIP2-ISP', 'GeoIP2-Anonymous-IP', '']) {
      await withDatabase(
        writeMmdb([{ network: '8.8.8.0/24', record: { autonomous_system_number: 15169 } }], { ipVersion: 4, databaseType }),
        new RegExp(`database_type '${databaseType}' holds no country data`),
      );
    }
    for (const databaseType of ['GeoLite2-Country', 'GeoLite2-City', 'GeoIP2-Enterprise', 'DBIP-Country-Lite', 'dbip-city-lite']) {
      const path = saveDatabase(writeMmdb(IPV4_NETWORKS, { ipVersion: 4, databaseType }));
      await expect(open({ geoipDatabase: path })).resolves.toBeInstanceOf(ClientRegionResolver);
    }
    await withDatabase(
      writeMmdb(IPV4_NETWORKS, { ipVersion: 4, databaseType: 'GeoLite2-Country', binaryFormatMajorVersion: 3 }),
      /binary format version 3/,
    );
  });

  it('a header without trusted proxies, a bad header name, bad proxies', async () => {
    await fails({ header: 'CF-IPCountry' }, /header 'CF-IPCountry' is set but trustedProxies is empty/);
    await fails({ header: 'CF IPCountry', trustedProxies: ['10.0.0.0/8'] }, /not a valid HTTP header name/);
    await fails({ header: 'cf-ipcountry:', trustedProxies: ['10.0.0.0/8'] }, /not a valid HTTP header name/);
    await fails({ trustedProxies: ['not-an-ip'] }, /'not-an-ip' is not an IP address or CIDR/);
    await fails({ trustedProxies: ['10.0.0.0/33'] }, /invalid prefix length/);
    await fails({ trustedProxies: ['10.0.0.0/'] }, /invalid prefix length/);
    await fails({ trustedProxies: ['::1/129'] }, /invalid prefix length/);
    await fails({ trustedProxies: ['10.0.0.1/8'] }, /has host bits set beyond the \/8 prefix \(did you mean 10\.0\.0\.0\/8\?\)/);
    await fails({ trustedProxies: ['2001:db8::1/32'] }, /host bits set/);
    await fails({ trustedProxies: ['fe80::1%eth0'] }, /not an IP address/);
    await fails({ trustedProxies: ['[::1]'] }, /not an IP address/);
    await fails({ trustedProxies: ['10.0.0.1:80'] }, /not an IP address/);
    await fails({ trustedProxies: 'nope' as unknown as string[] }, /trustedProxies must be a list/);
    // A header alone (no GeoIP) with proxies is fine, and so are proxies alone.
    await expect(open({ header: 'cf-ipcountry', trustedProxies: [' 10.0.0.0/8 ', '::1'] })).resolves.toBeInstanceOf(ClientRegionResolver);
    await expect(open({ trustedProxies: ['10.0.0.0/8'] })).resolves.toBeInstanceOf(ClientRegionResolver);
  });
});

// ---------------------------------------------------------------------------------------------------

describe('a gateway with governance.geoip_database', () => {
  let upstream: FakeUpstream;
  let gateway: TestGateway;
  let apiKey: string;
  beforeAll(async () => {
    upstream = await startFakeUpstream();
    gateway = await startTestGateway({
      yaml: fakeConfig(
        upstream.url,
        ['ok'],
        `governance:\n  region_header: CF-IPCountry\n  trusted_proxies: [127.0.0.1/32, "::1"]\n  geoip_database: ${JSON.stringify(v4Path)}\n`,
      ),
    });
    apiKey = await gateway.createKey('client-region');
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  const regionOf = async (headers: Record<string, string>): Promise<string | null> => {
    const { response } = await gateway
      .client(apiKey, { defaultHeaders: headers })
      .chat.completions.create({ model: 'acme/ok', messages: [{ role: 'user', content: 'Hi' }] })
      .withResponse();
    return response.headers.get('x-agora-policy');
  };

  it('resolves the region from the trusted header, else GeoIP on X-Forwarded-For', async () => {
    expect(gateway.logs.some((line) => line.includes('GeoIP database loaded') && line.includes('GeoLite2-Country'))).toBe(true);
    expect(await regionOf({ 'CF-IPCountry': 'de' })).toBe('none; region=DE');
    expect(await regionOf({ 'X-Forwarded-For': '8.8.8.8, 81.2.69.1' })).toBe('none; region=GB');
    expect(await regionOf({ 'CF-IPCountry': 'T1', 'X-Forwarded-For': '81.3.3.3:4444' })).toBe('none; region=FR');
    expect(await regionOf({ 'X-Forwarded-For': '192.168.0.9' })).toBe('none; region=unknown');
    expect(await regionOf({})).toBe('none; region=unknown'); // the peer, 127.0.0.1, is never looked up
  });
});

describe('a gateway whose GeoIP database cannot be opened', () => {
  // (startGateway opens the store and starts its timers before the GeoIP database, and does not close them when that fails:
  // the database is put in this file's temporary folder so nothing is left behind on disk.)
  it('does not start, and says why', async () => {
    const path = saveDatabase(gzipSync(v4Bytes), 'GeoLite2-Country.mmdb.gz');
    await expect(
      startTestGateway({
        yaml: fakeConfig('http://127.0.0.1:9', ['ok'], `governance:\n  geoip_database: ${JSON.stringify(path)}\n`),
        databaseUrl: `sqlite:${join(folder, 'failed-start.db')}`,
      }),
    ).rejects.toThrow(`GeoIP database ${path}: the file is gzip-compressed`);
  });
});
